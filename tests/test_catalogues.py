"""The translation catalogues are complete (issue 10, points 1 and 2).

For Arabic, French and Spanish: every message the project marks has a translation, none is
fuzzy, plural messages have every form the language's Plural-Forms declares, and each
translation carries exactly the placeholders of its source — a missing ``%(name)s`` would be
a wrong sentence, an extra one a ``KeyError`` at run time. And the catalogues are current:
``makemessages`` run on the code finds no message they lack.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("ar", "es", "fr")
DOMAINS = ("django",)
# Named and positional printf placeholders, and {name} fields (format strings, JS templates).
PLACEHOLDER = re.compile(
    r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[-#0 +]*\d*(?:\.\d+)?[sdif]|\{(\w+)\}"
)


def catalogue(lang, domain="django"):
    path = ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def placeholders(text: str) -> list[str]:
    found = []
    for match in PLACEHOLDER.finditer(text.replace("%%", "")):
        named, field = match.group(1), match.group(2)
        found.append(f"%({named})" if named else f"{{{field}}}" if field else "%")
    return sorted(found)


def _entries(cat):
    for message in cat:
        if message.id:  # the header
            yield message


def _sources(message):
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _translations(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    cat = catalogue(lang)
    untranslated, fuzzy = [], []
    for message in _entries(cat):
        if message.fuzzy:
            fuzzy.append(_sources(message)[0])
        if not all(_translations(message)):
            untranslated.append(_sources(message)[0])
    assert fuzzy == [], f"{lang}: fuzzy entries"
    assert untranslated == [], f"{lang}: {len(untranslated)} untranslated"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_messages_have_every_form(lang):
    cat = catalogue(lang)
    wrong = [
        (_sources(m)[0], len(_translations(m)))
        for m in _entries(cat)
        if m.pluralizable and len(_translations(m)) != cat.num_plurals
    ]
    assert wrong == [], f"{lang} declares {cat.num_plurals} plural forms"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_source(lang):
    cat = catalogue(lang)
    wrong = []
    for message in _entries(cat):
        sources = _sources(message)
        if len(sources) == 1:
            for form in _translations(message):
                if placeholders(form) != placeholders(sources[0]):
                    wrong.append((sources[0], form))
            continue
        # A plural message's singular may leave the number out ("One event starts" /
        # "%(count)s events start"): every form keeps what both sources share and uses
        # nothing neither has.
        singular, plural = set(placeholders(sources[0])), set(placeholders(sources[1]))
        for form in _translations(message):
            found = set(placeholders(form))
            if not (singular & plural) <= found <= (singular | plural):
                wrong.append((sources[0], form))
    assert wrong == [], f"{lang}: placeholders differ from the source"


def test_the_placeholder_check_can_fail():
    assert placeholders("Hello %(name)s, %s {when}") == ["%", "%(name)", "{when}"]
    assert placeholders("Bonjour %(nom)s") != placeholders("Hello %(name)s")
    assert placeholders("100%% sure") == []


@pytest.fixture(scope="module")
def fresh_messages(tmp_path_factory):
    """The messages ``makemessages`` finds in the code now, from a copy of the project (so
    the committed catalogues are not touched)."""
    copy = tmp_path_factory.mktemp("project")
    for name in ("community", "events", "home", "forums", "resources", "templates", "static"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete", "-v", "0"],
        cwd=copy,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "community.settings.test"},
    )
    with (copy / "locale" / "fr" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return {(m.context, _sources(m)[0]) for m in _entries(read_po(handle))}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogues_hold_every_message_of_the_code(lang, fresh_messages):
    have = {(m.context, _sources(m)[0]) for m in _entries(catalogue(lang))}
    missing = sorted(fresh_messages - have, key=str)
    assert missing == [], f"{lang}: run `make messages` and translate {len(missing)} new message(s)"
