"""The sample events seed_demo adds: the domain's events, several zones, past recordings,
a full event with a waitlist; idempotent."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

import pytest

from events.demo import EVENTS
from events.models import EventPage, Registration, RegistrationStatus

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", stdout=StringIO())


def test_demo_events_cover_zones_past_recordings_and_a_waitlist():
    seed()
    events = list(EventPage.objects.live())
    assert {e.slug for e in events} == {spec["slug"] for spec in EVENTS}
    assert {e.time_zone for e in events} >= {
        "Asia/Singapore",
        "Europe/Paris",
        "America/Argentina/Buenos_Aires",
        "Africa/Nairobi",
    }
    now = timezone.now()
    past = [e for e in events if e.end < now]
    assert past and all(len(e.recordings) == 1 for e in past)
    assert all(e.summary.startswith("Sample event") for e in events)

    full = [
        e
        for e in events
        if e.capacity is not None
        and Registration.objects.filter(event=e).holding_seats().count() >= e.capacity
        and Registration.objects.filter(event=e, status=RegistrationStatus.WAITLISTED).exists()
    ]
    assert full, "one sample event is full with a waitlist"
    for event in events:
        taken = Registration.objects.filter(event=event).holding_seats().count()
        assert event.capacity is None or taken <= event.capacity


def test_demo_events_are_idempotent():
    seed()
    counts = (EventPage.objects.count(), Registration.objects.count())
    seed()
    assert (EventPage.objects.count(), Registration.objects.count()) == counts
