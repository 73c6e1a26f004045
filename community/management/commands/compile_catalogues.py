"""Compile the translation catalogues (``locale/<lang>/LC_MESSAGES/*.po`` → ``.mo``) with
Babel, so no system package (GNU gettext's ``msgfmt``) is needed to install or deploy.

``make install`` runs it; Django's own ``compilemessages`` gives the same files where
gettext is installed. A catalogue that does not parse stops the command with its file and
line, and fuzzy entries are left out (as ``msgfmt`` does), so a guess never reaches a page.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po


def catalogue_files():
    for root in settings.LOCALE_PATHS:
        yield from sorted(Path(root).glob("*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (Babel; no gettext needed)."
    # It reads and writes files only: no database, so it runs before any is configured.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Only compile catalogues newer than their .mo file.",
        )

    def handle(self, *args, if_changed=False, **options):
        compiled = 0
        for po_path in catalogue_files():
            mo_path = po_path.with_suffix(".mo")
            if (
                if_changed
                and mo_path.exists()
                and mo_path.stat().st_mtime >= po_path.stat().st_mtime
            ):
                continue
            locale = po_path.parent.parent.name
            try:
                with po_path.open("rb") as handle:
                    catalogue = read_po(handle, locale=locale, abort_invalid=True)
            except (PoFileError, ValueError) as exc:
                raise CommandError(f"{po_path}: {exc}") from exc
            with mo_path.open("wb") as handle:
                write_mo(handle, catalogue, use_fuzzy=False)
            compiled += 1
        self.stdout.write(f"{compiled} catalogue(s) compiled.")
