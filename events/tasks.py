"""Background work of the events app: registration emails and reminders."""

from django.tasks import task


@task()
def send_registration_email(
    registration_id: int,
    kind: str,
    key: str,
    invite: bool,
    occurrence: str | None = None,
    message: str = "",
) -> str:
    """Render the email ``kind`` (with its .ics when ``invite``) and queue it once under ``key``."""
    from .emails import build_registration_email

    return build_registration_email(registration_id, kind, key, invite, occurrence, message=message)


@task()
def send_due_reminders() -> dict:
    """For schedulers: queue every reminder due now (same as ``send_event_reminders``)."""
    from .reminders import enqueue_due_reminders

    # Task results must be JSON: keys become strings.
    return {str(hours): count for hours, count in enqueue_due_reminders().items()}
