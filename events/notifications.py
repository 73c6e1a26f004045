"""Hand registration emails to the task queue once the transaction commits."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

# An editor's words for the cancellation emails. Wagtail's publish signal reaches
# record_event_change with only the page, so cancel_event sets the text here for the length
# of its publish; from here it travels in each email task's arguments.
_cancellation_message: ContextVar[str] = ContextVar("cancellation_message", default="")


@contextmanager
def cancellation_message(text: str):
    token = _cancellation_message.set(text or "")
    try:
        yield
    finally:
        _cancellation_message.reset(token)


def notify(registration, kind: str, *, had_invite: bool | None = None) -> None:
    """Queue the email ``kind`` for ``registration`` after commit.

    The key fixes what the email is about (registration, kind, event and registration
    sequence), so a retried task or a repeated call never sends it twice.
    """
    from .models import EventCalendarState
    from .tasks import send_registration_email

    event_sequence = (
        EventCalendarState.objects.filter(pk=registration.event_id)
        .values_list("sequence", flat=True)
        .first()
        or 0
    )
    key = f"event:{registration.pk}:{kind}:{event_sequence}:{registration.sequence}"
    invite = registration.holds_seat if had_invite is None else had_invite
    args = (registration.pk, kind, key, invite)
    message = _cancellation_message.get() if kind == "event_cancelled" else ""
    if message:
        args = (*args, None, message)
    transaction.on_commit(lambda: send_registration_email.enqueue(*args))
