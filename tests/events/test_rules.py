"""The events rules per role, checked against the table in docs/access.md."""

from pathlib import Path

import pytest

from community import access
from community.models import Membership
from events import services
from tests.factories import UserFactory, make_member
from tests.helpers import verified

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
COLUMNS = ["register_signed_in", "register_members", "register_le", "manage", "own_join_link"]


def _doc_table():
    section = DOC.read_text(encoding="utf-8").split("## Events", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    table = {}
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0]] = dict(zip(COLUMNS, [c == "yes" for c in cells[1:]], strict=True))
    return table


def _user(role):
    other = Membership.Kind.OTHER
    return {
        "anonymous": lambda: None,
        "pending": lambda: UserFactory(),
        "member": lambda: make_member(kind=other),
        "law_enforcement": lambda: make_member(kind=Membership.Kind.LAW_ENFORCEMENT),
        "expert": lambda: make_member(kind=Membership.Kind.EXPERT),
        # The documented roles are the roles in force: a verified session for the privileged.
        "moderator": lambda: verified(make_member(kind=other, staff_role="moderator")),
        "editor": lambda: verified(make_member(kind=other, staff_role="editor")),
        "admin": lambda: verified(make_member(kind=other, superuser=True)),
    }[role]()


@pytest.mark.parametrize("role", list(_doc_table()))
def test_events_rules_match_the_documented_table(role, make_event):
    expected = _doc_table()[role]
    user = _user(role)
    members_event = make_event(audience="public", registration_audience="members")
    le_event = make_event(audience="public", registration_audience="law_enforcement")
    open_event = make_event(audience="public", registration_audience="signed_in")
    assert access.can(user, "events.register", open_event) is expected["register_signed_in"]
    assert access.can(user, "events.register", members_event) is expected["register_members"]
    assert access.can(user, "events.register", le_event) is expected["register_le"]
    assert access.can(user, "events.manage_registrations") is expected["manage"]
    if expected["register_members"]:
        registration = services.registration_create(user, members_event, {})
        assert access.can(user, "events.see_join_link", registration) is expected["own_join_link"]
        stranger = make_member()
        assert access.can(stranger, "events.see_join_link", registration) is False


def test_the_table_lists_every_role():
    assert set(_doc_table()) == {
        "anonymous",
        "pending",
        "member",
        "law_enforcement",
        "expert",
        "moderator",
        "editor",
        "admin",
    }
