"""Times shown in a named zone, always with the zone spelled out so nobody has to guess."""

import datetime as dt
import zoneinfo

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _zone(name):
    if isinstance(name, dt.tzinfo):
        return name
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def zone_label(value: dt.datetime) -> str:
    """'CEST, UTC+02:00' — the abbreviation only when the zone database has a real one."""
    offset = value.utcoffset() or dt.timedelta(0)
    if not offset:
        return "UTC"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    numeric = f"UTC{sign}{hours:02d}:{minutes:02d}"
    abbreviation = value.tzname() or ""
    # Many zones only have numeric names such as "+04"; repeating them adds nothing.
    if abbreviation.isalpha():
        return f"{abbreviation}, {numeric}"
    return numeric


@register.filter
def in_zone(value, zone_name):
    """The instant ``value`` as wall-clock time in ``zone_name``."""
    if not isinstance(value, dt.datetime):
        return value
    return value.astimezone(_zone(zone_name))


def format_in_zone(value: dt.datetime, zone_name, style: str = "datetime") -> str:
    local = value.astimezone(_zone(zone_name))
    if style == "date":
        return formats.date_format(local, "DATE_FORMAT")
    if style == "time":
        text = formats.time_format(local, "TIME_FORMAT")
    else:
        text = formats.date_format(local, "DATETIME_FORMAT")
    return f"{text} ({zone_label(local)})"


@register.simple_tag
def zoned_time(value, zone_name, style="datetime"):
    """A <time> element: machine-readable UTC instant, human text in ``zone_name``."""
    if not isinstance(value, dt.datetime):
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        value.astimezone(dt.UTC).isoformat(),
        format_in_zone(value, zone_name, style),
    )


@register.simple_tag
def event_when(event, zone_name=None):
    """The event's span in ``zone_name`` (default: the event's own zone)."""
    zone_name = zone_name or event.time_zone
    if event.all_day:
        first = event.start_date
        last = event.end_date
        start_html = format_html(
            '<time datetime="{}">{}</time>', first.isoformat(), formats.date_format(first)
        )
        if last == first:
            return start_html
        end_html = format_html(
            '<time datetime="{}">{}</time>', last.isoformat(), formats.date_format(last)
        )
        return format_html("{} – {}", start_html, end_html)
    zone = _zone(zone_name)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    start_html = format_html(
        '<time datetime="{}">{}</time>',
        event.start.astimezone(dt.UTC).isoformat(),
        formats.date_format(start, "DATETIME_FORMAT"),
    )
    end_text = (
        formats.time_format(end, "TIME_FORMAT")
        if end.date() == start.date()
        else formats.date_format(end, "DATETIME_FORMAT")
    )
    end_html = format_html(
        '<time datetime="{}">{}</time>', event.end.astimezone(dt.UTC).isoformat(), end_text
    )
    return format_html(
        '{} – {} <span class="zone-label">({})</span>', start_html, end_html, zone_label(start)
    )


@register.simple_tag
def agenda_time(event, value):
    """An agenda item's wall-clock time, on the event's first day, in the event's zone."""
    if not isinstance(value, dt.time):
        return ""
    local = dt.datetime.combine(event.start_date, value, _zone(event.time_zone))
    return format_html(
        '<time datetime="{}">{}</time>',
        local.astimezone(dt.UTC).isoformat(),
        formats.time_format(local, "TIME_FORMAT"),
    )


@register.simple_tag
def zone_name_label(zone_name):
    return (zone_name or "UTC").replace("_", " ")


@register.filter
def status_label(value):
    labels = {
        "confirmed": _("Confirmed"),
        "waitlisted": _("Waitlisted"),
        "pending": _("Pending approval"),
        "attended": _("Attended"),
        "cancelled": _("Cancelled"),
        "rejected": _("Rejected"),
    }
    return labels.get(value, value)


@register.simple_tag(takes_context=True)
def event_index_listing(context, page):
    """The index page's listing; the model has no get_context of its own for it yet."""
    from events.views import event_index_context

    return event_index_context(context["request"], page)
