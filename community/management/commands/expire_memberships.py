"""Expire memberships past their date and ask each member to re-confirm. Safe to re-run."""

from django.core.management.base import BaseCommand

from community import services


class Command(BaseCommand):
    help = "Expire verified memberships whose expiry date has passed (run daily)."

    def handle(self, *args, **options):
        count = services.membership_expire_due()
        self.stdout.write(f"Expired {count} membership(s).")
