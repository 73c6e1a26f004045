"""The registration service: every outcome and every refusal, with nothing written on refusal."""

import datetime as dt

from django.utils import timezone

import pytest

from community.models import Membership
from events import services
from events.models import EventCalendarState, EventPage, Registration, RegistrationStatus
from events.services import NotAllowed, RegistrationError
from tests.factories import make_member

pytestmark = pytest.mark.django_db

S = RegistrationStatus


@pytest.fixture
def sent(monkeypatch):
    """Every notification the service asks for: (registration pk, kind, had_invite)."""
    calls = []

    def record(registration, kind, *, had_invite=None):
        calls.append((registration.pk, str(kind), had_invite))

    monkeypatch.setattr(services, "notify", record)
    return calls


def members(n, country="SG"):
    users = [make_member(kind=Membership.Kind.OTHER) for _ in range(n)]
    if country != "SG":
        Membership.objects.filter(user__in=users).update(country=country)
        users = [type(u).objects.get(pk=u.pk) for u in users]
    return users


def publish(event, **changes):
    """Publish a new revision with ``changes``, the way an editor does; return the fresh page."""
    page = event.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return EventPage.objects.get(pk=event.pk)


def statuses(event):
    return list(
        Registration.objects.filter(event=event)
        .order_by("created_at", "pk")
        .values_list("status", flat=True)
    )


# --- outcomes --------------------------------------------------------------------------------


def test_register_confirms_when_a_seat_is_free(make_event, member, sent):
    event = make_event(capacity=2)
    registration = services.registration_create(member, event, {})
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    assert registration.confirmed_at is not None
    assert registration.country == "SG"
    assert sent == [(registration.pk, "confirmed", None)]


def test_full_event_waitlists_without_error(make_event, sent):
    event = make_event(capacity=1)
    first, second = members(2)
    assert services.registration_create(first, event).status == S.CONFIRMED
    waiting = services.registration_create(second, event)
    assert waiting.status == S.WAITLISTED
    assert waiting.confirmed_at is None
    assert [kind for _, kind, _ in sent] == ["confirmed", "waitlisted"]


def test_approval_required_makes_it_pending(make_event, member, sent):
    event = make_event(capacity=5, approval_required=True)
    registration = services.registration_create(member, event)
    assert registration.status == S.PENDING
    assert [kind for _, kind, _ in sent] == ["pending"]


def test_unlimited_capacity_confirms_everyone(make_event, sent):
    event = make_event(capacity=None)
    for user in members(12):
        assert services.registration_create(user, event).status == S.CONFIRMED
    assert Registration.objects.filter(event=event).holding_seats().count() == 12


def test_country_quota_waitlists_only_the_full_country(make_event, sent):
    event = make_event(capacity=10, country_quota=1)
    fr_first, fr_second = members(2, country="FR")
    (de_member,) = members(1, country="DE")
    assert services.registration_create(fr_first, event).status == S.CONFIRMED
    assert services.registration_create(fr_second, event).status == S.WAITLISTED
    assert services.registration_create(de_member, event).status == S.CONFIRMED


def test_country_quota_promotion_skips_a_full_country(make_event, sent):
    event = make_event(capacity=2, country_quota=1)
    fr_a, fr_b = members(2, country="FR")
    de_a, de_b = members(2, country="DE")
    seat_fr = services.registration_create(fr_a, event)
    seat_de = services.registration_create(de_a, event)
    waiting_fr = services.registration_create(fr_b, event)
    waiting_de = services.registration_create(de_b, event)
    assert [waiting_fr.status, waiting_de.status] == [S.WAITLISTED, S.WAITLISTED]
    # The German seat frees: the French member ahead in line cannot take it (quota), the
    # German one behind can.
    services.registration_cancel(seat_de, by=de_a)
    waiting_fr.refresh_from_db()
    waiting_de.refresh_from_db()
    assert waiting_fr.status == S.WAITLISTED
    assert waiting_de.status == S.CONFIRMED
    seat_fr.refresh_from_db()
    assert seat_fr.status == S.CONFIRMED


