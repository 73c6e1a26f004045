"""Recurring series in feeds and invites: RRULE, EXDATE and RECURRENCE-ID, expanded back with
recurring-ical-events and compared with what the site itself lists."""

import datetime as dt

from django.urls import reverse

import pytest
import recurring_ical_events
from icalendar import Calendar

from events import ical, recurrence
from events.models import EventCalendarState, Registration

pytestmark = pytest.mark.django_db

FEED = "/events/feed.ics"
UTC = dt.UTC
PARIS_DST_2027 = dt.date(2027, 3, 28)  # last Sunday of March 2027: clocks go forward


def fetch(client, url=FEED) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def expand(cal, start=dt.datetime(2027, 1, 1, tzinfo=UTC), end=dt.datetime(2028, 1, 1, tzinfo=UTC)):
    return sorted(recurring_ical_events.of(cal).between(start, end), key=lambda v: v["DTSTART"].dt)


def utc_starts(components):
    return [v["DTSTART"].dt.astimezone(UTC) for v in components]


def changes(*blocks):
    """occurrence_changes as stored: raw stream blocks."""
    return [{"type": kind, "value": value} for kind, value in blocks]


@pytest.fixture
def weekly_series(make_event):
    return make_event(
        title="Sample weekly room",
        start_date=dt.date(2027, 3, 15),
        end_date=dt.date(2027, 3, 15),
        start_time=dt.time(9, 0),
        end_time=dt.time(10, 0),
        repeat="weekly",
        repeat_until=dt.date(2027, 4, 19),
        occurrence_changes=changes(
            ("skip", {"date": "2027-04-05"}),
            (
                "move",
                {
                    "date": "2027-03-22",
                    "new_date": "2027-03-24",
                    "new_start_time": "14:00:00",
                    "new_end_time": "15:30:00",
                },
            ),
        ),
    )


def test_weekly_series_keeps_0900_paris_across_the_dst_change(client, make_event):
    make_event(
        start_date=dt.date(2027, 3, 15),
        end_date=dt.date(2027, 3, 15),
        repeat="weekly",
        repeat_until=dt.date(2027, 4, 12),
    )
    starts = utc_starts(expand(fetch(client)))
    assert starts == [
        dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
        dt.datetime(2027, 4, 5, 7, 0, tzinfo=UTC),
        dt.datetime(2027, 4, 12, 7, 0, tzinfo=UTC),
    ]
    assert all(s < dt.datetime.combine(PARIS_DST_2027, dt.time(), UTC) for s in starts[:2])


def test_event_on_the_day_clocks_change(client, make_event):
    make_event(start_date=PARIS_DST_2027, end_date=PARIS_DST_2027)
    vevent = fetch(client).walk("VEVENT")[0]
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    # 09:00 on the change day is already summer time (UTC+2).
    assert vevent["DTSTART"].dt.astimezone(UTC) == dt.datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    assert vevent["DTEND"].dt.astimezone(UTC) == dt.datetime(2027, 3, 28, 10, 0, tzinfo=UTC)


