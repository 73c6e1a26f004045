"""What the demo's builders share: the production guard, the report and the copy loader."""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

# The copy: JSON files that ship with the code (docs/demo.md says how to edit them).
CONTENT_DIR = Path(__file__).parent / "content"


class DemoRefused(Exception):
    """The demo content must not be written here (production settings)."""


@dataclass
class Report:
    """What a run created and what it found already there, for the command to print."""

    created: list[tuple[str, str]] = field(default_factory=list)
    present: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)

    def note(self, kind: str, label: str, created: bool) -> None:
        (self.created if created else self.present).append((kind, label))


def load(name: str):
    """The parsed ``content/<name>.json``, read afresh so builders may change what they get."""
    return json.loads((CONTENT_DIR / f"{name}.json").read_text(encoding="utf-8"))


def sample_notice() -> str:
    """The line that opens every demo page."""
    return _("Sample content for demonstration.")


def is_production() -> bool:
    """True under the production settings module, however it was selected."""
    modules = [
        getattr(settings, "SETTINGS_MODULE", "") or "",
        os.environ.get("DJANGO_SETTINGS_MODULE", ""),
    ]
    return any(m.rsplit(".", 1)[-1].startswith("production") for m in modules if m)


def ensure_not_production() -> None:
    if is_production():
        raise DemoRefused(
            _(
                "Refusing to write demo content under production settings (%(module)s). "
                "Demo accounts have published passwords; use development settings."
            )
            % {"module": settings.SETTINGS_MODULE}
        )