# --- refusals --------------------------------------------------------------------------------


def test_registering_twice_is_a_duplicate_and_writes_one_row(make_event, member, sent):
    event = make_event(capacity=3)
    services.registration_create(member, event)
    with pytest.raises(RegistrationError) as caught:
        services.registration_create(member, event)
    assert caught.value.code == "duplicate"
    assert Registration.objects.filter(event=event, user=member).count() == 1
    assert len(sent) == 1


def test_waitlisted_member_cannot_register_again(make_event, sent):
    event = make_event(capacity=1)
    first, second = members(2)
    services.registration_create(first, event)
    services.registration_create(second, event)
    with pytest.raises(RegistrationError) as caught:
        services.registration_create(second, event)
    assert caught.value.code == "duplicate"
    assert Registration.objects.filter(event=event, user=second).count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"registration_closes": timezone.now() - dt.timedelta(hours=1)}, "closed"),
        ({"registration_opens": timezone.now() + dt.timedelta(days=1)}, "not_open"),
        ({"status": "cancelled"}, "not_scheduled"),
        ({"status": "postponed"}, "not_scheduled"),
    ],
    ids=["after-close", "before-open", "cancelled", "postponed"],
)
def test_registration_outside_its_window_is_refused(make_event, member, sent, overrides, code):
    event = make_event(capacity=5, **overrides)
    with pytest.raises(RegistrationError) as caught:
        services.registration_create(member, event)
    assert caught.value.code == code
    assert caught.value.message
    assert not Registration.objects.filter(event=event).exists()
    assert sent == []


def test_registration_after_the_start_is_refused(make_event, member, sent):
    event = make_event(capacity=5)
    with pytest.raises(RegistrationError) as caught:
        services.registration_create(member, event, now=event.start + dt.timedelta(minutes=1))
    assert caught.value.code == "started"
    assert not Registration.objects.filter(event=event).exists()


def test_event_without_registration_is_refused(make_event, member, sent):
    event = make_event(registration_audience="nobody")
    with pytest.raises(NotAllowed):
        services.registration_create(member, event)
    assert not Registration.objects.filter(event=event).exists()


@pytest.mark.parametrize(
    ("audience", "registration_audience"),
    [("law_enforcement", "law_enforcement"), ("staff", "staff"), ("public", "law_enforcement")],
)
def test_member_outside_the_audience_is_not_allowed(
    make_event, member, sent, audience, registration_audience
):
    event = make_event(audience=audience, registration_audience=registration_audience)
    with pytest.raises(NotAllowed) as caught:
        services.registration_create(member, event)
    assert caught.value.code == "not_found"
    assert not Registration.objects.filter(event=event).exists()


def test_law_enforcement_member_may_register_for_law_enforcement_event(make_event, le_member, sent):
    event = make_event(audience="law_enforcement", registration_audience="law_enforcement")
    assert services.registration_create(le_member, event).status == S.CONFIRMED


@pytest.mark.parametrize("who", ["anon", "pending"])
def test_visitors_and_pending_members_are_not_allowed(make_event, sent, request, who):
    user = request.getfixturevalue(who)
    event = make_event(capacity=5)
    with pytest.raises(NotAllowed):
        services.registration_create(user, event)
    assert not Registration.objects.filter(event=event).exists()


def test_applied_but_unverified_member_is_not_allowed(make_event, sent):
    applicant = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, status="pending")
    event = make_event(capacity=5)
    with pytest.raises(NotAllowed):
        services.registration_create(applicant, event)
    assert not Registration.objects.filter(event=event).exists()


# --- answers ---------------------------------------------------------------------------------

QUESTIONS = [
    ("text", {"label": "Sample: your unit", "help_text": "", "required": True}),
    (
        "choice",
        {"label": "Sample: track", "help_text": "", "required": False, "choices": ["A", "B"]},
    ),
    ("yes_no", {"label": "Sample: dietary needs?", "help_text": "", "required": False}),
]


