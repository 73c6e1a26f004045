"""One way to write a time, for pages, emails and the browser.

The shape, in the active language:

- a date: the weekday and Django's ``DATE_FORMAT`` ("Friday, Dec. 11, 2026",
  "vendredi 11 décembre 2026");
- a time: the 24-hour clock ("09:00") in every language — the lab's members work across
  195 countries, and "9 a.m." followed by a full stop read as "9 a.m.." in sentences;
- a date and time: both, joined ("Friday, Dec. 11, 2026, 09:00");
- a span: "Friday, Dec. 11, 2026, 09:00–12:00", or both ends in full when they fall on
  different days;
- a zone: the city and the offset in force at that moment, "Buenos Aires (UTC−3)", with a
  real minus sign; UTC itself is "UTC";
- a time with its zone: "Friday, Dec. 11, 2026, 09:00–12:00 · Buenos Aires (UTC−3)".

``static/js/local-time.js`` writes times in the visitor's zone; ``browser_shape()`` hands it
this module's pattern and names so that its text is the same as the server's, character for
character. Machine-readable values (``<time datetime>``) come from ``machine_time``.
"""

import datetime as dt
import re
import zoneinfo
from functools import lru_cache

from django.utils import dateformat, formats, timezone, translation
from django.utils.translation import pgettext

from .timezones import UTC, canonical_zone, renamed_zones, zone_city

MINUS = "\N{MINUS SIGN}"
DASH = "\N{EN DASH}"

WEEKDAY_CODES = {"l", "D"}
MONTH_CODES = {"F", "N", "M", "b", "E"}
NUMBER_CODES = {"d", "j", "m", "n", "Y", "y", "H", "G", "i"}
CODES = WEEKDAY_CODES | MONTH_CODES | NUMBER_CODES
CLOCK = "H:i"

# (between the weekday and the date, between the date and the time); the date itself is
# Django's DATE_FORMAT for the language.
JOINS = {
    "en": (", ", ", "),
    "es": (", ", ", "),
    "fr": (" ", ", "),
    "ar": ("\N{ARABIC COMMA} ", "\N{ARABIC COMMA} "),
}
DEFAULT_JOINS = (" ", ", ")


# --- machine-readable ---------------------------------------------------------------------


