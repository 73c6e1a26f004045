"""Recurring series: one event page describes a rule (weekly, monthly by weekday or by date,
every N, until a date), dates skipped, and single occurrences moved.

Occurrences keep their wall-clock time in the event's zone across DST changes: the rule runs
on zone-aware datetimes, so 09:00 Europe/Paris stays 09:00 Paris time in summer and winter.
"""

import datetime as dt
from dataclasses import dataclass

from dateutil import rrule

MAX_OCCURRENCES = 500

FREQUENCIES = {
    "weekly": rrule.WEEKLY,
    "monthly_weekday": rrule.MONTHLY,
    "monthly_date": rrule.MONTHLY,
}
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass(frozen=True)
class Occurrence:
    start: dt.datetime  # aware, in the event's zone
    end: dt.datetime
    original_start: dt.datetime  # where the rule put it (the RECURRENCE-ID)
    moved: bool = False


def is_recurring(event) -> bool:
    return bool(getattr(event, "repeat", "")) and event.repeat in FREQUENCIES


def first_span(event):
    """(start, end) of the first date, aware in the event's zone, from the wall-clock fields.
    An all-day event ends at the end of its last day. The one owner of this rule: the page's
    ``start``/``end`` and every occurrence derive from it."""
    zone = event.zone
    if event.all_day:
        start = dt.datetime.combine(event.start_date, dt.time.min, zone)
        end = dt.datetime.combine(event.end_date + dt.timedelta(days=1), dt.time.min, zone)
    else:
        start = dt.datetime.combine(event.start_date, event.start_time, zone)
        end = dt.datetime.combine(event.end_date, event.end_time or event.start_time, zone)
    return start, end


def _nth_weekday(day: dt.date) -> int:
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth  # a fifth weekday means "the last one" each month


def rule_parts(event) -> dict:
    """The RRULE as a dict of iCalendar parts (icalendar.vRecur accepts it)."""
    if not is_recurring(event):
        return {}
    parts = {"FREQ": "WEEKLY" if event.repeat == "weekly" else "MONTHLY"}
    if (event.repeat_interval or 1) > 1:
        parts["INTERVAL"] = event.repeat_interval
    if event.repeat == "monthly_weekday":
        code = WEEKDAY_CODES[event.start_date.weekday()]
        parts["BYDAY"] = f"{_nth_weekday(event.start_date)}{code}"
    elif event.repeat == "monthly_date":
        parts["BYMONTHDAY"] = event.start_date.day
    if event.repeat_until:
        until_local = dt.datetime.combine(event.repeat_until, dt.time.max, event.zone)
        # RFC 5545: with a zoned DTSTART, UNTIL is given in UTC.
        parts["UNTIL"] = until_local.astimezone(dt.UTC).replace(microsecond=0)
    return parts


def _rule(event, first_start):
    kwargs = {"dtstart": first_start, "interval": event.repeat_interval or 1}
    if event.repeat == "monthly_weekday":
        weekday = rrule.weekdays[event.start_date.weekday()]
        kwargs["byweekday"] = weekday(_nth_weekday(event.start_date))
    elif event.repeat == "monthly_date":
        kwargs["bymonthday"] = event.start_date.day
    if event.repeat_until:
        kwargs["until"] = dt.datetime.combine(event.repeat_until, dt.time.max, event.zone)
    else:
        kwargs["count"] = MAX_OCCURRENCES
    return rrule.rrule(FREQUENCIES[event.repeat], **kwargs)


def _changes(event):
    skipped, moved = set(), {}
    for block in getattr(event, "occurrence_changes", None) or []:
        value = block.value
        if block.block_type == "skip":
            skipped.add(value["date"])
        elif block.block_type == "move":
            moved[value["date"]] = value
    return skipped, moved


def rule_starts(event) -> list[dt.datetime]:
    """Every start the rule produces (before skips and moves), aware in the event's zone."""
    first_start, _end = first_span(event)
    if not is_recurring(event):
        return [first_start]
    return list(_rule(event, first_start))[:MAX_OCCURRENCES]


def skipped_starts(event) -> list[dt.datetime]:
    """Rule starts an editor skipped (EXDATE)."""
    skipped, _moved = _changes(event)
    return [start for start in rule_starts(event) if start.date() in skipped]


def occurrences(event, *, after=None, before=None, limit=None) -> list[Occurrence]:
    """Occurrences (skips removed, moves applied) ending after ``after`` and starting
    before ``before``, in start order."""
    first_start, first_end = first_span(event)
    duration = first_end - first_start
    skipped, moved = _changes(event)
    found = []
    for original in rule_starts(event):
        day = original.date()
        if day in skipped:
            continue
        start, end, was_moved = original, original + duration, False
        change = moved.get(day)
        if change is not None:
            new_day = change.get("new_date") or day
            new_time = change.get("new_start_time") or original.timetz().replace(tzinfo=None)
            start = dt.datetime.combine(new_day, new_time, event.zone)
            new_end = change.get("new_end_time")
            end = dt.datetime.combine(new_day, new_end, event.zone) if new_end else start + duration
            was_moved = True
        if after is not None and end <= after:
            continue
        if before is not None and start >= before:
            continue
        found.append(Occurrence(start, end, original, was_moved))
    found.sort(key=lambda o: o.start)
    return found[:limit] if limit else found


def moved_occurrences(event) -> list[Occurrence]:
    return [o for o in occurrences(event) if o.moved]


def series_end(event) -> dt.datetime:
    """When the last occurrence ends (UTC); the event's own end when it does not repeat."""
    all_occurrences = occurrences(event)
    if not all_occurrences:
        return event.compute_instants()[1]
    return max(o.end for o in all_occurrences).astimezone(dt.UTC)
