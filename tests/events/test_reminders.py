"""send_event_reminders: each reminder once, only for confirmed seats of scheduled events."""

import datetime as dt
import email
import email.policy
from io import StringIO

from django.core.management import CommandError, call_command
from django.utils import timezone

import pytest
from icalendar import Calendar

from community.models import OutboundEmail
from events.models import Registration
from events.reminders import due_reminders
from events.tasks import send_due_reminders
from tests.factories import make_member
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(make_event):
    """An event starting ``delta`` from now (UTC wall clock), two hours long."""

    def make(delta, **overrides):
        start = (timezone.now() + delta).replace(second=0, microsecond=0)
        end = start + dt.timedelta(hours=2)
        values = {
            "time_zone": "UTC",
            "start_date": start.date(),
            "start_time": start.time(),
            "end_date": end.date(),
            "end_time": end.time(),
        }
        values.update(overrides)
        return make_event(**values)

    return make


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run_command(*args):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_event_reminders", *args, stdout=out)
        return out.getvalue()

    return run_command


def reminders(mailoutbox):
    return [m for m in mailoutbox if str(m.subject).startswith("Reminder")]


def test_24h_reminder_sent_once(soon, member, run, mailoutbox):
    event = soon(dt.timedelta(hours=23))
    Registration.objects.create(event=event, user=member, status="confirmed")

    output = run()
    assert "24 h reminders queued: 1" in output
    [message] = reminders(mailoutbox)
    assert message.to == [member.email]
    assert "within 24 hours" in message.subject
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    cal = Calendar.from_ical(part.get_content())
    assert part.get_param("method") == cal["METHOD"] == "REQUEST"
    assert event.online_join_url in parsed.get_body(("plain",)).get_content()

    output = run()
    assert "Total: 0" in output
    assert len(reminders(mailoutbox)) == 1
    assert OutboundEmail.objects.filter(key__contains="reminder_24h").count() == 1


def test_1h_reminder_when_due(soon, member, run, mailoutbox):
    event = soon(dt.timedelta(hours=23))
    Registration.objects.create(event=event, user=member, status="confirmed")
    run()
    assert len(reminders(mailoutbox)) == 1

    half_hour_before = (event.start - dt.timedelta(minutes=30)).isoformat()
    output = run("--now", half_hour_before)
    assert "1 h reminders queued: 1" in output
    assert "24 h reminders queued: 0" in output
    assert len(reminders(mailoutbox)) == 2
    assert "within the hour" in reminders(mailoutbox)[-1].subject

    run("--now", half_hour_before)
    assert len(reminders(mailoutbox)) == 2


def test_late_registrant_gets_only_the_closest_reminder(soon, member, run, mailoutbox):
    event = soon(dt.timedelta(minutes=40))
    Registration.objects.create(event=event, user=member, status="confirmed")
    output = run()
    assert "1 h reminders queued: 1" in output
    assert "24 h reminders queued: 0" in output
    [message] = reminders(mailoutbox)
    assert "within the hour" in message.subject


@pytest.mark.parametrize("status", ["cancelled", "postponed"])
def test_none_for_events_not_scheduled(status, soon, member, run, mailoutbox):
    event = soon(dt.timedelta(hours=2), status=status)
    Registration.objects.create(event=event, user=member, status="confirmed")
    assert "Total: 0" in run()
    assert reminders(mailoutbox) == []


@pytest.mark.parametrize("status", ["waitlisted", "pending", "cancelled", "rejected"])
def test_none_for_registrations_without_a_seat(status, soon, member, run, mailoutbox):
    event = soon(dt.timedelta(hours=2))
    Registration.objects.create(event=event, user=member, status=status)
    assert "Total: 0" in run()
    assert reminders(mailoutbox) == []


def test_none_for_started_unpublished_or_far_events(soon, member, run, mailoutbox):
    started = soon(dt.timedelta(minutes=-10))
    unpublished = soon(dt.timedelta(hours=2))
    unpublished.unpublish()
    far = soon(dt.timedelta(hours=30))
    for event in (started, unpublished, far):
        Registration.objects.create(event=event, user=member, status="confirmed")
    assert "Total: 0" in run()
    assert reminders(mailoutbox) == []


def test_moved_event_gets_a_new_reminder(
    soon, member, run, mailoutbox, django_capture_on_commit_callbacks
):
    event = soon(dt.timedelta(hours=20))
    Registration.objects.create(event=event, user=member, status="confirmed")
    run()
    assert len(reminders(mailoutbox)) == 1

    page = event.get_latest_revision_as_object()
    moved = dt.datetime.combine(page.start_date, page.start_time) + dt.timedelta(hours=2)
    moved_end = moved + dt.timedelta(hours=2)
    page.start_date, page.start_time = moved.date(), moved.time()
    page.end_date, page.end_time = moved_end.date(), moved_end.time()
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert "24 h reminders queued: 1" in run()
    assert len(reminders(mailoutbox)) == 2
    assert "Total: 0" in run()


def test_configured_hours_are_used(soon, member, run, mailoutbox, settings):
    settings.EVENT_REMINDER_HOURS = [48]
    event = soon(dt.timedelta(hours=40))
    Registration.objects.create(event=event, user=member, status="confirmed")
    assert "48 h reminders queued: 1" in run()
    assert "within 48 hours" in reminders(mailoutbox)[0].subject


def test_task_for_schedulers(soon, member, mailoutbox, django_capture_on_commit_callbacks):
    event = soon(dt.timedelta(hours=3))
    Registration.objects.create(event=event, user=member, status="confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        result = send_due_reminders.enqueue()
    assert result.return_value == {"24": 1, "1": 0}
    assert len(reminders(mailoutbox)) == 1


def test_bad_now_is_refused(run):
    with pytest.raises(CommandError, match="ISO 8601"):
        run("--now", "tomorrow")
    with pytest.raises(CommandError, match="ISO 8601"):
        run("--now", "2027-01-01T10:00")  # no offset: ambiguous across 195 countries
    assert not OutboundEmail.objects.exists()


def test_finding_due_reminders_does_not_grow_with_registrations(soon):
    event = soon(dt.timedelta(hours=3))
    counter = {"n": 0}

    def grow(factor):
        for _ in range(factor):
            counter["n"] += 1
            user = make_member()
            Registration.objects.create(event=event, user=user, status="confirmed")

    grow(1)
    assert_queries_constant(lambda: due_reminders(), grow)
