"""Email the staff a list of failed mail (run daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from community.emails import queue_message
from community.models import OutboundEmail

LIMIT = 200  # enough to act on; the email log has the rest


class Command(BaseCommand):
    help = "Send STAFF_NOTIFICATION_EMAILS the list of failed emails (once a day; nothing if none)."

    def handle(self, *args, **options):
        failed = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).order_by(
            "-queued_at"
        )
        total = failed.count()
        if not total or not settings.STAFF_NOTIFICATION_EMAILS:
            self.stdout.write(f"{total} failed email(s); no report sent.")
            return
        lines = [
            f"{total} email(s) could not be delivered and will not be retried on their own.",
            "",
        ]
        for email in failed[:LIMIT]:
            lines += [
                f"- {email.subject}",
                f"  to: {', '.join(email.to)}; queued {email.queued_at:%Y-%m-%d %H:%M} UTC; "
                f"{email.attempts} attempt(s)",
                f"  last error: {email.last_error.splitlines()[0] if email.last_error else '-'}",
            ]
        if total > LIMIT:
            lines.append(f"… and {total - LIMIT} more in the email log.")
        log_url = settings.SITE_URL.rstrip("/") + reverse("email-log:index")
        lines += [
            "",
            f"Email log (select and choose Re-queue): {log_url}?status=failed",
            "Or on the server: manage.py requeue_failed_emails [--since 3d]",
        ]
        today = timezone.now().date().isoformat()
        record = queue_message(
            # One report a day, however often the command runs.
            key=f"failed-email-report:{today}",
            to=settings.STAFF_NOTIFICATION_EMAILS,
            subject=f"[{settings.WAGTAIL_SITE_NAME}] {total} failed email(s) on {today}",
            body_text="\n".join(lines) + "\n",
        )
        self.stdout.write(f"{total} failed email(s); report {record.pk} queued.")
