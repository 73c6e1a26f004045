"""Fixtures for every test: one user per role, clients, an isolated MEDIA_ROOT, pages.

Only fixtures (and hooks) here; the functions behind them are in ``tests/helpers.py``, which
is what test modules import.
"""

from django.core.servers.basehttp import WSGIServer
from django.test import testcases

import pytest

from community.models import Membership
from tests.factories import UserFactory, make_member
from tests.helpers import (
    event_maker,
    logged_in_client,
    published_event_index,
    site_home,
    verified,
)


class _SerialWSGIServer(WSGIServer):
    """One request at a time: the live server's threads would otherwise share one in-memory
    SQLite connection, which SQLite refuses ("bad parameter or other API misuse")."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


def pytest_configure(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "sqlite" in database["ENGINE"] and database.get("NAME") in (":memory:", "", None):
        testcases.LiveServerThread.server_class = _SerialWSGIServer


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def anon():
    return None


@pytest.fixture
def pending(db):
    user = UserFactory()
    return user


@pytest.fixture
def member(db):
    return make_member(kind=Membership.Kind.OTHER)


@pytest.fixture
def le_member(db):
    return make_member(kind=Membership.Kind.LAW_ENFORCEMENT)


@pytest.fixture
def expert(db):
    return make_member(kind=Membership.Kind.EXPERT)


# The privileged fixtures stand for the person at work in a verified session; a client made
# from them still has to pass two-step verification (client_for(..., mfa=True)).
@pytest.fixture
def moderator(db):
    return verified(make_member(kind=Membership.Kind.LAW_ENFORCEMENT, staff_role="moderator"))


@pytest.fixture
def editor(db):
    return verified(make_member(kind=Membership.Kind.OTHER, staff_role="editor"))


@pytest.fixture
def admin_user(db):
    return verified(make_member(kind=Membership.Kind.OTHER, superuser=True))


@pytest.fixture
def user_for_role(request, db):
    """Indirect: ``@pytest.mark.parametrize("user_for_role", ROLE_NAMES, indirect=True)``, with
    ``tests.helpers.ROLE_NAMES``."""
    name = request.param
    return name, (
        None
        if name == "anon"
        else request.getfixturevalue("admin_user" if name == "admin" else name)
    )


@pytest.fixture
def client_for():
    """Return a logged-in client for a user (None → anonymous): ``logged_in_client``.

    A moderator, editor or admin gets, like the fixtures, a session that passed two-step
    verification (an authenticator and the record allauth's sign-in writes), which their role
    needs. ``mfa=False`` gives a password-only session, in which they browse as a member;
    ``mfa=True`` gives anyone an authenticator and a verified session."""
    return logged_in_client


# --- Pages: a home page as the site's root, the event index, events -------------------------


@pytest.fixture
def home_page(db):
    return site_home(
        slug="sample-home",
        title="Sample home",
        hero_title="Sample: responsible AI for policing",
        hero_text="Sample hero text.",
        introduction="<p>Sample introduction.</p>",
    )


@pytest.fixture
def home_root(db):
    return site_home(slug="events-home", hero_title="Lab")


@pytest.fixture
def event_index(home_root):
    return published_event_index(home_root)


@pytest.fixture
def make_event(event_index):
    """``make_event(publish=True, **overrides)``: "Sample workshop <n>" under the event index,
    built by ``EventPageFactory`` (see ``tests.helpers.event_maker``)."""
    return event_maker(event_index)
