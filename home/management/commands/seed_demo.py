"""``manage.py seed_demo [--reset] [--seed N]``: sample pages, settings and demo accounts."""

import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from home import demo


class Command(BaseCommand):
    help = (
        "Create clearly labelled sample content and one demo account per role. "
        "Idempotent; refuses to run under production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo pages, accounts and agency domains first, then rebuild them.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Seed for anything that varies; the same seed gives the same content.",
        )

    def handle(self, *args, reset=False, seed=1, **options):
        try:
            with _quiet_loggers("django.tasks", "wagtail"):
                report = demo.seed(seed=seed, reset=reset)
        except demo.DemoRefused as exc:
            raise CommandError(str(exc)) from exc

        sections = [
            (report.removed, _("removed"), self.stdout.write),
            (
                report.created,
                _("created"),
                lambda line: self.stdout.write(self.style.SUCCESS(line)),
            ),
            (report.present, _("already present"), self.stdout.write),
        ]
        for items, status, write in sections:
            for kind, label in items:
                write(f"{status:<16} {kind}: {label}")
        self.stdout.write(
            _("%(created)d created, %(present)d already present.")
            % {"created": len(report.created), "present": len(report.present)}
        )
        self._print_accounts()

    def _print_accounts(self):
        rows = [(_("Email"), _("Password"), _("Role"))]
        rows += [
            (account.email, demo.DEMO_PASSWORD, demo.role_label(account.role))
            for account in demo.DEMO_ACCOUNTS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (sample only; never use these on a real site):"))
        for i, row in enumerate(rows):
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write(
            _(
                "Accounts that were already present keep whatever password they have now. "
                "Moderator, editor and admin must set up an authenticator app (TOTP) on "
                "their first visit to /admin/ or /moderation/."
            )
        )


@contextmanager
def _quiet_loggers(*names):
    """Hide per-task and per-page INFO lines so the report stays readable; warnings still show.

    Django's task signals also attach the traceback of whatever exception is being handled
    (such as get_or_create's DoesNotExist), which reads like an error but is not one.
    """
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