def machine_time(value) -> str:
    """A valid HTML date/time string: an instant as UTC to the second ("2026-12-11T08:00:00Z"),
    a date as "2026-12-11", a time of day as "08:00". Naive datetimes are taken to be in the
    site's default zone. Anything else gives ""."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return ""


# --- zones --------------------------------------------------------------------------------


def zone_info(name) -> dt.tzinfo:
    """The zone called ``name`` (a tzinfo passes through); UTC for an empty or unknown name."""
    if isinstance(name, dt.tzinfo):
        return name
    try:
        return zoneinfo.ZoneInfo(name or UTC)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def offset_text(offset: dt.timedelta | None) -> str:
    """ "UTC", "UTC+1", "UTC−3", "UTC+5:30"."""
    minutes = int((offset or dt.timedelta(0)).total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else MINUS
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}:{rest:02d}" if rest else f"UTC{sign}{hours}"


def zone_label(name, at: dt.datetime | None = None) -> str:
    """ "Buenos Aires (UTC−3)": the zone's city and its offset at ``at`` (default: now).
    "UTC" for UTC; the bare offset for zones without a city ("Etc/GMT+3" → "UTC−3")."""
    zone_name = getattr(name, "key", name) or UTC
    at = at if isinstance(at, dt.datetime) else timezone.now()
    offset = offset_text(at.astimezone(zone_info(name)).utcoffset())
    if canonical_zone(zone_name) == UTC:
        return "UTC"
    city = zone_city(zone_name)
    return f"{city} ({offset})" if city else offset


# --- the shape ----------------------------------------------------------------------------


def _tokens(pattern: str) -> list:
    """A Django date format as a list of literal strings and one-letter codes ([code])."""
    tokens: list = []
    escaped = False
    for char in pattern:
        if escaped or char not in CODES:
            if not escaped and char == "\\":
                escaped = True
                continue
            escaped = False
            if tokens and isinstance(tokens[-1], str):
                tokens[-1] += char
            else:
                tokens.append(char)
        else:
            tokens.append([char])
    return tokens


def _supported(pattern: str) -> bool:
    # A letter Django would expand but the browser cannot (an ordinal suffix, a week number)
    # would make the two disagree; such a format falls back to a plain day, month, year.
    stripped = re.sub(r"\\.", "", pattern)
    return all(not char.isalpha() or char in CODES for char in stripped)


@lru_cache(maxsize=16)
def _shape(language: str) -> dict:
    date_format = formats.get_format("DATE_FORMAT", lang=language)
    if not _supported(date_format):
        date_format = "j F Y"
    weekday_join, time_join = JOINS.get(language.split("-")[0], DEFAULT_JOINS)
    date = [["l"], weekday_join, *_tokens(date_format)]
    codes = {token[0] for token in date if isinstance(token, list)}
    monday = dt.date(2024, 1, 1)
    names = {}
    for code in codes & WEEKDAY_CODES:
        names[code] = [dateformat.format(monday + dt.timedelta(days=day), code) for day in range(7)]
    for code in codes & MONTH_CODES:
        names[code] = [dateformat.format(dt.date(2024, month, 1), code) for month in range(1, 13)]
    return {
        "date": date,
        "time": _tokens(CLOCK),
        "join": time_join,
        "names": names,
        # %(when)s · %(zone)s, with the placeholders as the browser fills them in.
        "withZone": pgettext("a time and its time zone", "%(when)s · %(zone)s"),
    }


def shape() -> dict:
    return _shape(translation.get_language() or "en")


def _render(tokens, local) -> str:
    names = shape()["names"]
    out = []
    for token in tokens:
        if isinstance(token, str):
            out.append(token)
            continue
        code = token[0]
        if code in WEEKDAY_CODES:
            out.append(names[code][local.weekday()])
        elif code in MONTH_CODES:
            out.append(names[code][local.month - 1])
        else:
            out.append(dateformat.format(local, code))
    return "".join(out)


def _local(value, zone=None):
    """An aware datetime in ``zone`` (default: the zone it carries); dates pass through."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return value.astimezone(zone_info(zone)) if zone is not None else value
    return value


def format_date(value, zone=None) -> str:
    """ "Friday, Dec. 11, 2026". A datetime is first moved to ``zone`` (default UTC)."""
    return _render(shape()["date"], _local(value, zone))


def format_clock(value, zone=None) -> str:
    """ "09:00"; a ``datetime.time`` is written as it is."""
    if isinstance(value, dt.time):
        return _render(shape()["time"], dt.datetime.combine(dt.date(2000, 1, 1), value))
    return _render(shape()["time"], _local(value, zone))


def format_datetime(value, zone=None) -> str:
    """ "Friday, Dec. 11, 2026, 09:00" in ``zone``."""
    local = _local(value, zone)
    return f"{format_date(local)}{shape()['join']}{format_clock(local)}"


def format_span(start, end, zone=None) -> str:
    """ "Friday, Dec. 11, 2026, 09:00–12:00"; both ends in full across midnight."""
    start, end = _local(start, zone), _local(end, zone)
    if start.date() == end.date():
        return f"{format_datetime(start)}{DASH}{format_clock(end)}"
    return f"{format_datetime(start)} {DASH} {format_datetime(end)}"


def format_dates(first: dt.date, last: dt.date | None = None) -> str:
    """An all-day event's dates, the same everywhere on Earth."""
    if last is None or last == first:
        return format_date(first)
    return f"{format_date(first)} {DASH} {format_date(last)}"


def with_zone(when: str, zone, at: dt.datetime | None = None) -> str:
    """ "<when> · Buenos Aires (UTC−3)"."""
    return shape()["withZone"] % {"when": when, "zone": zone_label(zone, at)}


def browser_shape() -> dict:
    """What local-time.js needs to write the same shape: the tokens, the names, the joins."""
    return {**shape(), "dash": DASH, "minus": MINUS, "renamed": renamed_zones()}
