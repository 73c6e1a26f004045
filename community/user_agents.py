"""Name a browser and device in words ("Chrome on Windows") from a User-Agent header.

Small on purpose: the sessions page only needs a person to recognise their own devices, not
a full device database. Order matters: Edge and Opera also say "Chrome", Chrome also says
"Safari", and every Android phone also says "Linux".
"""

import re

from django.utils.translation import gettext as _

_BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\bOPR/|\bOpera\b"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\bFirefox/|\bFxiOS/"), "Firefox"),
    (re.compile(r"\b(?:Headless)?Chrom(?:e|ium)/|\bCriOS/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)


def _first(patterns, text):
    return next((name for pattern, name in patterns if pattern.search(text)), None)


def describe(user_agent: str) -> str:
    """A person's words for a User-Agent string; "Unknown browser" when it says nothing."""
    text = user_agent or ""
    browser, system = _first(_BROWSERS, text), _first(_SYSTEMS, text)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return _("A browser on %(system)s") % {"system": system}
    return _("Unknown browser")
