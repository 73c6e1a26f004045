"""Background work of the community app.

The rule for every app's tasks: a task module imports what it runs inside the task body, and
code that enqueues imports the task at its module's top as ``<name>_task``; so the two never
import each other at load time (tests/test_import_cycles.py). Task paths stay stable: queued
rows name them.
"""

from django.tasks import default_task_backend, task

from .models import OutboundEmail


@task()
def send_outbound_email(pk: str) -> str:
    """Send a recorded email once; on failure schedule the next try with backoff."""
    from .emails import deliver

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
