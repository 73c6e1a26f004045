"""Empty registration answers once an event is far enough in the past. Safe to re-run.

Answers can hold personal details an event needed only for its preparation (dietary needs,
the member's role in their agency); the retention period is
``settings.REGISTRATION_ANSWER_RETENTION_DAYS`` after the event ends. The registration
itself stays: attendance is part of the lab's record.
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from events.models import Registration


def due_for_purge(now=None):
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.REGISTRATION_ANSWER_RETENTION_DAYS)
    return Registration.objects.filter(event__end__lt=cutoff, answers_purged_at__isnull=True)


class Command(BaseCommand):
    help = (
        "Empty the answers of registrations for events that ended more than "
        "REGISTRATION_ANSWER_RETENTION_DAYS days ago (run daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be purged; write nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        days = settings.REGISTRATION_ANSWER_RETENTION_DAYS
        if dry_run:
            count = due_for_purge(now).count()
            self.stdout.write(
                f"Would purge the answers of {count} registration(s) "
                f"(events ended more than {days} days ago)."
            )
            return
        with transaction.atomic():
            count = due_for_purge(now).update(answers={}, answers_purged_at=now)
        self.stdout.write(
            f"Purged the answers of {count} registration(s) "
            f"(events ended more than {days} days ago)."
        )
