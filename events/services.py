"""Registration operations. Each one that counts seats runs in one transaction holding the
event's lock row (EventLock), recounts, then writes — so seats are never
overbooked, whichever process or thread the requests arrive on."""

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access, audit
from community.accounts import user_display
from community.service_errors import NotAllowed, ServiceError
from community.validators import MULTI_LINE_FORBIDDEN

from . import emails
from .answers import TEXT_ANSWER_MAX, question_key
from .choices import (
    SEAT_STATUSES,
    Attendance,
    EmailKind,
    EventFormat,
    EventStatus,
    RegistrationStatus,
    RegistrationWindow,
)
from .notifications import cancellation_message, notify
from .records import EventCalendarState, EventLock, Registration

CANCEL_MESSAGE_MAX = 2000


class RegistrationError(ServiceError):
    """A registration request that cannot be carried out; the message is for the member."""

    def __init__(self, message, *, code="invalid", field_errors=None):
        super().__init__(code, message, field_errors=field_errors)


class Busy(RegistrationError):
    """The event's lock was not free within ``EVENT_LOCK_TIMEOUT_SECONDS``: nothing was done."""

    def __init__(self):
        super().__init__(
            _("Many people are registering for this event right now. Please try again."),
            code="busy",
        )


# PostgreSQL's "lock_not_available": raised when lock_timeout runs out.
_LOCK_NOT_AVAILABLE = "55P03"


def lock_event(event):
    """Take the event's lock row and return the event as committed now.

    Must run inside a transaction. The lock row exists before the first registration
    (created outside the lock so that concurrent first requests do not race to insert it).
    On PostgreSQL the wait is bounded by ``EVENT_LOCK_TIMEOUT_SECONDS`` (``SET LOCAL
    lock_timeout``, for the rest of this transaction): a request that cannot have the lock in
    time gets :class:`Busy` instead of holding a web worker until the gateway gives up.
    """
    EventLock.objects.get_or_create(event_id=event.pk)
    if connection.vendor == "postgresql":
        milliseconds = int(float(settings.EVENT_LOCK_TIMEOUT_SECONDS) * 1000)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])
    try:
        EventLock.objects.select_for_update().get(pk=event.pk)
    except OperationalError as exc:
        if getattr(exc.__cause__, "pgcode", None) == _LOCK_NOT_AVAILABLE:
            raise Busy from exc
        raise
    return _reread(event)


def _reread(event):
    """The event page as committed now (the caller's copy may be stale)."""
    return type(event).objects.get(pk=event.pk)


def has_seat(event, country: str, attendance: str = "") -> bool:
    """Whether one more registrant from ``country`` attending as ``attendance`` fits now.

    Counts seats only; whether someone is waiting ahead is ``registration_create``'s
    question, which it answers by promoting the waitlist first (under the event's lock)."""
    if attendance == Attendance.ONLINE and event.format == EventFormat.HYBRID:
        return True  # the online room of a hybrid event has no seat limit
    if event.capacity is not None and Registration.objects.seats_taken(event) >= event.capacity:
        return False
    if event.country_quota is not None and country:
        return Registration.objects.seats_taken(event, country) < event.country_quota
    return True


def clean_answers(event, raw: dict) -> dict:
    """Validate answers against the event's questions; keyed by the question's block id."""
    cleaned, errors = {}, {}
    for block in event.questions:
        key = question_key(block.id)
        value = raw.get(key, "")
        value = value.strip() if isinstance(value, str) else value
        question = block.value
        label = question["label"]
        if block.block_type == "yes_no":
            if value in ("", None):
                value = ""
            elif value not in ("yes", "no"):
                errors[key] = _("Answer yes or no.")
                continue
        elif block.block_type == "choice":
            if value and value not in list(question["choices"]):
                errors[key] = _("Choose one of the options.")
                continue
        elif isinstance(value, str) and len(value) > TEXT_ANSWER_MAX:
            errors[key] = _("Keep the answer under %(n)s characters.") % {"n": TEXT_ANSWER_MAX}
            continue
        elif isinstance(value, str) and MULTI_LINE_FORBIDDEN.search(value):
            # Line breaks and tabs are fine in a text answer; other control characters
            # break the spreadsheets and emails the answer goes into.
            errors[key] = _("Remove the invisible control characters from your answer.")
            continue
        if question["required"] and value in ("", None):
            errors[key] = _("This question needs an answer.")
            continue
        cleaned[block.id] = {"question": label, "answer": value}
    if errors:
        raise RegistrationError(
            _("Please answer the questions marked below."), code="answers", field_errors=errors
        )
    return cleaned


