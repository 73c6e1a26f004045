"""Email the staff a list of failed mail (run daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
        today = timezone.now().date().isoformat()
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = self.compose(failed, total, today)
        record = queue_message(
            # One report a day, however often the command runs.
            key=f"failed-email-report:{today}",
            to=settings.STAFF_NOTIFICATION_EMAILS,
            subject=subject,
            body_text=body,
        )
        self.stdout.write(f"{total} failed email(s); report {record.pk} queued.")

    def compose(self, failed, total, today):
        lines = [
            ngettext(
                "%(count)d email could not be delivered and will not be retried on its own.",
                "%(count)d emails could not be delivered and will not be retried on their own.",
                total,
            )
            % {"count": total},
            "",
        ]
        for email in failed[:LIMIT]:
            error = email.last_error.splitlines()[0] if email.last_error else "-"
            lines += [
                f"- {email.subject}",
                "  "
                + _("to: %(to)s; queued %(queued)s UTC; %(attempts)d attempt(s)")
                % {
                    "to": ", ".join(email.to),
                    "queued": f"{email.queued_at:%Y-%m-%d %H:%M}",
                    "attempts": email.attempts,
                },
                "  " + _("last error: %(error)s") % {"error": error},
            ]
        if total > LIMIT:
            lines.append(_("… and %(count)d more in the email log.") % {"count": total - LIMIT})
        log_url = settings.SITE_URL.rstrip("/") + reverse("email-log:index")
        lines += [
            "",
            _("Email log (filter on Failed, select, choose Re-queue): %(url)s")
            % {"url": f"{log_url}?status=failed"},
            _("Or on the server: %(command)s")
            % {"command": "manage.py requeue_failed_emails [--since 3d]"},
        ]
        subject = ngettext(
            "[%(site)s] %(count)d failed email on %(day)s",
            "[%(site)s] %(count)d failed emails on %(day)s",
            total,
        ) % {"site": settings.WAGTAIL_SITE_NAME, "count": total, "day": today}
        return subject, "\n".join(lines) + "\n"
