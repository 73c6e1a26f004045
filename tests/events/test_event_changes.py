"""Publishing an event: SEQUENCE and changed_at follow time, place and status, nothing else."""

import datetime as dt

from django.utils import timezone

import pytest

from events import services
from events.models import EventCalendarState, EventPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_emails(monkeypatch):
    monkeypatch.setattr(services, "notify", lambda *args, **kwargs: None)


def publish(event, **changes):
    page = event.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return EventPage.objects.get(pk=event.pk)


def state(event):
    return EventCalendarState.objects.get(pk=event.pk)


def test_first_publish_starts_at_sequence_zero(make_event):
    event = make_event()
    calendar = state(event)
    assert calendar.sequence == 0
    assert calendar.fingerprint == event.significant_fingerprint()
    assert calendar.ical_uid == f"{calendar.uid}@rai-community-events"


SIGNIFICANT = {
    "start time": {"start_time": dt.time(10, 0), "end_time": dt.time(13, 0)},
    "end time": {"end_time": dt.time(12, 30)},
    "date": {"start_date": "+1", "end_date": "+1"},
    "time zone": {"time_zone": "Asia/Singapore"},
    "all day": {"start_time": None, "end_time": None},
    "venue": {"format": "hybrid", "venue_name": "Sample Hall"},
    "city": {"venue_city": "Sample City"},
    "country": {"venue_country": "SG"},
    "address": {"venue_address": "1 Sample Street"},
    "postponed": {"status": "postponed"},
    "cancelled": {"status": "cancelled"},
    # The title is the calendar entry's SUMMARY, so attendees' calendars must update too.
    "title": {"title": "Sample workshop, renamed"},
}


def resolve(event, changes):
    resolved = {}
    for name, value in changes.items():
        if value == "+1":
            value = getattr(event, name) + dt.timedelta(days=1)
        resolved[name] = value
    return resolved


@pytest.mark.parametrize("changes", SIGNIFICANT.values(), ids=SIGNIFICANT.keys())
def test_significant_change_bumps_sequence_once_per_publish(make_event, changes):
    event = make_event(capacity=5)
    before = state(event)
    later = timezone.now() + dt.timedelta(seconds=1)
    EventCalendarState.objects.filter(pk=event.pk).update(changed_at=later - dt.timedelta(days=1))
    event = publish(event, **resolve(event, changes))
    after = state(event)
    assert after.sequence == before.sequence + 1
    assert after.fingerprint == event.significant_fingerprint()
    assert after.changed_at > later - dt.timedelta(hours=1)
    assert after.uid == before.uid


INSIGNIFICANT = {
    "summary": {"summary": "Sample summary, reworded."},
    "capacity": {"capacity": 2},
    "quota": {"country_quota": 1},
    "languages": {"languages": "English"},
    "registration window": {"registration_closes": timezone.now() + dt.timedelta(days=2)},
    "approval": {"approval_required": True},
    "chatham house": {"chatham_house": True},
    "join link": {"online_join_url": "https://meet.example.org/another-room"},
    "slug": {"slug": "sample-renamed"},
}


@pytest.mark.parametrize("changes", INSIGNIFICANT.values(), ids=INSIGNIFICANT.keys())
def test_other_changes_leave_sequence_and_changed_at_alone(make_event, changes):
    event = make_event(capacity=5)
    before = state(event)
    event = publish(event, **changes)
    after = state(event)
    assert after.sequence == before.sequence
    assert after.changed_at == before.changed_at
    assert after.fingerprint == before.fingerprint


def test_several_changes_in_one_publish_bump_once(make_event):
    event = make_event()
    event = publish(
        event,
        start_time=dt.time(14, 0),
        end_time=dt.time(16, 0),
        format="hybrid",
        venue_name="Sample Hall",
        status="postponed",
    )
    assert state(event).sequence == 1


def test_each_publish_bumps_again_and_republishing_the_same_does_not(make_event):
    event = make_event()
    event = publish(event, start_time=dt.time(10, 0), end_time=dt.time(12, 0))
    event = publish(event, venue_city="Sample City")
    event = publish(event, status="postponed")
    assert state(event).sequence == 3
    changed_at = state(event).changed_at
    event = publish(event)  # the same content again
    event = publish(event, summary="Sample summary only.")
    assert state(event).sequence == 3
    assert state(event).changed_at == changed_at
    event = publish(event, status="scheduled")
    assert state(event).sequence == 4


def test_a_draft_revision_changes_nothing_until_published(make_event):
    event = make_event()
    page = event.get_latest_revision_as_object()
    page.start_time = dt.time(15, 0)
    page.end_time = dt.time(17, 0)
    revision = page.save_revision()
    assert state(event).sequence == 0
    revision.publish()
    assert state(event).sequence == 1


def test_moving_back_to_the_original_time_is_a_change_too(make_event):
    event = make_event()
    original = (event.start_time, event.end_time)
    event = publish(event, start_time=dt.time(10, 0), end_time=dt.time(13, 0))
    event = publish(event, start_time=original[0], end_time=original[1])
    assert state(event).sequence == 2


def test_calendar_uid_survives_a_slug_and_title_change(make_event):
    event = make_event()
    uid = state(event).ical_uid
    old_url = event.url
    event = publish(event, slug="sample-moved", title="Sample workshop, moved")
    assert event.url != old_url
    assert state(event).ical_uid == uid
    # The same object through the page's own accessor.
    assert EventPage.objects.get(pk=event.pk).calendar.ical_uid == uid


def test_every_event_has_its_own_uid(make_event):
    first, second = make_event(), make_event()
    assert state(first).uid != state(second).uid


def test_record_event_change_is_idempotent(make_event):
    event = make_event()
    EventPage.objects.filter(pk=event.pk).update(venue_city="Sample City")
    event = EventPage.objects.get(pk=event.pk)
    assert services.event_record_change(event) is True
    assert services.event_record_change(event) is False
    assert state(event).sequence == 1


def test_editing_an_event_that_is_over_bumps_sequence_but_notifies_nobody(
    make_event, le_member, monkeypatch
):
    import datetime as dt

    from django.utils import timezone

    sent = []
    event = make_event()
    services.registration_create(le_member, event, {})
    day = timezone.localdate() - dt.timedelta(days=10)
    Page = type(event)
    Page.objects.filter(pk=event.pk).update(start_date=day, end_date=day)
    event = Page.objects.get(pk=event.pk)
    event.save()  # recompute start/end from the past dates
    services.event_record_change(event)  # settle the fingerprint at the past date
    monkeypatch.setattr(services, "notify", lambda *args, **kwargs: sent.append(args))
    before = state(event).sequence
    publish(event, venue_name="Sample hall", format="hybrid")
    assert state(event).sequence == before + 1
    assert sent == []
