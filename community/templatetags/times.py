"""Template side of community/timeformat.py: the site's one way to write a time."""

import json

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from community import timeformat
from community.viewer_zone import viewer_zone_info

register = template.Library()


@register.filter
def machine_time(value):
    """The value of a ``<time datetime>`` attribute: "2026-12-11T08:00:00Z", "2026-12-11"."""
    return timeformat.machine_time(value)


@register.filter
def zone_label(value, at=None):
    """ "Buenos Aires (UTC−3)" for a zone name, at the instant ``at`` (default: now)."""
    return timeformat.zone_label(value, at)


@register.filter
def human_date(value, zone="UTC"):
    """ "Friday, Dec. 11, 2026"; a datetime is read in ``zone`` (default UTC)."""
    if not hasattr(value, "year"):
        return value
    return timeformat.format_date(value, zone)


@register.filter
def human_datetime(value, zone="UTC"):
    """ "Friday, Dec. 11, 2026, 09:00 · UTC" — always with the zone it is written in."""
    if not hasattr(value, "hour"):
        return value
    return timeformat.with_zone(timeformat.format_datetime(value, zone), zone, value)


@register.simple_tag(takes_context=True)
def viewer_datetime(context, value):
    """``human_datetime`` in the viewer's zone (their preference, else UTC)."""
    request = context.get("request")
    zone = viewer_zone_info(request)[0] if request is not None else None
    return human_datetime(value, zone or "UTC")


@register.simple_tag(takes_context=True)
def local_time_script(context):
    """local-time.js with the shape of the active language, so that the times it writes in
    the visitor's zone read exactly like the server's."""
    return format_html(
        '<script src="{}" defer nonce="{}" data-time-shape="{}"></script>',
        static("js/local-time.js"),
        context.get("csp_nonce", ""),
        json.dumps(timeformat.browser_shape(), ensure_ascii=False),
    )


@register.filter
def clock(value, zone=None):
    """ "09:00": a time of day, or a datetime's time in ``zone``."""
    if not hasattr(value, "hour"):
        return value
    return timeformat.format_clock(value, zone)
