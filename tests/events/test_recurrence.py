"""Recurring series: the rule, skipped and moved dates, DST, validation, listings' last date."""

import datetime as dt

from django.core.exceptions import ValidationError

import pytest

from events import recurrence

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _series(make_event, **overrides):
    values = {
        "title": "Sample discussion room",
        "slug": "sample-discussion-room",
        "time_zone": "Europe/Paris",
        "start_date": dt.date(2027, 1, 5),  # the first Tuesday of January 2027
        "start_time": dt.time(9, 0),
        "end_date": dt.date(2027, 1, 5),
        "end_time": dt.time(10, 0),
        "repeat": "monthly_weekday",
        "repeat_until": dt.date(2027, 6, 30),
    }
    values.update(overrides)
    return make_event(**values)


def test_monthly_on_the_first_tuesday_keeps_wall_clock_time_across_dst(make_event):
    event = _series(make_event)
    starts = [o.start for o in recurrence.occurrences(event)]
    assert [s.date() for s in starts] == [
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 2),
        dt.date(2027, 3, 2),
        dt.date(2027, 4, 6),
        dt.date(2027, 5, 4),
        dt.date(2027, 6, 1),
    ]
    assert {s.strftime("%H:%M") for s in starts} == {"09:00"}
    utc_hours = [s.astimezone(UTC).hour for s in starts]
    assert utc_hours == [8, 8, 8, 7, 7, 7]  # CET in winter, CEST after 28 March 2027


def test_rule_parts_for_the_calendar(make_event):
    event = _series(make_event)
    parts = recurrence.rule_parts(event)
    assert parts["FREQ"] == "MONTHLY"
    assert parts["BYDAY"] == "1TU"
    assert parts["UNTIL"] == dt.datetime(2027, 6, 30, 21, 59, 59, tzinfo=UTC)
    assert "INTERVAL" not in parts
    weekly = _series(make_event, slug="weekly", repeat="weekly", repeat_interval=2)
    assert recurrence.rule_parts(weekly) == {
        "FREQ": "WEEKLY",
        "INTERVAL": 2,
        "UNTIL": dt.datetime(2027, 6, 30, 21, 59, 59, tzinfo=UTC),
    }


def test_fifth_weekday_means_the_last_one(make_event):
    event = _series(make_event, start_date=dt.date(2027, 3, 30), end_date=dt.date(2027, 3, 30))
    assert recurrence.rule_parts(event)["BYDAY"] == "-1TU"
    days = [o.start.date() for o in recurrence.occurrences(event)]
    assert days[:3] == [dt.date(2027, 3, 30), dt.date(2027, 4, 27), dt.date(2027, 5, 25)]


def test_skipped_and_moved_dates(make_event):
    event = _series(
        make_event,
        occurrence_changes=[
            ("skip", {"date": dt.date(2027, 2, 2)}),
            (
                "move",
                {
                    "date": dt.date(2027, 4, 6),
                    "new_date": dt.date(2027, 4, 8),
                    "new_start_time": dt.time(14, 0),
                    "new_end_time": None,
                },
            ),
        ],
    )
    found = recurrence.occurrences(event)
    days = [o.start.date() for o in found]
    assert dt.date(2027, 2, 2) not in days
    moved = [o for o in found if o.moved]
    assert len(moved) == 1
    assert moved[0].start == dt.datetime(2027, 4, 8, 14, 0, tzinfo=event.zone)
    assert moved[0].end - moved[0].start == dt.timedelta(hours=1)
    assert moved[0].original_start == dt.datetime(2027, 4, 6, 9, 0, tzinfo=event.zone)
    assert [s.date() for s in recurrence.skipped_starts(event)] == [dt.date(2027, 2, 2)]


def test_series_stays_upcoming_until_its_last_date(make_event):
    event = _series(make_event)
    assert event.end == dt.datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert event.last_end == dt.datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    single = make_event(slug="single")
    assert single.last_end == single.end


def test_next_occurrences_from_a_moment(make_event):
    event = _series(make_event)
    after = dt.datetime(2027, 3, 15, tzinfo=UTC)
    nxt = event.next_occurrences(limit=2, now=after)
    assert [o.start.date() for o in nxt] == [dt.date(2027, 4, 6), dt.date(2027, 5, 4)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"repeat_until": None}, "repeat_until"),
        ({"repeat_until": dt.date(2026, 12, 1)}, "repeat_until"),
        ({"repeat_until": dt.date(2031, 1, 1)}, "repeat_until"),
        ({"end_date": dt.date(2027, 1, 6)}, "end_date"),
    ],
)
def test_invalid_series_are_refused(make_event, changes, field):
    event = _series(make_event, publish=False, slug=f"bad-{field}")
    for name, value in changes.items():
        setattr(event, name, value)
    with pytest.raises(ValidationError) as excinfo:
        event.full_clean()
    assert field in excinfo.value.message_dict


def test_a_series_reminds_before_each_occurrence_once(
    make_event, le_member, django_capture_on_commit_callbacks, mailoutbox
):
    from events import services
    from events.reminders import enqueue_due_reminders

    event = _series(make_event)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(le_member, event, {}, now=dt.datetime(2026, 12, 1, tzinfo=UTC))
    mailoutbox.clear()
    before_march = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # the 2 March date is 23 h away
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_reminders(before_march)[24] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_reminders(before_march)[24] == 0  # once per occurrence
    assert len(mailoutbox) == 1
    assert "Tuesday, March 2, 2027" in mailoutbox[0].body
    before_april = dt.datetime(2027, 4, 5, 9, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_due_reminders(before_april)[24] == 1
