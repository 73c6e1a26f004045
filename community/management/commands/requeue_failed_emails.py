"""Send failed emails again, each with a fresh retry window."""

import re
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from community.emails import requeue
from community.models import OutboundEmail

DURATION = re.compile(r"^(\d+)([hd])$")


def parse_since(value: str, now: datetime) -> datetime:
    """``12h``, ``3d``, ``2026-11-30`` or ``2026-11-30T08:00`` → an aware datetime."""
    match = DURATION.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(hours=amount if unit == "h" else 24 * amount)
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(
                f"--since {value!r}: give a duration such as 12h or 3d, or a date such as "
                "2026-11-30 (optionally with a time, 2026-11-30T08:00)."
            )
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Re-queue failed emails (all, or those queued since --since) for a fresh retry window."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="Only emails queued since then: a duration (12h, 3d) or a date/time.",
        )

    def handle(self, *args, since=None, **options):
        failed = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED)
        if since:
            failed = failed.filter(queued_at__gte=parse_since(since, timezone.now()))
        count = requeue(failed)
        self.stdout.write(f"Re-queued {count} failed email(s).")
