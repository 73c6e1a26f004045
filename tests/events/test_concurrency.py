"""Registrations racing on PostgreSQL: the event's lock row means no overbooking, ever.

Each thread has its own database connection, so this is the same contention as requests on
different workers or processes. A control race without the lock shows the harness can see an
overbooking when there is one; a control without the waitlist-first step in ``register`` shows
it can see newcomers jump the line when an editor raises the capacity.
"""

import threading
import time

from django.conf import settings

import pytest

from community.models import Membership
from events import services
from events.models import EventPage, Registration, RegistrationStatus
from events.services import RegistrationError
from tests import races
from tests.factories import make_member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL row locks",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 50


@pytest.fixture(autouse=True)
def _no_emails(monkeypatch):
    # Committed registrations would enqueue emails; their content is tested elsewhere.
    monkeypatch.setattr(services, "notify", lambda *args, **kwargs: None)


def race(calls):
    """Run every call at once; a refused registration is an outcome, not an error."""
    return races.race(calls, expected=(RegistrationError,))


def counts(event):
    qs = Registration.objects.filter(event=event)
    return (
        qs.filter(status=RegistrationStatus.CONFIRMED).count(),
        qs.filter(status=RegistrationStatus.WAITLISTED).count(),
    )


def many_members(n):
    return [make_member(kind=Membership.Kind.OTHER) for _ in range(n)]


@pytest.mark.parametrize(("capacity", "confirmed"), [(10, 10), (1, 1)])
def test_fifty_members_race_for_the_seats(make_event, capacity, confirmed):
    event = make_event(capacity=capacity)
    users = many_members(THREADS)
    results, errors = race([lambda u=u: services.registration_create(u, event) for u in users])
    assert errors == []
    assert all(isinstance(r, Registration) for r in results), results
    assert counts(event) == (confirmed, THREADS - confirmed)
    assert Registration.objects.filter(event=event).count() == THREADS


def without_the_lock(event):
    """The controls' stand-in for ``services.lock_event``: no lock, no re-read."""
    return event


def test_control_without_the_lock_overbooks(make_event, monkeypatch):
    """Proves the race above is real: skip the lock and the same harness sees overbooking."""
    real_has_seat = services.has_seat

    def slow_has_seat(event, country, attendance=""):
        answer = real_has_seat(event, country, attendance)
        time.sleep(0.05)  # widen the gap between counting and writing
        return answer

    monkeypatch.setattr(services, "has_seat", slow_has_seat)
    monkeypatch.setattr(services, "lock_event", without_the_lock)
    overbooked = []
    for _attempt in range(3):
        event = make_event(capacity=2)
        users = many_members(10)
        results, errors = race(
            [lambda u=u, e=event: services.registration_create(u, e) for u in users]
        )
        assert errors == []
        confirmed, _ = counts(event)
        overbooked.append(confirmed)
        if confirmed > event.capacity:
            break
    assert max(overbooked) > 2, f"no overbooking seen without the lock: {overbooked}"


def test_one_member_sending_ten_requests_gets_one_registration(make_event, member):
    event = make_event(capacity=5)
    results, errors = race([lambda: services.registration_create(member, event) for _ in range(10)])
    assert errors == []
    registrations = [r for r in results if isinstance(r, Registration)]
    refusals = [r for r in results if isinstance(r, RegistrationError)]
    assert len(registrations) == 1
    assert len(refusals) == 9
    assert {r.code for r in refusals} == {"duplicate"}
    assert Registration.objects.filter(event=event, user=member).count() == 1
    assert Registration.objects.filter(event=event).active().count() == 1


def test_one_member_without_the_lock_still_gets_one_registration(make_event, member, monkeypatch):
    """Even past the lock, the partial unique index turns a parallel duplicate into a refusal."""
    event = make_event(capacity=5)
    monkeypatch.setattr(services, "lock_event", without_the_lock)
    results, errors = race([lambda: services.registration_create(member, event) for _ in range(10)])
    assert errors == []
    assert sum(isinstance(r, Registration) for r in results) == 1
    assert {r.code for r in results if isinstance(r, RegistrationError)} == {"duplicate"}
    assert Registration.objects.filter(event=event, user=member).count() == 1