def clean_attendance(event, value) -> str:
    """How the registrant attends: asked only for hybrid events, and then required."""
    if event.format != EventFormat.HYBRID:
        return ""
    value = (value or "").strip() if isinstance(value, str) else ""
    if value not in Attendance.values:
        raise RegistrationError(
            _("Choose whether you will attend in person or online."),
            code="attendance",
            field_errors={"attendance": _("Choose in person or online.")},
        )
    return value


def _record(registration: Registration, action: str, *, actor, old_status: str, **data):
    """The audit entry of a registration's change, in the caller's transaction: who it is
    about and the status before and after, never the answers."""
    audit.record(
        registration,
        action,
        actor=actor,
        title=f"{user_display(registration.user)} → {registration.event.title}",
        member=registration.user_id,
        event=registration.event_id,
        old_status=old_status,
        new_status=registration.status,
        **data,
    )


def _member_country(user) -> str:
    membership = getattr(user, "membership", None)
    return str(membership.country) if membership and membership.country else ""


def registration_create(
    user,
    event,
    answers: dict | None = None,
    *,
    attendance: str = "",
    now=None,
) -> Registration:
    """Register ``user``: confirmed, waitlisted or pending approval. Raises on refusal.

    For a hybrid event ``attendance`` ("in_person" or "online") is required; only in-person
    registrants take seats, so online ones are never waitlisted."""
    if not access.can(user, "events.register", event):
        raise NotAllowed
    stamped = now
    now = now or timezone.now()
    window = event.registration_window(now)
    if window != RegistrationWindow.OPEN:
        raise RegistrationError(_("Registration is not open for this event."), code=window)
    attendance = clean_attendance(event, attendance)
    cleaned = clean_answers(event, answers or {})
    country = _member_country(user)

    with transaction.atomic():
        current = lock_event(event)
        # The line is the order requests get the lock: stamp the arrival under it, or one
        # that waited here would carry an earlier time than the one holding the lock.
        now = stamped or timezone.now()
        # The page the request loaded may be stale: an editor may have cancelled or closed
        # the event since. Decide on the row as committed now.
        window = current.registration_window(now)
        if window != RegistrationWindow.OPEN:
            raise RegistrationError(_("Registration is not open for this event."), code=window)
        if Registration.objects.filter(event=current, user=user).active().exists():
            raise RegistrationError(
                _("You are already registered for this event."), code="duplicate"
            )
        # Those waiting come first. Wagtail's publish commits a raised capacity before its
        # signal takes this lock to promote (event_record_change), so a newcomer can arrive
        # in between and find the new seats free: fill them from the waitlist before
        # deciding, and nobody is confirmed while someone eligible waits ahead of them.
        _promote(current, now)
        if current.approval_required:
            status = RegistrationStatus.PENDING
        elif has_seat(current, country, attendance := clean_attendance(current, attendance)):
            status = RegistrationStatus.CONFIRMED
        else:
            status = RegistrationStatus.WAITLISTED
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    event=current,
                    user=user,
                    status=status,
                    answers=cleaned,
                    attendance=attendance,
                    country=country,
                    created_at=now,
                    confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
                )
        except IntegrityError as exc:  # the partial unique index: a parallel duplicate
            raise RegistrationError(
                _("You are already registered for this event."), code="duplicate"
            ) from exc
        _record(registration, "events.registration.create", actor=user, old_status="")
        notify(registration, EmailKind(status))
    return registration