@pytest.fixture
def asking_event(make_event):
    event = make_event(capacity=5, questions=QUESTIONS)
    keys = {block.block_type: f"q_{block.id}" for block in event.questions}
    return event, keys


def test_valid_answers_are_stored_by_block_id(asking_event, member, sent):
    event, keys = asking_event
    answers = {keys["text"]: "  Sample unit  ", keys["choice"]: "B", keys["yes_no"]: "no"}
    registration = services.registration_create(member, event, answers)
    registration.refresh_from_db()
    stored = {key.removeprefix("q_"): key for key in keys.values()}
    assert set(registration.answers) == set(stored)
    assert registration.answers[keys["text"][2:]] == {
        "question": "Sample: your unit",
        "answer": "Sample unit",
    }
    assert registration.answers[keys["choice"][2:]]["answer"] == "B"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "ok", "choice": "C"}, "choice"),
        ({"text": "ok", "yes_no": "maybe"}, "yes_no"),
        ({"text": "x" * (services.TEXT_ANSWER_MAX + 1)}, "text"),
    ],
    ids=["unanswered", "blank", "tampered-choice", "tampered-yes-no", "oversized"],
)
def test_bad_answers_are_refused_with_field_errors(asking_event, member, sent, bad, field):
    event, keys = asking_event
    raw = {keys[name]: value for name, value in bad.items()}
    with pytest.raises(RegistrationError) as caught:
        services.registration_create(member, event, raw)
    assert caught.value.code == "answers"
    assert set(caught.value.field_errors) == {keys[field]}
    assert caught.value.field_errors[keys[field]]
    assert not Registration.objects.filter(event=event).exists()
    assert sent == []


def test_answers_for_unknown_questions_are_ignored(asking_event, member, sent):
    event, keys = asking_event
    registration = services.registration_create(
        member, event, {keys["text"]: "ok", "q_forged": "x"}
    )
    assert "forged" not in registration.answers
    assert len(registration.answers) == 3


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_frees_the_seat_and_promotes_the_first_waitlisted(make_event, sent):
    event = make_event(capacity=1)
    holder, early, late = members(3)
    seat = services.registration_create(holder, event)
    base = timezone.now()
    # Registration order is created_at, whatever the primary keys say.
    second = services.registration_create(late, event, now=base + dt.timedelta(seconds=2))
    first = services.registration_create(early, event, now=base + dt.timedelta(seconds=1))
    sent.clear()

    cancelled = services.registration_cancel(seat, by=holder)
    assert cancelled.status == S.CANCELLED
    assert cancelled.cancelled_at is not None
    assert cancelled.sequence == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.CONFIRMED
    assert first.confirmed_at is not None
    assert second.status == S.WAITLISTED
    assert sent == [(seat.pk, "cancelled", True), (first.pk, "promoted", None)]


def test_cancelling_a_waitlisted_place_promotes_nobody(make_event, sent):
    event = make_event(capacity=1)
    holder, waiting, later = members(3)
    services.registration_create(holder, event)
    waiting_reg = services.registration_create(waiting, event)
    later_reg = services.registration_create(later, event)
    sent.clear()
    services.registration_cancel(waiting_reg, by=waiting)
    later_reg.refresh_from_db()
    assert later_reg.status == S.WAITLISTED
    assert sent == [(waiting_reg.pk, "cancelled", False)]


def test_cancel_after_the_deadline_is_refused_for_the_member(make_event, member, editor, sent):
    deadline = timezone.now() + dt.timedelta(days=1)
    event = make_event(capacity=3, cancellation_deadline=deadline)
    registration = services.registration_create(member, event)
    with pytest.raises(RegistrationError) as caught:
        services.registration_cancel(
            registration, by=member, now=deadline + dt.timedelta(seconds=1)
        )
    assert caught.value.code == "deadline"
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED

    # Staff may still cancel it.
    services.registration_cancel(registration, by=editor, now=deadline + dt.timedelta(seconds=1))
    registration.refresh_from_db()
    assert registration.status == S.CANCELLED


