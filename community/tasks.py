"""Background work of the community app."""

from django.tasks import default_task_backend, task
from django.utils import timezone

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
    """Pick up messages whose retry time has come (for backends that cannot defer)."""
    from .emails import due_for_retry

    count = 0
    for pk in due_for_retry(timezone.now()).values_list("pk", flat=True):
        deliver(pk)
        count += 1
    return count