def _promote(event, now) -> list[Registration]:
    """Fill free seats from the waitlist in arrival order. Call with the lock held.

    A waiting registrant is skipped only when they cannot have a seat (their country's quota
    is full); at a hybrid event only in-person registrants wait, for room seats. Called by
    every step that may free a seat or find one freed: cancel, a publish (capacity rise), and
    ``registration_create`` before it decides a newcomer's status."""
    promoted = []
    # A series frees seats for its remaining dates until the last one is over.
    if event.status != EventStatus.SCHEDULED or event.is_over_at(now):
        return promoted
    if event.capacity is not None and Registration.objects.seats_taken(event) >= event.capacity:
        return promoted  # the usual case when someone waits: no need to read the waitlist
    waiting = Registration.objects.filter(event=event).waitlisted()
    # Register runs this on every request: a country found full stays full for the rest
    # of the pass (promoting only adds seats), so it is counted once, not once per waiter.
    full = set()
    for registration in waiting:
        if event.capacity is not None and Registration.objects.seats_taken(event) >= event.capacity:
            break
        kind = (registration.country, registration.attendance)
        if kind in full:
            continue
        if not has_seat(event, registration.country, registration.attendance):
            full.add(kind)
            continue  # this country's quota is full; the next in line may still fit
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at", "updated_at"])
        # The system's doing, whoever's request freed the seat.
        _record(
            registration,
            "events.registration.promote",
            actor=None,
            old_status=RegistrationStatus.WAITLISTED,
        )
        notify(registration, EmailKind.PROMOTED)
        promoted.append(registration)
    return promoted


def waitlist_promote(event, *, now=None) -> list[Registration]:
    with transaction.atomic():
        current = lock_event(event)
        return _promote(current, now or timezone.now())


def registration_cancel(registration: Registration, *, by, now=None) -> Registration:
    """Cancel a registration (by its member before the deadline, or by staff)."""
    now = now or timezone.now()
    is_staff = access.can(by, "events.manage_registrations")
    if registration.user_id != getattr(by, "pk", None) and not is_staff:
        raise NotAllowed
    with transaction.atomic():
        current = lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        refusal = registration.cancel_refusal(now=now, by_staff=is_staff, event=current)
        if refusal == "state":
            raise RegistrationError(_("This registration cannot be cancelled."), code="state")
        if refusal == "deadline":
            raise RegistrationError(
                _("The cancellation deadline has passed. Please contact the lab."),
                code="deadline",
            )
        held_seat = registration.holds_seat
        old_status = registration.status
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.sequence += 1
        registration.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
        _record(
            registration,
            "events.registration.cancel",
            actor=by,
            old_status=old_status,
            # Staff cancelling their own seat cancel as a member.
            by="member" if registration.user_id == by.pk else "staff",
        )
        notify(registration, EmailKind.CANCELLED, had_invite=held_seat)
        if held_seat:
            _promote(current, now)
    return registration


def registration_approve(registration: Registration, *, by, now=None) -> Registration:
    if not access.can(by, "events.manage_registrations"):
        raise NotAllowed
    now = now or timezone.now()
    with transaction.atomic():
        current = lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != RegistrationStatus.PENDING:
            raise RegistrationError(_("Only pending registrations can be approved."), code="state")
        if has_seat(current, registration.country, registration.attendance):
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
        else:
            registration.status = RegistrationStatus.WAITLISTED
        registration.save(update_fields=["status", "confirmed_at", "updated_at"])
        _record(
            registration,
            "events.registration.approve",
            actor=by,
            old_status=RegistrationStatus.PENDING,
        )
        notify(
            registration,
            EmailKind.APPROVED if registration.holds_seat else EmailKind.WAITLISTED,
        )
    return registration


def registration_reject(registration: Registration, *, by, reason: str = "") -> Registration:
    if not access.can(by, "events.manage_registrations"):
        raise NotAllowed
    with transaction.atomic():
        lock_event(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
            raise RegistrationError(
                _("Only pending or waitlisted registrations can be rejected."), code="state"
            )
        old_status = registration.status
        registration.status = RegistrationStatus.REJECTED
        registration.decision_reason = reason.strip()
        registration.save(update_fields=["status", "decision_reason", "updated_at"])
        _record(
            registration,
            "events.registration.reject",
            actor=by,
            old_status=old_status,
            reason=registration.decision_reason,
        )
        notify(registration, EmailKind.REJECTED)
    return registration


def registration_mark_attended(registration: Registration, *, by) -> Registration:
    if not access.can(by, "events.manage_registrations"):
        raise NotAllowed
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED):
            raise RegistrationError(_("Only confirmed registrants can attend."), code="state")
        if registration.status != RegistrationStatus.ATTENDED:
            registration.status = RegistrationStatus.ATTENDED
            registration.save(update_fields=["status", "updated_at"])
            _record(
                registration,
                "events.registration.attended",
                actor=by,
                old_status=RegistrationStatus.CONFIRMED,
            )
    return registration


