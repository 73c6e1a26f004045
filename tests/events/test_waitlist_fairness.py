"""Nobody is confirmed while someone eligible waits ahead of them (issue 8, point 6).

Wagtail's publish commits a raised capacity before its signal takes the event's lock to
promote the waitlist. These tests stand in that gap: the capacity row changed with a queryset
``update()`` (what the publish has committed), then a newcomer registers, with no promotion
in between. The race itself, on PostgreSQL, is in test_concurrency.py.
"""

import datetime as dt

from django.utils import timezone

import pytest

from community.models import Membership
from events import services
from events.models import EventPage, Registration, RegistrationStatus
from events.services import RegistrationError
from tests.factories import make_member

pytestmark = pytest.mark.django_db

S = RegistrationStatus


@pytest.fixture
def sent(monkeypatch):
    """Every notification asked for: (registration pk, kind)."""
    calls = []

    def record(registration, kind, *, had_invite=None):
        calls.append((registration.pk, str(kind)))

    monkeypatch.setattr(services, "notify", record)
    return calls


def person(country="SG"):
    user = make_member(kind=Membership.Kind.OTHER)
    Membership.objects.filter(user=user).update(country=country)
    return type(user).objects.get(pk=user.pk)


def committed(event, **fields):
    """What a publish has committed before its promotion step runs."""
    EventPage.objects.filter(pk=event.pk).update(**fields)


def status_of(*registrations):
    return [Registration.objects.get(pk=r.pk).status for r in registrations]


def test_newcomer_after_a_raise_queues_behind_the_line(make_event, sent):
    event = make_event(capacity=1)
    holder, first, second = (services.registration_create(person(), event) for _ in range(3))
    assert status_of(holder, first, second) == [S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]
    committed(event, capacity=3)

    newcomer = services.registration_create(person(), event)

    assert status_of(first, second) == [S.CONFIRMED, S.CONFIRMED]
    assert newcomer.status == S.WAITLISTED
    # The two in line were told they have a seat, once each; the newcomer that they wait.
    assert sent[-3:] == [
        (first.pk, "promoted"),
        (second.pk, "promoted"),
        (newcomer.pk, "waitlisted"),
    ]


def test_a_seat_left_after_the_line_goes_to_the_newcomer(make_event, sent):
    event = make_event(capacity=1)
    services.registration_create(person(), event)
    waiting = services.registration_create(person(), event)
    committed(event, capacity=3)

    newcomer = services.registration_create(person(), event)

    assert status_of(waiting) == [S.CONFIRMED]
    assert newcomer.status == S.CONFIRMED
    assert Registration.objects.filter(event=event).holding_seats().count() == 3


def test_the_publish_step_after_the_newcomer_promotes_nobody_twice(make_event, sent):
    event = make_event(capacity=1)
    services.registration_create(person(), event)
    waiting = services.registration_create(person(), event)
    committed(event, capacity=2)
    services.registration_create(person(), event)

    # The publish's own promotion step, arriving late, finds the line already served.
    services.event_record_change(EventPage.objects.get(pk=event.pk))
    assert [kind for pk, kind in sent if pk == waiting.pk] == ["waitlisted", "promoted"]


def test_a_real_publish_still_promotes_in_order(make_event, sent):
    event = make_event(capacity=1)
    services.registration_create(person(), event)
    line = [services.registration_create(person(), event) for _ in range(3)]
    page = EventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
    page.capacity = 3
    page.save_revision().publish()
    assert status_of(*line) == [S.CONFIRMED, S.CONFIRMED, S.WAITLISTED]


