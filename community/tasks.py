"""Background work of the community app."""

from django.tasks import default_task_backend, task

from .emails import deliver
from .models import OutboundEmail


@task()
def send_outbound_email(pk: str) -> str:
    """Send a recorded email once; on failure schedule the next try with backoff."""
    status = deliver(pk)
    if status == OutboundEmail.Status.RETRYING and default_task_backend.supports_defer:
        record = OutboundEmail.objects.get(pk=pk)
        send_outbound_email.using(run_after=record.next_attempt_at).enqueue(pk)
    return status


@task()
def retry_due_emails() -> int:
    """Reclaim expired leases and send what is due (for backends that cannot defer)."""
    from .emails import send_due

    return sum(send_due().values())
