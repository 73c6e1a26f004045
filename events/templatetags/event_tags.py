"""Times shown in a named zone, always with the zone spelled out so nobody has to guess.

Every word and number comes from community/timeformat.py, the one formatter the pages,
the emails and static/js/local-time.js share; these tags only add the markup."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from community import timeformat
from community.timeformat import DASH, machine_time, zone_info
from community.timezones import canonical_zone
from community.viewer_zone import viewer_zone_info

register = template.Library()

_zone = zone_info


def zone_label(value: dt.datetime, zone_name=None) -> str:
    """ "Buenos Aires (UTC−3)" for ``zone_name`` at ``value`` (default: ``value``'s own zone)."""
    return timeformat.zone_label(zone_name or value.tzinfo, value)


def _with_zone(when_html, zone_html):
    pattern = conditional_escape(timeformat.shape()["withZone"])
    return mark_safe(pattern % {"when": when_html, "zone": zone_html})  # noqa: S308


def _zone_html(value, zone_name, local=False):
    return format_html(
        '<bdi class="zone-label"{}>{}</bdi>',
        mark_safe(" data-local-zone") if local else "",
        timeformat.zone_label(zone_name, value),
    )


@register.filter
def in_zone(value, zone_name):
    """The instant ``value`` as wall-clock time in ``zone_name``."""
    if not isinstance(value, dt.datetime):
        return value
    return value.astimezone(_zone(zone_name))


def format_in_zone(value: dt.datetime, zone_name, style: str = "datetime") -> str:
    """Text for one instant in ``zone_name`` with its zone: "Friday, Dec. 11, 2026, 09:00 ·
    Buenos Aires (UTC−3)"; "date" gives the date alone."""
    if style == "date":
        return timeformat.format_date(value, zone_name)
    text = (
        timeformat.format_clock(value, zone_name)
        if style == "time"
        else timeformat.format_datetime(value, zone_name)
    )
    return timeformat.with_zone(text, zone_name, value)


@register.simple_tag
def zoned_time(value, zone_name, style="datetime"):
    """A <time> element and its zone: machine-readable UTC instant, human text in
    ``zone_name``."""
    if not isinstance(value, dt.datetime):
        return ""
    text = (
        timeformat.format_clock(value, zone_name)
        if style == "time"
        else timeformat.format_datetime(value, zone_name)
    )
    return _with_zone(
        format_html('<time datetime="{}">{}</time>', machine_time(value), text),
        _zone_html(value, zone_name),
    )


def _range_html(start_html, end_html, same_day, local=False):
    return format_html(
        "{}<span{}>{}</span>{}",
        start_html,
        mark_safe(" data-range-dash") if local else "",
        DASH if same_day else f" {DASH} ",
        end_html,
    )


@register.simple_tag
def event_when(event, zone_name=None):
    """The event's span in ``zone_name`` (default: the event's own zone)."""
    zone_name = zone_name or event.time_zone
    if event.all_day:
        first, last = event.start_date, event.end_date
        start_html = format_html(
            '<time datetime="{}">{}</time>', machine_time(first), timeformat.format_date(first)
        )
        if last == first:
            return start_html
        end_html = format_html(
            '<time datetime="{}">{}</time>', machine_time(last), timeformat.format_date(last)
        )
        return _range_html(start_html, end_html, same_day=False)
    zone = _zone(zone_name)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    same_day = start.date() == end.date()
    start_html = format_html(
        '<time datetime="{}">{}</time>', machine_time(start), timeformat.format_datetime(start)
    )
    end_text = timeformat.format_clock(end) if same_day else timeformat.format_datetime(end)
    end_html = format_html('<time datetime="{}">{}</time>', machine_time(end), end_text)
    return format_html(
        '<span class="time-range">{}</span>',
        _with_zone(_range_html(start_html, end_html, same_day), _zone_html(start, zone_name)),
    )


@register.simple_tag
def agenda_time(event, value):
    """An agenda item's wall-clock time, on the event's first day, in the event's zone."""
    if not isinstance(value, dt.time):
        return ""
    local = dt.datetime.combine(event.start_date, value, _zone(event.time_zone))
    return format_html(
        '<time datetime="{}">{}</time>', machine_time(local), timeformat.format_clock(local)
    )


# --- the viewer's own zone ---------------------------------------------------------------
# A viewer with a zone in their profile gets it rendered here and marked data-zone-fixed.
# Everyone else gets UTC, clearly labelled, which static/js/local-time.js rewrites into the
# browser's zone; without JavaScript the UTC text stays true.

NIGHT_STARTS = dt.time(22, 0)
NIGHT_ENDS = dt.time(7, 0)
# A multi-day conference always spans a night; warning about it would be noise.
NIGHT_NOTICE_MAX = dt.timedelta(hours=24)

#: Kept for callers that want the instant as the browser parses it; same as machine_time.
utc_iso = machine_time


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
    if style == "time" and day_of is not None and not _same_day(local, day_of):
        shown = "datetime"
    if shown == "time":
        text = timeformat.format_clock(local)
    elif shown == "date":
        text = timeformat.format_date(local)
    else:
        text = timeformat.format_datetime(local)
    return format_html(
        '<time datetime="{}" data-local-time data-style="{}"{}{}>{}</time>',
        machine_time(value),
        style,
        format_html(' data-day-of="{}"', machine_time(day_of)) if day_of is not None else "",
        mark_safe(" data-zone-fixed") if fixed else "",
        text,
    )


def _same_day(local, other):
    return other.astimezone(local.tzinfo).date() == local.date()


def _viewer_span(start, end, zone_name, fixed, start_style="datetime", day_of=None):
    """Start and end in the viewer's zone, then the zone. The end shows its date only when
    it falls on another local day than ``day_of`` (default: the start)."""
    day_of = day_of or start
    local_end = end.astimezone(_zone(zone_name))
    span = _range_html(
        _local_time(
            start, zone_name, start_style, fixed, day_of=day_of if start_style == "time" else None
        ),
        _local_time(end, zone_name, "time", fixed, day_of=day_of),
        same_day=_same_day(local_end, day_of),
        local=True,
    )
    return format_html(
        '<span class="time-range" data-local-range>{}</span>',
        _with_zone(span, _zone_html(start, zone_name, local=True)),
    )


@register.simple_tag(takes_context=True)
def viewer_when(context, event, occurrence=None, layout="row"):
    """The event's span in the viewer's zone: a <dt>/<dd> pair (layout "row") or a <p>.

    Nothing for all-day events (their dates belong to the event's zone) and nothing when the
    profile zone is the event's own zone (the event's line already says it)."""
    if event.all_day:
        return ""
    zone_name, fixed = _viewer(context)
    if fixed and canonical_zone(zone_name) == canonical_zone(event.time_zone):
        return ""
    start, end = _span_of(event, occurrence)
    span = _viewer_span(start, end, zone_name, fixed)
    label = _("Your time")
    attrs = format_html(
        ' data-viewer-time data-event-zone="{}"{}',
        canonical_zone(event.time_zone),
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


def _night_message():
    return _("This is at night in your time zone: %(when)s.")


def night_notice_text(local_start, local_end, zone_name):
    clocks = f"{timeformat.format_clock(local_start)}{DASH}{timeformat.format_clock(local_end)}"
    return _night_message() % {"when": timeformat.with_zone(clocks, zone_name, local_start)}


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
    return format_html(
        '<p class="night-notice" role="note" data-night-notice data-start="{}" data-end="{}"'
        ' data-template="{}" hidden></p>',
        machine_time(start),
        machine_time(end),
        _night_message() % {"when": "{when}"},
    )


@register.simple_tag(takes_context=True)
def agenda_viewer_time(context, event, starts, ends=None):
    """An agenda item's times in the viewer's zone, next to the event-zone times."""
    if not isinstance(starts, dt.time):
        return ""
    zone_name, fixed = _viewer(context)
    if fixed and canonical_zone(zone_name) == canonical_zone(event.time_zone):
        return ""
    zone = _zone(event.time_zone)
    start = dt.datetime.combine(event.start_date, starts, zone)
    if isinstance(ends, dt.time):
        end = dt.datetime.combine(event.start_date, ends, zone)
        times = _viewer_span(start, end, zone_name, fixed, "time", day_of=event.start)
    else:
        times = format_html(
            '<span class="time-range" data-local-range>{}</span>',
            _with_zone(
                _local_time(start, zone_name, "time", fixed, day_of=event.start),
                _zone_html(start, zone_name, local=True),
            ),
        )
    return format_html('<span class="agenda__viewer-time">{}: {}</span>', _("Your time"), times)


@register.simple_tag
def zone_name_label(zone_name):
    """ "Buenos Aires (UTC−3)" for a zone name, at the current offset."""
    return timeformat.zone_label(zone_name or "UTC")