def test_country_quota_a_waiter_who_cannot_fit_does_not_block_other_countries(make_event, sent):
    event = make_event(capacity=2, country_quota=1)
    services.registration_create(person("FR"), event)
    french_waiting = services.registration_create(person("FR"), event)
    services.registration_create(person("SG"), event)
    assert french_waiting.status == S.WAITLISTED
    committed(event, capacity=4)

    german = services.registration_create(person("DE"), event)
    french_newcomer = services.registration_create(person("FR"), event)

    # The French quota is full: the seat was never the French waiter's to take.
    assert german.status == S.CONFIRMED
    assert status_of(french_waiting) == [S.WAITLISTED]
    assert french_newcomer.status == S.WAITLISTED

    # The quota rises: the French waiter, first in line, takes the last seat.
    committed(event, country_quota=2)
    late = services.registration_create(person("FR"), event)
    assert status_of(french_waiting, french_newcomer) == [S.CONFIRMED, S.WAITLISTED]
    assert late.status == S.WAITLISTED
    assert Registration.objects.filter(event=event).holding_seats().count() == 4


def test_hybrid_online_newcomers_never_wait_and_take_no_room_seat(make_event, sent):
    event = make_event(capacity=1, format="hybrid", venue_name="Sample Hall")
    in_room = services.registration_create(person(), event, attendance="in_person")
    waiting = services.registration_create(person(), event, attendance="in_person")
    assert status_of(in_room, waiting) == [S.CONFIRMED, S.WAITLISTED]

    online = services.registration_create(person(), event, attendance="online")
    assert online.status == S.CONFIRMED
    assert status_of(waiting) == [S.WAITLISTED]  # an online seat is not a room seat

    committed(event, capacity=2)
    online_again = services.registration_create(person(), event, attendance="online")
    assert online_again.status == S.CONFIRMED
    # The online newcomer's request still served the room's line first.
    assert status_of(waiting) == [S.CONFIRMED]
    in_person_newcomer = services.registration_create(person(), event, attendance="in_person")
    assert in_person_newcomer.status == S.WAITLISTED


def test_approval_events_serve_the_approved_line_before_new_requests(make_event, editor, sent):
    event = make_event(capacity=1, approval_required=True)
    first = services.registration_create(person(), event)
    second = services.registration_create(person(), event)
    services.registration_approve(first, by=editor)
    services.registration_approve(second, by=editor)
    assert status_of(first, second) == [S.CONFIRMED, S.WAITLISTED]
    committed(event, capacity=2)

    request = services.registration_create(person(), event)

    assert request.status == S.PENDING
    assert status_of(second) == [S.CONFIRMED]


def test_a_refused_duplicate_in_the_gap_writes_nothing(make_event, sent):
    event = make_event(capacity=1)
    holder_user = person()
    services.registration_create(holder_user, event)
    waiting = services.registration_create(person(), event)
    committed(event, capacity=2)
    before = list(Registration.objects.order_by("pk").values_list("pk", "status"))
    notified = len(sent)

    with pytest.raises(RegistrationError) as refused:
        services.registration_create(holder_user, event)

    assert refused.value.code == "duplicate"
    # Nothing written, not even the promotion: the publish's own step still does that.
    assert list(Registration.objects.order_by("pk").values_list("pk", "status")) == before
    assert len(sent) == notified
    services.waitlist_promote(event)
    assert status_of(waiting) == [S.CONFIRMED]


def test_registration_closed_in_the_gap_is_refused_and_promotes_nobody(make_event, sent):
    event = make_event(capacity=1)
    services.registration_create(person(), event)
    waiting = services.registration_create(person(), event)
    committed(event, capacity=2, registration_closes=timezone.now() - dt.timedelta(minutes=1))

    with pytest.raises(RegistrationError) as refused:
        services.registration_create(person(), event)

    assert refused.value.code == "closed"
    assert status_of(waiting) == [S.WAITLISTED]
    assert Registration.objects.filter(event=event).count() == 2


def test_arrival_is_stamped_under_the_lock_unless_given(make_event, sent):
    event = make_event(capacity=5)
    given = timezone.now() - dt.timedelta(seconds=30)
    assert services.registration_create(person(), event, now=given).created_at == given
    before = timezone.now()
    registration = services.registration_create(person(), event)
    assert before <= registration.created_at <= timezone.now()