def test_without_a_deadline_members_may_cancel_until_the_start(make_event, member, sent):
    event = make_event(capacity=3)
    registration = services.registration_create(member, event)
    with pytest.raises(RegistrationError):
        services.registration_cancel(registration, by=member, now=event.start)
    services.registration_cancel(registration, by=member, now=event.start - dt.timedelta(seconds=1))


@pytest.mark.parametrize("who", ["other", "anon", "moderator"])
def test_cancelling_someone_elses_registration_is_not_allowed(
    make_event, member, sent, request, who
):
    event = make_event(capacity=3)
    registration = services.registration_create(member, event)
    intruder = members(1)[0] if who == "other" else request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        services.registration_cancel(registration, by=intruder)
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED
    assert registration.sequence == 0


def test_cancelling_twice_is_refused(make_event, member, sent):
    event = make_event(capacity=3)
    registration = services.registration_create(member, event)
    services.registration_cancel(registration, by=member)
    with pytest.raises(RegistrationError) as caught:
        services.registration_cancel(registration, by=member)
    assert caught.value.code == "state"


def test_a_cancelled_member_may_register_again(make_event, member, sent):
    event = make_event(capacity=3)
    old = services.registration_create(member, event)
    services.registration_cancel(old, by=member)
    new = services.registration_create(member, event)
    assert new.pk != old.pk
    assert new.status == S.CONFIRMED
    assert Registration.objects.filter(event=event, user=member).active().count() == 1
    assert Registration.objects.filter(event=event, user=member).count() == 2


# --- staff decisions -------------------------------------------------------------------------


def test_approve_confirms_or_waitlists_when_full(make_event, editor, sent):
    event = make_event(capacity=1, approval_required=True)
    first, second = members(2)
    a = services.registration_create(first, event)
    b = services.registration_create(second, event)
    assert services.registration_approve(a, by=editor).status == S.CONFIRMED
    assert services.registration_approve(b, by=editor).status == S.WAITLISTED
    kinds = [kind for _, kind, _ in sent]
    assert kinds == ["pending", "pending", "approved", "waitlisted"]
    with pytest.raises(RegistrationError) as caught:
        services.registration_approve(a, by=editor)
    assert caught.value.code == "state"


def test_reject_records_the_reason(make_event, member, editor, sent):
    event = make_event(capacity=1, approval_required=True)
    registration = services.registration_create(member, event)
    rejected = services.registration_reject(registration, by=editor, reason="  Sample reason ")
    assert rejected.status == S.REJECTED
    assert rejected.decision_reason == "Sample reason"
    assert sent[-1] == (registration.pk, "rejected", None)
    # Rejected is not active: the member could apply again.
    assert not Registration.objects.filter(event=event).active().exists()


def test_reject_a_confirmed_registration_is_refused(make_event, member, editor, sent):
    event = make_event(capacity=1)
    registration = services.registration_create(member, event)
    with pytest.raises(RegistrationError):
        services.registration_reject(registration, by=editor)
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED


@pytest.mark.parametrize("who", ["member", "moderator", "le_member"])
def test_only_staff_decide(make_event, pending, sent, request, who):
    event = make_event(capacity=1, approval_required=True)
    applicant = members(1)[0]
    registration = services.registration_create(applicant, event)
    actor = request.getfixturevalue(who)
    for action in (
        services.registration_approve,
        services.registration_reject,
        services.registration_mark_attended,
    ):
        with pytest.raises(NotAllowed):
            action(registration, by=actor)
    with pytest.raises(NotAllowed):
        services.event_cancel(event, by=actor)
    registration.refresh_from_db()
    assert registration.status == S.PENDING