def event_record_change(event, *, now=None) -> bool:
    """After a publish: bump SEQUENCE and notify registrants if time, place or status changed.

    Returns True when the change was significant. Also fills seats a capacity rise freed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = lock_event(event)
        state = EventCalendarState.for_event(current)
        fingerprint = current.significant_fingerprint()
        changed = fingerprint != state.fingerprint
        if changed:
            state.sequence += 1
            state.fingerprint = fingerprint
            state.changed_at = now
            state.save()
            kind = EmailKind.EVENT_CANCELLED if current.is_cancelled else EmailKind.EVENT_UPDATED
            # A correction to an event that is over changes the feeds, but is no news to
            # the people who attended.
            if not current.is_over_at(now):
                for registration in Registration.objects.filter(event=current).active():
                    notify(registration, kind, had_invite=registration.holds_seat)
        if not current.is_cancelled:
            _promote(current, now)
    return changed


def event_cancel(event, *, by, now=None, message: str = ""):
    """Cancel the event (a new published revision with status cancelled) and notify.

    ``message`` (optional, plain text) goes into every registrant's cancellation email.
    """
    if not access.can(by, "events.manage_registrations"):
        raise NotAllowed
    message = (message or "").strip()
    if len(message) > CANCEL_MESSAGE_MAX:
        raise RegistrationError(
            _("Keep the message under %(n)s characters.") % {"n": CANCEL_MESSAGE_MAX},
            code="message",
        )
    with transaction.atomic():
        # From the live page, not the latest revision: an editor's unpublished draft must
        # not go live along with the cancellation.
        page = _reread(event)
        if page.is_cancelled:
            raise RegistrationError(_("This event is already cancelled."), code="state")
        draft = page.latest_revision if page.has_unpublished_changes else None
        page.status = EventStatus.CANCELLED
        revision = page.save_revision(user=by, log_action=True)
        # Publishing notifies registrants (event_record_change, from Wagtail's signal).
        with cancellation_message(message):
            revision.publish(user=by)
        if draft is not None:
            # The editor's work stays the latest revision, cancelled too: publishing that
            # draft later must not quietly bring the event back.
            pending = draft.as_object()
            pending.status = EventStatus.CANCELLED
            pending.save_revision(user=by, log_action=True)
        # Wagtail logged the edit and the publish; this entry says what they were for.
        # The message itself goes to the registrants, not into the trail.
        audit.record(
            page,
            "events.event.cancel",
            actor=by,
            event=page.pk,
            notified=Registration.objects.filter(event=page).active().count(),
            with_message=bool(message),
        )
    return _reread(event)


def message_recipients(event, choice: str):
    """Who a message to attendees goes to: "confirmed", "confirmed_waitlisted" or "active"."""
    qs = Registration.objects.filter(event=event)
    if choice == "confirmed":
        qs = qs.holding_seats()
    elif choice == "confirmed_waitlisted":
        qs = qs.filter(status__in=[*SEAT_STATUSES, RegistrationStatus.WAITLISTED])
    else:
        qs = qs.active()
    return qs.select_related("user", "user__membership").order_by("created_at", "pk")


def event_message_attendees(
    event, *, by, recipients: str, subject: str, message: str, batch
) -> int:
    """Queue an editor's message once per chosen registrant; returns how many emails are new
    (0 when this form, ``batch``, was sent already, or nobody matched)."""
    if not access.can(by, "events.manage_registrations", event):
        raise NotAllowed
    with transaction.atomic():
        queued = emails.queue_attendee_message(
            event,
            list(message_recipients(event, recipients)),
            subject=subject,
            message=message,
            batch=batch,
        )
        if queued:
            # Who sent what to whom, in numbers; the body stays in the emails themselves.
            audit.record(
                event,
                "events.message_attendees",
                actor=by,
                event=event.pk,
                recipients=recipients,
                count=queued,
                subject=subject,
                batch=str(batch),
            )
    return queued
