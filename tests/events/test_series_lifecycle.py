"""A recurring series after its first date: still open, still cancellable, still promoting.

A registration covers every remaining date of a series. The series is over only when its last
date has ended; members may cancel until the next date starts (or the editor's deadline).
"""

import datetime as dt
import email
import email.policy

from django.utils import timezone

import pytest

from community.models import Membership
from events import services
from events.models import EventPage, Registration, RegistrationStatus
from tests.factories import make_member

pytestmark = pytest.mark.django_db

S = RegistrationStatus


@pytest.fixture
def running_series(make_event):
    """A weekly series whose first date was two weeks ago and whose last is weeks away."""
    today = timezone.localdate()
    first = today - dt.timedelta(days=14)
    return make_event(
        start_date=first,
        end_date=first,
        time_zone="UTC",
        start_time=dt.time(9, 0),
        end_time=dt.time(10, 0),
        repeat="weekly",
        repeat_until=today + dt.timedelta(days=35),
        capacity=1,
    )


def parse(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def test_running_series_is_not_over_and_takes_registrations(running_series):
    now = timezone.now()
    assert running_series.end < now, "the first date is past"
    assert not running_series.is_over_at(now)
    assert not running_series.is_over
    assert running_series.registration_is_open(now)
    assert running_series.registration_window(now) == "open"


def test_cancelling_in_a_running_series_promotes_the_waitlist(
    running_series, django_capture_on_commit_callbacks, mailoutbox
):
    first, second = (make_member(kind=Membership.Kind.OTHER) for _ in range(2))
    with django_capture_on_commit_callbacks(execute=True):
        seated = services.registration_create(first, running_series)
        waiting = services.registration_create(second, running_series)
    assert (seated.status, waiting.status) == (S.CONFIRMED, S.WAITLISTED)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(seated, by=first)

    waiting.refresh_from_db()
    assert waiting.status == S.CONFIRMED, "the waitlisted member must get the freed seat"
    recipients = [m.to for m in mailoutbox]
    assert [second.email] in recipients, "the promoted member is told"
    assert [first.email] in recipients, "the member who cancelled is told"


def test_member_may_cancel_until_the_next_date_starts(running_series):
    now = timezone.now()
    upcoming = running_series.next_start_after(now)
    assert upcoming is not None and upcoming > now
    assert running_series.may_cancel_until(now) == upcoming
    assert running_series.may_cancel_at(now)
    # The editor's deadline, when set, wins.
    deadline = now - dt.timedelta(hours=1)
    EventPage.objects.filter(pk=running_series.pk).update(cancellation_deadline=deadline)
    running_series.refresh_from_db()
    assert running_series.may_cancel_until(now) == deadline
    assert not running_series.may_cancel_at(now)


def test_member_cancel_in_running_series_is_accepted(running_series):
    member = make_member(kind=Membership.Kind.OTHER)
    registration = services.registration_create(member, running_series)
    cancelled = services.registration_cancel(registration, by=member)
    assert cancelled.status == S.CANCELLED


def test_update_emails_still_go_out_in_a_running_series(
    running_series, django_capture_on_commit_callbacks, mailoutbox
):
    member = make_member(kind=Membership.Kind.OTHER)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(member, running_series)
    mailoutbox.clear()
    page = running_series.get_latest_revision_as_object()
    page.start_time, page.end_time = dt.time(11, 0), dt.time(12, 0)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert [m.to for m in mailoutbox] == [[member.email]]
    parsed = parse(mailoutbox[0])
    calendars = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert calendars and "REQUEST" in calendars[0]["Content-Type"].upper()


@pytest.fixture
def three_dates(make_event):
    first = timezone.localdate() + dt.timedelta(days=7)
    return make_event(
        start_date=first,
        end_date=first,
        time_zone="UTC",
        start_time=dt.time(9, 0),
        end_time=dt.time(10, 0),
        repeat="weekly",
        repeat_until=first + dt.timedelta(days=14),
    )


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def test_series_closes_when_its_last_date_begins_and_is_over_when_it_ends(three_dates):
    first = three_dates.start_date
    second, last = first + dt.timedelta(days=7), first + dt.timedelta(days=14)
    during_second = at(second, 9, 30)
    assert three_dates.registration_window(during_second) == "open"
    assert three_dates.may_cancel_until(during_second) == at(last, 9)
    assert not three_dates.is_over_at(during_second)

    during_last = at(last, 9, 30)
    assert three_dates.registration_window(during_last) == "started"
    assert not three_dates.is_over_at(during_last), "the last date is still running"
    assert not three_dates.may_cancel_at(during_last)
    assert three_dates.last_end == at(last, 10)
    assert three_dates.is_over_at(at(last, 10))


def test_member_cannot_cancel_once_the_last_date_has_begun(three_dates, member):
    registration = services.registration_create(member, three_dates)
    last = three_dates.start_date + dt.timedelta(days=14)
    with pytest.raises(services.RegistrationError) as refused:
        services.registration_cancel(registration, by=member, now=at(last, 9, 1))
    assert refused.value.code == "deadline"
    assert Registration.objects.get(pk=registration.pk).status == S.CONFIRMED
    # Before that date starts, the same member may cancel.
    assert (
        services.registration_cancel(registration, by=member, now=at(last, 8, 59)).status
        == S.CANCELLED
    )
