"""Retention: registration answers are emptied a set number of days after the event ends."""

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

import pytest

from events.models import Registration
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ANSWERS = {"abc": {"question": "Sample role", "answer": "Sample analyst"}}


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.REGISTRATION_ANSWER_RETENTION_DAYS = 30


def event_ended(make_event, days_ago):
    day = (timezone.now() - dt.timedelta(days=days_ago)).date()
    # All-day in UTC: it ends at midnight after ``day``, so ``days_ago - 1`` full days ago.
    return make_event(time_zone="UTC", start_date=day, end_date=day, start_time=None, end_time=None)


def registration_for(event, status="attended"):
    # Created directly: the service refuses registrations for events that have started.
    return Registration.objects.create(
        event=event, user=make_member(), status=status, answers=ANSWERS, country="SG"
    )


def purge(*args):
    out = io.StringIO()
    call_command("purge_registration_answers", *args, stdout=out)
    return out.getvalue().strip()


def state(registration):
    registration.refresh_from_db()
    return registration.answers, registration.answers_purged_at


def test_answers_of_old_events_are_purged_and_recent_ones_kept(make_event):
    old = [registration_for(event_ended(make_event, 40), s) for s in ("attended", "cancelled")]
    recent = registration_for(event_ended(make_event, 10))
    upcoming = registration_for(make_event(), "confirmed")
    before = timezone.now()

    assert (
        purge() == "Purged the answers of 2 registration(s) (events ended more than 30 days ago)."
    )

    for registration in old:
        answers, purged_at = state(registration)
        assert answers == {}
        assert purged_at >= before
        assert registration.status in ("attended", "cancelled")  # the registration stays
    assert state(recent) == (ANSWERS, None)
    assert state(upcoming) == (ANSWERS, None)


def test_boundary_follows_the_setting(make_event, settings):
    registration = registration_for(event_ended(make_event, 10))
    settings.REGISTRATION_ANSWER_RETENTION_DAYS = 5
    assert purge().startswith("Purged the answers of 1 registration(s)")
    assert state(registration)[0] == {}


def test_second_run_changes_nothing(make_event):
    registration = registration_for(event_ended(make_event, 40))
    purge()
    first = state(registration)

    assert (
        purge() == "Purged the answers of 0 registration(s) (events ended more than 30 days ago)."
    )
    assert state(registration) == first


def test_dry_run_writes_nothing(make_event):
    registration = registration_for(event_ended(make_event, 40))
    updated_at = Registration.objects.get(pk=registration.pk).updated_at

    out = purge("--dry-run")
    assert out == (
        "Would purge the answers of 1 registration(s) (events ended more than 30 days ago)."
    )
    assert state(registration) == (ANSWERS, None)
    assert Registration.objects.get(pk=registration.pk).updated_at == updated_at