def test_cancellations_racing_with_registrations_never_overbook(make_event):
    """Seats freed by cancellations and taken by newcomers at the same time still add up."""
    event = make_event(capacity=5)
    holders = many_members(5)
    held = [services.registration_create(u, event) for u in holders]
    waiting = many_members(5)
    for user in waiting:
        services.registration_create(user, event)
    newcomers = many_members(10)
    calls = [
        lambda r=r, u=u: services.registration_cancel(r, by=u)
        for r, u in zip(held, holders, strict=True)
    ]
    calls += [lambda u=u: services.registration_create(u, event) for u in newcomers]
    results, errors = race(calls)
    assert errors == []
    confirmed, waitlisted = counts(event)
    assert confirmed == 5
    assert waitlisted == 10
    # The five freed seats went to the five who were waiting before the race.
    assert set(
        Registration.objects.filter(event=event, status="confirmed").values_list(
            "user_id", flat=True
        )
    ) == {u.pk for u in waiting}


# --- a capacity raise racing newcomers (issue 8, point 6) --------------------------------


def line_jumpers(event):
    """Confirmed registrations that arrived after someone who is still waiting."""
    rows = list(Registration.objects.filter(event=event).order_by("created_at", "pk"))
    waiting = [(r.created_at, r.pk) for r in rows if r.status == RegistrationStatus.WAITLISTED]
    if not waiting:
        return []
    first = min(waiting)
    return [r for r in rows if r.holds_seat and (r.created_at, r.pk) > first]


def publish_capacity(event, capacity):
    page = EventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
    page.capacity = capacity
    page.save_revision().publish()


@pytest.fixture
def full_event_with_line(make_event):
    """Five seats taken, ten members waiting for them, in that order."""
    event = make_event(capacity=5)
    for user in many_members(15):
        services.registration_create(user, event)
    assert counts(event) == (5, 10)
    return event


@pytest.fixture
def publish_gap(monkeypatch):
    """Hold Wagtail's publish between committing the page and its promotion step, and tell
    the newcomers when the new capacity is committed: the window the attack used."""
    gap = threading.Event()
    real = services.event_record_change

    def held(event, **kwargs):
        gap.set()
        time.sleep(0.3)
        return real(event, **kwargs)

    monkeypatch.setattr(services, "event_record_change", held)
    return gap


def _newcomer(user, event, gap):
    assert gap.wait(timeout=10), "the publish never committed"
    return services.registration_create(user, event)


def test_capacity_raise_racing_newcomers_keeps_the_line(full_event_with_line, publish_gap):
    event = full_event_with_line
    line = set(
        Registration.objects.filter(event=event, status="waitlisted").values_list("pk", flat=True)
    )
    newcomers = many_members(20)
    calls = [lambda: publish_capacity(event, 18)]
    calls += [lambda u=u: _newcomer(u, event, publish_gap) for u in newcomers]
    results, errors = race(calls)
    assert errors == []
    assert EventPage.objects.get(pk=event.pk).capacity == 18
    # All ten who waited got a seat; three of the new seats were left for newcomers.
    assert counts(event) == (18, 17)
    assert line <= set(
        Registration.objects.filter(event=event, status="confirmed").values_list("pk", flat=True)
    )
    assert line_jumpers(event) == []
    arrivals = list(
        Registration.objects.filter(event=event, user__in=newcomers).order_by("created_at", "pk")
    )
    # Among the newcomers too, the seats went to the first three to arrive.
    assert [r.status for r in arrivals] == ["confirmed"] * 3 + ["waitlisted"] * 17


def test_control_without_waitlist_first_newcomers_jump_the_line(
    full_event_with_line, publish_gap, monkeypatch
):
    """Proves the race above is real: if ``register`` leaves promotion to the publish step,
    as it used to, the same harness sees newcomers take the new seats."""
    event = full_event_with_line
    real_promote = services._promote
    publishing = threading.local()
    real_record = services.event_record_change

    def record(event, **kwargs):
        publishing.active = True
        try:
            return real_record(event, **kwargs)
        finally:
            publishing.active = False

    def promote_on_publish_only(event, now):
        return real_promote(event, now) if getattr(publishing, "active", False) else []

    monkeypatch.setattr(services, "event_record_change", record)
    monkeypatch.setattr(services, "_promote", promote_on_publish_only)
    newcomers = many_members(20)
    calls = [lambda: publish_capacity(event, 18)]
    calls += [lambda u=u: _newcomer(u, event, publish_gap) for u in newcomers]
    results, errors = race(calls)
    assert errors == []
    assert counts(event)[0] == 18
    assert line_jumpers(event), "no newcomer jumped the line without the waitlist-first step"