def test_mark_attended_and_attended_cannot_be_cancelled(make_event, member, editor, sent):
    event = make_event(capacity=1)
    registration = services.registration_create(member, event)
    attended = services.registration_mark_attended(registration, by=editor)
    assert attended.status == S.ATTENDED
    assert (
        services.registration_mark_attended(attended, by=editor).status == S.ATTENDED
    )  # idempotent
    for by in (member, editor):
        with pytest.raises(RegistrationError) as caught:
            services.registration_cancel(attended, by=by)
        assert caught.value.code == "state"
    attended.refresh_from_db()
    assert attended.status == S.ATTENDED
    # Attended still holds its seat, and still blocks a second registration.
    with pytest.raises(RegistrationError):
        services.registration_create(member, event)


def test_mark_attended_refuses_a_waitlisted_registration(make_event, editor, sent):
    event = make_event(capacity=1)
    first, second = members(2)
    services.registration_create(first, event)
    waiting = services.registration_create(second, event)
    with pytest.raises(RegistrationError):
        services.registration_mark_attended(waiting, by=editor)


# --- capacity changes ------------------------------------------------------------------------


def test_lowering_capacity_cancels_nobody(make_event, sent):
    event = make_event(capacity=4)
    users = members(5)
    for user in users:
        services.registration_create(user, event)
    assert statuses(event) == [S.CONFIRMED] * 4 + [S.WAITLISTED]
    event = publish(event, capacity=2)
    assert event.capacity == 2
    assert statuses(event) == [S.CONFIRMED] * 4 + [S.WAITLISTED]
    # Over capacity: a cancellation frees no seat for the waitlist until under capacity.
    first = Registration.objects.get(event=event, user=users[0])
    services.registration_cancel(first, by=users[0])
    assert statuses(event) == [S.CANCELLED] + [S.CONFIRMED] * 3 + [S.WAITLISTED]
    newcomer = members(1)[0]
    assert services.registration_create(newcomer, event).status == S.WAITLISTED


def test_raising_capacity_promotes_in_fifo_order(make_event, sent):
    event = make_event(capacity=1)
    users = members(4)
    base = timezone.now()
    regs = [
        services.registration_create(user, event, now=base + dt.timedelta(seconds=i))
        for i, user in enumerate(users)
    ]
    sent.clear()
    publish(event, capacity=3)
    for reg in regs:
        reg.refresh_from_db()
    assert [r.status for r in regs] == [S.CONFIRMED, S.CONFIRMED, S.CONFIRMED, S.WAITLISTED]
    assert sent == [(regs[1].pk, "promoted", None), (regs[2].pk, "promoted", None)]


def test_removing_capacity_promotes_everyone(make_event, sent):
    event = make_event(capacity=1)
    for user in members(3):
        services.registration_create(user, event)
    publish(event, capacity=None)
    assert statuses(event) == [S.CONFIRMED] * 3


def test_promote_waitlist_does_nothing_for_a_cancelled_event(make_event, editor, sent):
    event = make_event(capacity=1)
    first, second = members(2)
    services.registration_create(first, event)
    waiting = services.registration_create(second, event)
    services.event_cancel(event, by=editor)
    EventPage.objects.filter(pk=event.pk).update(capacity=5)
    assert services.waitlist_promote(event) == []
    waiting.refresh_from_db()
    assert waiting.status == S.WAITLISTED


# --- event changes ---------------------------------------------------------------------------


def test_summary_change_bumps_nothing_and_notifies_nobody(make_event, member, sent):
    event = make_event(capacity=3)
    services.registration_create(member, event)
    sent.clear()
    publish(event, summary="Sample summary, reworded.")
    assert EventCalendarState.objects.get(pk=event.pk).sequence == 0
    assert sent == []


