"""Background work of the events app: registration emails and reminders."""

from django.tasks import task


@task()
def send_registration_email(registration_id: int, kind: str, key: str, invite: bool) -> str:
    """Render the email ``kind`` (with its .ics when ``invite``) and queue it once under ``key``."""
    from .emails import send_registration_email as send

    return send(registration_id, kind, key, invite)
