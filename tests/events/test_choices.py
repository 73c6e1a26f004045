"""States are enums: a value the code or a template compares against must be one of them."""

import re
from pathlib import Path

import pytest

from events.choices import EmailKind, Panel, RegistrationWindow
from events.emails import parse_kind
from events.models import EventPage

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
COMPARED = {
    "panel": Panel,
    "registration_state": RegistrationWindow,
}


def _literals(name, root=TEMPLATES):
    """(template, value) for every ``name == "value"`` / ``name != "value"`` in templates."""
    pattern = re.compile(rf"\b{name}\s*(?:==|!=)\s*[\"']([^\"']*)[\"']")
    for path in root.rglob("*.html"):
        for value in pattern.findall(path.read_text(encoding="utf-8")):
            yield path.relative_to(root), value


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_templates_compare_states_only_with_known_values(name):
    enum = COMPARED[name]
    found = list(_literals(name))
    assert found, f"no template compares {name}: the check reads nothing"
    unknown = [(str(path), value) for path, value in found if value not in set(enum)]
    assert unknown == [], f"not a {enum.__name__}: {unknown}"


def test_the_template_check_catches_a_typo(tmp_path):
    (tmp_path / "t.html").write_text('{% if panel == "registred" %}{% endif %}')
    assert [value for _path, value in _literals("panel", tmp_path)] == ["registred"]
    assert "registred" not in set(Panel)


def test_email_kinds_parse_and_unknown_ones_are_refused():
    assert parse_kind("reminder_24h") == (EmailKind.REMINDER, 24)
    assert parse_kind(EmailKind.reminder(2)) == (EmailKind.REMINDER, 2)
    assert parse_kind("event_updated") == (EmailKind.EVENT_UPDATED, None)
    with pytest.raises(ValueError):
        parse_kind("confirmd")


def test_every_email_kind_has_its_templates():
    for kind in EmailKind:
        for suffix in ("", "_subject"):
            assert (TEMPLATES / "events" / "email" / f"{kind}{suffix}.txt").exists(), kind


@pytest.mark.django_db
def test_the_registration_window_is_an_enum():
    window = EventPage(registration_audience="nobody").registration_window()
    assert window is RegistrationWindow.NONE
