"""Queue the reminders due now (run it every few minutes from cron or a scheduler)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from events.reminders import enqueue_due_reminders


class Command(BaseCommand):
    help = "Queue event reminders (EVENT_REMINDER_HOURS before the start), each once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Pretend it is this ISO 8601 moment (with offset); for checks and replays.",
        )

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError("--now needs an ISO 8601 date and time with an offset.")
        counts = enqueue_due_reminders(moment)
        for hours, count in sorted(counts.items(), reverse=True):
            self.stdout.write(f"{hours} h reminders queued: {count}")
        self.stdout.write(f"Total: {sum(counts.values())}")