def test_time_change_bumps_sequence_and_notifies_each_active_registrant_once(make_event, sent):
    event = make_event(capacity=2)
    users = members(4)
    regs = [services.registration_create(user, event) for user in users]
    services.registration_cancel(regs[3], by=users[3])  # cancelled: told nothing more
    sent.clear()
    publish(event, start_time=dt.time(10, 0), end_time=dt.time(13, 0))
    assert EventCalendarState.objects.get(pk=event.pk).sequence == 1
    assert sorted(sent) == sorted(
        [
            (regs[0].pk, "event_updated", True),
            (regs[1].pk, "event_updated", True),
            (regs[2].pk, "event_updated", False),
        ]
    )


def test_cancel_event_notifies_everyone_with_event_cancelled(make_event, editor, sent):
    event = make_event(capacity=1)
    first, second = members(2)
    a = services.registration_create(first, event)
    b = services.registration_create(second, event)
    sent.clear()
    cancelled = services.event_cancel(event, by=editor)
    assert cancelled.status == "cancelled"
    assert EventCalendarState.objects.get(pk=event.pk).sequence == 1
    assert sorted(sent) == sorted(
        [(a.pk, "event_cancelled", True), (b.pk, "event_cancelled", False)]
    )


def test_record_event_change_without_a_change_is_quiet(make_event, member, sent):
    event = make_event(capacity=2)
    services.registration_create(member, event)
    sent.clear()
    assert services.event_record_change(event) is False
    assert sent == []


# --- the real notifier -----------------------------------------------------------------------


def test_notify_enqueues_once_in_the_transaction_with_a_unique_key(
    make_event, member, monkeypatch, django_capture_on_commit_callbacks
):
    import events.notifications

    enqueued = []

    class FakeTask:
        def enqueue(self, *args):
            enqueued.append(args)

    monkeypatch.setattr(events.notifications, "send_registration_email_task", FakeTask())
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registration = services.registration_create(member, event)
    # Enqueued in the registering transaction, not after it (tests/events/
    # test_email_durability.py shows the task row commits and rolls back with it).
    assert enqueued == [
        (registration.pk, "confirmed", f"event:{registration.pk}:confirmed:0:0", True)
    ]
    for callback in callbacks:
        callback()
    assert len(enqueued) == 1  # nothing more after the commit

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration, by=member)
    assert enqueued[-1] == (
        registration.pk,
        "cancelled",
        f"event:{registration.pk}:cancelled:0:1",
        True,
    )


# --- who may list registrations --------------------------------------------------------------


def test_registrations_visible_to_own_for_members_all_for_staff(
    make_event, member, editor, admin_user, moderator, sent
):
    event = make_event(capacity=3)
    other = members(1)[0]
    mine = services.registration_create(member, event)
    theirs = services.registration_create(other, event)
    assert list(Registration.objects.visible_to(member)) == [mine]
    assert list(Registration.objects.visible_to(moderator)) == []
    assert list(Registration.objects.visible_to(None)) == []
    for staff in (editor, admin_user):
        assert set(Registration.objects.visible_to(staff)) == {mine, theirs}


def test_registration_decides_on_the_event_as_committed_not_as_loaded(make_event, member, sent):
    event = make_event(capacity=3)
    # An editor cancels the event after this request loaded the page.
    EventPage.objects.filter(pk=event.pk).update(status="cancelled")
    assert event.status == "scheduled"
    with pytest.raises(RegistrationError) as caught:
        services.registration_create(member, event)
    assert caught.value.code == "not_scheduled"
    assert not Registration.objects.filter(event=event).exists()


def test_registration_takes_approval_and_capacity_from_the_committed_row(make_event, sent):
    event = make_event(capacity=1)
    first, second = members(2)
    EventPage.objects.filter(pk=event.pk).update(capacity=2, approval_required=False)
    services.registration_create(first, event)
    assert services.registration_create(second, event).status == S.CONFIRMED
    EventPage.objects.filter(pk=event.pk).update(approval_required=True)
    third = members(1)[0]
    assert services.registration_create(third, event).status == S.PENDING
