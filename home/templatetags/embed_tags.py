"""Accessible embeds: a named iframe inside a frame that keeps the provider's aspect ratio."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from wagtail.embeds.embeds import get_embed
from wagtail.embeds.exceptions import EmbedException

register = template.Library()

_IFRAME_WITHOUT_TITLE = re.compile(r"<iframe(?![^>]*\btitle=)", re.IGNORECASE)


@register.simple_tag
def embed_details(value):
    """The embed's HTML (iframes always titled), title and padding ratio, or None if unavailable.

    A provider that cannot be reached must not break the page; the template falls back to a link.
    """
    url = getattr(value, "url", value)
    if not url:
        return None
    try:
        max_width = getattr(value, "max_width", None)
        max_height = getattr(value, "max_height", None)
        embed = get_embed(url, max_width, max_height)
    except EmbedException:
        return None
    title = embed.title or _("Embedded media")
    html = _IFRAME_WITHOUT_TITLE.sub(f'<iframe title="{escape(title)}"', embed.html, count=1)
    ratio = f"{embed.ratio * 100:.4f}%" if embed.ratio else ""
    # The provider's HTML comes from Wagtail's configured embed finders, as with {% embed %}.
    safe_html = mark_safe(html)  # noqa: S308
    return {"html": safe_html, "title": title, "ratio": ratio, "url": url}