def test_series_master_has_rrule_exdate_and_an_override(client, weekly_series):
    cal = fetch(client)
    components = cal.walk("VEVENT")
    uid = EventCalendarState.objects.get(pk=weekly_series.pk).ical_uid
    assert {str(v["UID"]) for v in components} == {uid}
    masters = [v for v in components if "RECURRENCE-ID" not in v]
    overrides = [v for v in components if "RECURRENCE-ID" in v]
    assert len(masters) == 1 and len(overrides) == 1
    master, override = masters[0], overrides[0]

    rule = master["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["UNTIL"][0].tzinfo is not None  # UTC with a zoned DTSTART (RFC 5545)

    exdates = [d for prop in _as_list(master["EXDATE"]) for d in prop.dts]
    assert [d.dt for d in exdates] == [
        dt.datetime(2027, 4, 5, 9, 0, tzinfo=master["DTSTART"].dt.tzinfo)
    ]
    assert _as_list(master["EXDATE"])[0].params["TZID"] == "Europe/Paris"

    assert override["RECURRENCE-ID"].params["TZID"] == "Europe/Paris"
    assert override["RECURRENCE-ID"].dt.astimezone(UTC) == dt.datetime(
        2027, 3, 22, 8, 0, tzinfo=UTC
    )
    assert override["SEQUENCE"] == master["SEQUENCE"]
    assert override["DTSTART"].dt.astimezone(UTC) == dt.datetime(2027, 3, 24, 13, 0, tzinfo=UTC)
    assert override["DTEND"].dt.astimezone(UTC) == dt.datetime(2027, 3, 24, 14, 30, tzinfo=UTC)
    assert "Europe/Paris" in {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_expansion_skips_the_skipped_date_and_moves_the_moved_one(client, weekly_series):
    starts = utc_starts(expand(fetch(client)))
    assert starts == [
        dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 24, 13, 0, tzinfo=UTC),  # moved from the 22nd
        dt.datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
        dt.datetime(2027, 4, 12, 7, 0, tzinfo=UTC),  # the 5th is skipped
        dt.datetime(2027, 4, 19, 7, 0, tzinfo=UTC),
    ]
    # What calendars expand is what the site lists.
    site = [o.start.astimezone(UTC) for o in recurrence.occurrences(weekly_series)]
    assert starts == site


@pytest.mark.parametrize(
    "repeat, interval, start",
    [
        ("monthly_weekday", 1, dt.date(2027, 1, 5)),  # first Tuesday
        ("monthly_weekday", 1, dt.date(2027, 1, 29)),  # fifth Friday → last Friday
        ("monthly_date", 1, dt.date(2027, 1, 15)),
        ("weekly", 2, dt.date(2027, 1, 4)),
    ],
)
def test_rules_expand_like_the_site_lists_them(client, make_event, repeat, interval, start):
    event = make_event(
        start_date=start,
        end_date=start,
        time_zone="America/New_York",
        repeat=repeat,
        repeat_interval=interval,
        repeat_until=dt.date(2027, 12, 31),
    )
    starts = utc_starts(expand(fetch(client)))
    site = [o.start.astimezone(UTC) for o in recurrence.occurrences(event)]
    assert starts == site
    assert len(starts) > 5


def test_all_day_series_uses_dates_for_rule_exdate_and_override(client, make_event):
    make_event(
        start_date=dt.date(2027, 5, 3),
        end_date=dt.date(2027, 5, 3),
        start_time=None,
        end_time=None,
        repeat="weekly",
        repeat_until=dt.date(2027, 5, 31),
        occurrence_changes=changes(
            ("skip", {"date": "2027-05-10"}),
            ("move", {"date": "2027-05-17", "new_date": "2027-05-19"}),
        ),
    )
    cal = fetch(client)
    master = [v for v in cal.walk("VEVENT") if "RECURRENCE-ID" not in v][0]
    assert master["RRULE"]["UNTIL"] == [dt.date(2027, 5, 31)]
    assert _as_list(master["EXDATE"])[0].dts[0].dt == dt.date(2027, 5, 10)
    days = [v["DTSTART"].dt for v in expand(cal)]
    assert days == [
        dt.date(2027, 5, 3),
        dt.date(2027, 5, 19),
        dt.date(2027, 5, 24),
        dt.date(2027, 5, 31),
    ]


def test_invite_for_a_series_carries_the_rule_and_overrides(weekly_series, member):
    registration = Registration.objects.create(event=weekly_series, user=member, status="confirmed")
    registration = Registration.objects.select_related("event", "user").get(pk=registration.pk)
    cal = Calendar.from_ical(ical.calendar_bytes(ical.invite_calendar(registration, "REQUEST")))
    components = cal.walk("VEVENT")
    assert len(components) == 2
    assert "RRULE" in components[0]
    assert all("ATTENDEE" in v and "ORGANIZER" in v for v in components)
    assert len(expand(cal)) == 5


def test_per_event_file_of_a_series(client, weekly_series):
    cal = fetch(client, reverse("events:event_ics", args=[weekly_series.pk]))
    assert len(cal.walk("VEVENT")) == 2
    assert len(expand(cal)) == 5


def test_vtimezone_covers_a_long_series_until_its_end(client, make_event):
    make_event(
        start_date=dt.date(2027, 1, 4),
        end_date=dt.date(2027, 1, 4),
        repeat="weekly",
        repeat_until=dt.date(2029, 6, 30),
    )
    cal = fetch(client)
    last = dt.datetime(2029, 6, 30, tzinfo=UTC)
    starts = utc_starts(expand(cal, dt.datetime(2029, 6, 1, tzinfo=UTC), last))
    # Summer 2029 in Paris is still UTC+2: 09:00 local is 07:00 UTC.
    assert starts and all(s.hour == 7 for s in starts)
