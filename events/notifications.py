"""Hand registration emails to the task queue in the transaction that causes them."""

from contextlib import contextmanager
from contextvars import ContextVar

from .choices import EmailKind
from .records import EventCalendarState
from .tasks import send_registration_email as send_registration_email_task

# An editor's words for the cancellation emails. Wagtail's publish signal reaches
# event_record_change with only the page, so event_cancel sets the text here for the length
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
    """Queue the email ``kind`` for ``registration``, in the caller's transaction.

    The database queue writes the task row in that transaction, so the email is committed
    with the change that causes it and rolled back with it: no moment exists where the change
    is saved and the email is not (a process killed after the commit, before any on_commit
    callback, loses nothing). The worker sees the task only once the change is committed.

    The key fixes what the email is about (registration, kind, event and registration
    sequence), so a retried task or a repeated call never sends it twice.
    """
    event_sequence = (
        EventCalendarState.objects.filter(pk=registration.event_id)
        .values_list("sequence", flat=True)
        .first()
        or 0
    )
    key = f"event:{registration.pk}:{kind}:{event_sequence}:{registration.sequence}"
    invite = registration.holds_seat if had_invite is None else had_invite
    args = (registration.pk, kind, key, invite)
    message = _cancellation_message.get() if kind == EmailKind.EVENT_CANCELLED else ""
    if message:
        args = (*args, None, message)
    send_registration_email_task.enqueue(*args)
