"""Deliver queued emails whose time has come, for task backends that cannot defer a retry."""

from collections import Counter

from django.core.management.base import BaseCommand
from django.utils import timezone

from community.emails import deliver, due_for_retry


class Command(BaseCommand):
    help = "Send emails that are queued or waiting to retry and are due now (run every minute)."

    def handle(self, *args, **options):
        statuses = Counter()
        # Listed up front: deliver() commits per message, so no cursor stays open meanwhile.
        for pk in list(due_for_retry(timezone.now()).values_list("pk", flat=True)):
            statuses[deliver(pk)] += 1
        self.stdout.write(
            f"Tried {sum(statuses.values())} email(s): {statuses['sent']} sent, "
            f"{statuses['retrying']} waiting to retry, {statuses['failed']} failed."
        )
