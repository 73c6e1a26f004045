"""Deliver queued emails whose time has come, for task backends that cannot defer a retry."""

from django.core.management.base import BaseCommand

from community.emails import send_due


class Command(BaseCommand):
    help = (
        "Return emails whose sender died to the queue, then send those queued or waiting to "
        "retry that are due now (run every minute)."
    )

    def handle(self, *args, **options):
        statuses = send_due()
        self.stdout.write(
            f"Tried {sum(statuses.values())} email(s): {statuses['sent']} sent, "
            f"{statuses['retrying']} waiting to retry, {statuses['failed']} failed, "
            f"{statuses['withheld']} withheld."
        )
