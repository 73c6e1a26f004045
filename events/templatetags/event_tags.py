"""Times shown in a named zone, always with the zone spelled out so nobody has to guess."""

import datetime as dt
import zoneinfo

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
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


# --- the viewer's own zone ---------------------------------------------------------------
# A viewer with a zone in their profile gets it rendered here and marked data-zone-fixed.
# Everyone else gets UTC, clearly labelled, which static/js/local-time.js rewrites into the
# browser's zone; without JavaScript the UTC text stays true.

NIGHT_STARTS = dt.time(22, 0)
NIGHT_ENDS = dt.time(7, 0)
# A multi-day conference always spans a night; warning about it would be noise.
NIGHT_NOTICE_MAX = dt.timedelta(hours=24)


def utc_iso(value: dt.datetime) -> str:
    """The instant as an ISO 8601 UTC string with a "Z", the form browsers parse everywhere."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def night_span(start: dt.datetime, end: dt.datetime, zone_name):
    """(local start, local end) when any part of [start, end) lies between 22:00 and 07:00
    in ``zone_name``; None otherwise (and for spans of a day or more)."""
    if end - start >= NIGHT_NOTICE_MAX:
        return None
    zone = _zone(zone_name)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    # A zero-length event is a moment: it is at night if that moment is.
    probe_end = end if end > start else start + dt.timedelta(seconds=1)
    day = local_start.date() - dt.timedelta(days=1)
    while day <= local_end.date():
        night_from = dt.datetime.combine(day, NIGHT_STARTS, zone)
        night_to = dt.datetime.combine(day + dt.timedelta(days=1), NIGHT_ENDS, zone)
        if start < night_to and probe_end > night_from:
            return local_start, local_end
        day += dt.timedelta(days=1)
    return None


def _viewer(context):
    from events.views import viewer_zone_info

    request = context.get("request")
    if request is None:
        return "UTC", False
    return viewer_zone_info(request)


def _span_of(event, occurrence):
    source = occurrence if occurrence is not None else event
    return source.start, source.end


def _local_time(value, zone_name, style, fixed, day_of=None):
    """One <time> of the viewer's zone. ``day_of``: show only the time when it falls on the
    same local day as that instant, else the date too (the script applies the same rule)."""
    local = value.astimezone(_zone(zone_name))
    shown = style
    other_day = day_of is not None and day_of.astimezone(local.tzinfo).date() != local.date()
    if style == "time" and other_day:
        shown = "datetime"
    if shown == "time":
        text = formats.time_format(local, "TIME_FORMAT")
    elif shown == "date":
        text = formats.date_format(local, "DATE_FORMAT")
    else:
        text = formats.date_format(local, "DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}" data-local-time data-style="{}"{}{}>{}</time>',
        utc_iso(value),
        style,
        format_html(' data-day-of="{}"', utc_iso(day_of)) if day_of is not None else "",
        mark_safe(" data-zone-fixed") if fixed else "",
        text,
    )


def _zone_label_html(value, zone_name):
    local = value.astimezone(_zone(zone_name))
    return format_html(
        '<span class="zone-label">(<span data-local-zone>{}</span>)</span>', zone_label(local)
    )


def _your_time_label(zone_name, fixed):
    template = _("Your time (%(zone)s)")
    if fixed:
        return format_html("{}", template % {"zone": zone_name})
    return format_html(
        '<span data-local-label data-template="{}">{}</span>',
        template % {"zone": "{zone}"},
        template % {"zone": zone_name},
    )


@register.simple_tag(takes_context=True)
def viewer_when(context, event, occurrence=None, layout="row"):
    """The event's span in the viewer's zone: a <dt>/<dd> pair (layout "row") or a <p>.

    Nothing for all-day events (their dates belong to the event's zone) and nothing when the
    profile zone is the event's own zone (the event's line already says it)."""
    if event.all_day:
        return ""
    zone_name, fixed = _viewer(context)
    if fixed and zone_name == (event.time_zone or "UTC"):
        return ""
    start, end = _span_of(event, occurrence)
    span = format_html(
        '<span class="time-range" data-local-range>{} – {} {}</span>',
        _local_time(start, zone_name, "datetime", fixed),
        _local_time(end, zone_name, "time", fixed, day_of=start),
        _zone_label_html(start, zone_name),
    )
    label = _your_time_label(zone_name, fixed)
    attrs = format_html(
        ' data-viewer-time data-event-zone="{}"{}',
        event.time_zone or "UTC",
        mark_safe(" data-zone-fixed") if fixed else "",
    )
    if layout == "inline":
        return format_html(
            '<p class="event-time event-time--viewer"{}>{}: {}</p>', attrs, label, span
        )
    return format_html(
        '<div class="event-time-row"{}><dt>{}</dt><dd class="event-time event-time--viewer">'
        "{}</dd></div>",
        attrs,
        label,
        span,
    )


def night_notice_text(local_start, local_end, zone_name):
    return _("This is at night in your time zone (%(start)s–%(end)s, %(zone)s).") % {
        "start": formats.time_format(local_start, "H:i"),
        "end": formats.time_format(local_end, "H:i"),
        "zone": zone_name,
    }


@register.simple_tag(takes_context=True)
def night_notice(context, event, occurrence=None):
    """A note when the event falls at night for the viewer. With a profile zone the server
    decides; otherwise a hidden, empty note that local-time.js fills in if it applies."""
    if event.all_day:
        return ""
    zone_name, fixed = _viewer(context)
    start, end = _span_of(event, occurrence)
    if end <= timezone.now():
        return ""  # a warning about the hour helps only before the event
    if fixed:
        span = night_span(start, end, zone_name)
        if span is None:
            return ""
        return format_html(
            '<p class="night-notice" role="note">{}</p>', night_notice_text(*span, zone_name)
        )
    if end - start >= NIGHT_NOTICE_MAX:
        return ""
    template = _("This is at night in your time zone (%(start)s–%(end)s, %(zone)s).") % {
        "start": "{start}",
        "end": "{end}",
        "zone": "{zone}",
    }
    return format_html(
        '<p class="night-notice" role="note" data-night-notice data-start="{}" data-end="{}"'
        ' data-template="{}" hidden></p>',
        utc_iso(start),
        utc_iso(end),
        template,
    )


@register.simple_tag(takes_context=True)
def agenda_viewer_time(context, event, starts, ends=None):
    """An agenda item's times in the viewer's zone, next to the event-zone times."""
    if not isinstance(starts, dt.time):
        return ""
    zone_name, fixed = _viewer(context)
    if fixed and zone_name == (event.time_zone or "UTC"):
        return ""
    zone = _zone(event.time_zone)
    start = dt.datetime.combine(event.start_date, starts, zone)
    parts = [_local_time(start, zone_name, "time", fixed, day_of=event.start)]
    if isinstance(ends, dt.time):
        end = dt.datetime.combine(event.start_date, ends, zone)
        parts.append(_local_time(end, zone_name, "time", fixed, day_of=event.start))
    times = format_html("{} – {}", *parts) if len(parts) > 1 else parts[0]
    return format_html(
        '<span class="agenda__viewer-time" data-local-range>{}: {} {}</span>',
        _your_time_label(zone_name, fixed),
        times,
        _zone_label_html(start, zone_name),
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
