"""A hypothesis state machine over register / cancel / promote / change capacity, including
a newcomer registering between a publish that raised the capacity and its promotion step.

Run on a single event and on a series whose first date is past (a registration covers every
remaining date, so the series must behave like an event still to come).

Invariants after every step: seats never exceed capacity (unless an editor lowered capacity
below the seats already given, and then nobody new gets a seat until it is back under);
nobody on the waitlist was passed over (FIFO); at most one active registration per member.
Each example runs inside a savepoint rolled back at teardown, so each starts clean.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from community.models import Membership
from events import services
from events.models import EventPage, Registration, RegistrationStatus
from events.services import RegistrationError
from tests.factories import make_member

pytestmark = pytest.mark.django_db

POOL = 6
S = RegistrationStatus
capacities = st.one_of(st.none(), st.integers(min_value=0, max_value=4))


def order(registration):
    return (registration.created_at, registration.pk)


@pytest.fixture
def pool(db):
    return [make_member(kind=Membership.Kind.OTHER) for _ in range(POOL)]


def running_series_values():
    """A weekly series whose first date is two weeks past and whose last is weeks away."""
    today = timezone.localdate()
    first = today - dt.timedelta(days=14)
    return {
        "start_date": first,
        "end_date": first,
        "time_zone": "UTC",
        "repeat": "weekly",
        "repeat_until": today + dt.timedelta(days=35),
    }


SHAPES = {"single_event": dict, "series_first_date_past": running_series_values}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_registration_state_machine(make_event, pool, editor, monkeypatch, shape):
    monkeypatch.setattr(services, "notify", lambda *args, **kwargs: None)

    class Registrations(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()
            self.event = make_event(capacity=1, **shape())
            # The most seats there may be now: the capacity, or the seats already given
            # when capacity was lowered below them.
            self.ceiling = 1
            self.joined_waitlist = set()

        def teardown(self):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        # --- helpers ---------------------------------------------------------------------

        def capacity(self):
            return EventPage.objects.values_list("capacity", flat=True).get(pk=self.event.pk)

        def seats(self):
            return Registration.objects.filter(event=self.event).holding_seats().count()

        def active_of(self, user):
            return Registration.objects.filter(event=self.event, user=user).active().first()

        # --- rules -----------------------------------------------------------------------

        @initialize(count=st.integers(min_value=0, max_value=POOL))
        def crowd(self, count):
            # Start most runs with a waitlist already; single steps rarely build a long one.
            for who in range(count):
                self.register(who)

        @rule(who=st.integers(min_value=0, max_value=POOL - 1))
        def register(self, who):
            user = pool[who]
            already = self.active_of(user)
            seats, capacity = self.seats(), self.capacity()
            try:
                registration = services.registration_create(user, self.event)
            except RegistrationError as exc:
                assert already is not None, f"refused {exc.code} without a registration"
                assert exc.code == "duplicate"
                return
            assert already is None, "a second active registration was accepted"
            free = capacity is None or seats < capacity
            assert registration.status == (S.CONFIRMED if free else S.WAITLISTED)
            if registration.status == S.WAITLISTED:
                self.joined_waitlist.add(registration.pk)

        @rule(who=st.integers(min_value=0, max_value=POOL - 1))
        def cancel(self, who):
            user = pool[who]
            registration = self.active_of(user)
            if registration is None:
                return
            cancelled = services.registration_cancel(registration, by=user)
            assert cancelled.status == S.CANCELLED

        @rule()
        def promote(self):
            # Every step that frees a seat already promoted: there is never anyone to move.
            assert services.waitlist_promote(self.event) == []

        @rule(capacity=capacities)
        def publish_capacity(self, capacity):
            """The editor's path: a new revision published, the signal promotes."""
            self._note_capacity(capacity)
            page = self.event.get_latest_revision_as_object()
            page.capacity = capacity
            page.save_revision().publish()

        @rule(capacity=capacities)
        def update_capacity_then_promote(self, capacity):
            """An operator's path: the row changed directly, then the waitlist promoted."""
            self._note_capacity(capacity)
            EventPage.objects.filter(pk=self.event.pk).update(capacity=capacity)
            services.waitlist_promote(self.event)

        @rule(capacity=capacities, who=st.integers(min_value=0, max_value=POOL - 1))
        def publish_then_newcomer_before_promotion(self, capacity, who):
            """Wagtail's publish commits the new capacity before its signal takes the lock to
            promote; a newcomer registering in that gap must still queue behind the line."""
            rotated = pool[who:] + pool[:who]
            newcomer = next((u for u in rotated if self.active_of(u) is None), None)
            seats = self.seats()
            line = list(
                Registration.objects.filter(event=self.event, status=S.WAITLISTED)
                .order_by("created_at", "pk")
                .values_list("pk", flat=True)
            )
            self._note_capacity(capacity)
            # The publish's first half: the row committed, no promotion yet.
            EventPage.objects.filter(pk=self.event.pk).update(capacity=capacity)
            if newcomer is None:
                services.waitlist_promote(self.event)  # everyone is registered already
                return
            registration = services.registration_create(newcomer, self.event)
            free = None if capacity is None else max(capacity - seats, 0)
            moved = line if free is None else line[:free]
            confirmed = set(
                Registration.objects.filter(pk__in=line, status=S.CONFIRMED).values_list(
                    "pk", flat=True
                )
            )
            assert confirmed == set(moved), "the seats did not go to the line in order"
            seat_left = free is None or free > len(line)
            assert registration.status == (S.CONFIRMED if seat_left else S.WAITLISTED)
            self.joined_waitlist.update(line)
            if registration.status == S.WAITLISTED:
                self.joined_waitlist.add(registration.pk)

        def _note_capacity(self, capacity):
            seats = self.seats()
            self.ceiling = None if capacity is None else max(capacity, seats)

        @rule(who=st.integers(min_value=0, max_value=POOL - 1))
        def staff_cancel(self, who):
            registration = self.active_of(pool[who])
            if registration is None:
                return
            assert services.registration_cancel(registration, by=editor).status == S.CANCELLED

        # --- invariants ------------------------------------------------------------------

        @invariant()
        def seats_within_capacity(self):
            seats, capacity = self.seats(), self.capacity()
            if self.ceiling is not None:
                assert seats <= self.ceiling, f"{seats} seats, capacity {capacity}"
            # Below the ceiling again: from now on the capacity alone limits.
            self.ceiling = None if capacity is None else max(capacity, seats)

        @invariant()
        def waitlist_is_fifo(self):
            registrations = list(Registration.objects.filter(event=self.event))
            waiting = [r for r in registrations if r.status == S.WAITLISTED]
            if not waiting:
                return
            first_waiting = min(order(r) for r in waiting)
            seated = [r for r in registrations if r.holds_seat]
            promoted = [r for r in seated if r.pk in self.joined_waitlist]
            assert all(order(r) < first_waiting for r in promoted), "promotion skipped the line"
            # Stronger: nobody holds a seat who arrived after someone still waiting.
            assert all(order(r) < first_waiting for r in seated), "a newcomer jumped the line"

        @invariant()
        def no_free_seat_while_someone_waits(self):
            capacity = self.capacity()
            waiting = Registration.objects.filter(event=self.event, status=S.WAITLISTED).exists()
            if waiting:
                assert capacity is not None and self.seats() >= capacity

        @invariant()
        def one_active_registration_per_member(self):
            doubles = (
                Registration.objects.filter(event=self.event)
                .active()
                .values("user")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
            )
            assert not doubles.exists()

    run_state_machine_as_test(
        Registrations,
        settings=settings(
            max_examples=60,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
