"""Hand registration emails to the task queue once the transaction commits."""

from django.db import transaction


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
    transaction.on_commit(lambda: send_registration_email.enqueue(*args))
