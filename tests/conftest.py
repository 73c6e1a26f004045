"""Fixtures for every test: one user per role, an isolated MEDIA_ROOT, email outbox."""

from django.core.servers.basehttp import WSGIServer
from django.test import Client, testcases

import pytest

from community.models import Membership
from tests.factories import UserFactory, make_member


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


ROLE_NAMES = ["anon", "pending", "member", "le_member", "expert", "moderator", "editor", "admin"]


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


def verified(user):
    """``user`` as the policy sees them in a session that passed two-step verification, for
    tests that call the policy or a service directly. (In the site only
    ``SessionAssuranceMiddleware`` does this; a client needs ``client_for(user, mfa=True)``.)"""
    from community import access

    return access.assure(user, access.Assurance.VERIFIED_SESSION)


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
    """Indirect: ``@pytest.mark.parametrize("user_for_role", ROLE_NAMES, indirect=True)``."""
    name = request.param
    return name, (
        None
        if name == "anon"
        else request.getfixturevalue("admin_user" if name == "admin" else name)
    )


def with_mfa(user):
    """Give a privileged user a TOTP authenticator (once) so the MFA gate lets them through."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        from allauth.mfa.utils import decrypt

        return decrypt(existing.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def pass_mfa_in(session, user):
    """Record in ``session`` (a SessionStore) that it signed in with its second factor, as
    allauth's sign-in does after the code step; gives the user an authenticator if needed."""
    from django.test import RequestFactory

    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    with_mfa(user)
    authenticator = Authenticator.objects.filter(user=user).first()
    request = RequestFactory().get("/")
    request.session = session
    record_authentication(request, user, "mfa", id=authenticator.pk, type="totp")
    return session


def pass_mfa(client, user):
    """The same for a test client's session."""
    pass_mfa_in(client.session, user).save()
    return client


@pytest.fixture
def client_for():
    """Return a logged-in client for a user (None → anonymous).

    A moderator, editor or admin gets, like the fixtures, a session that passed two-step
    verification (an authenticator and the record allauth's sign-in writes), which their role
    needs. ``mfa=False`` gives a password-only session, in which they browse as a member;
    ``mfa=True`` gives anyone an authenticator and a verified session."""
    from community import access

    def make(user, mfa=None):
        client = Client()
        if user is not None:
            client.force_login(user)
            if mfa is None:
                mfa = access.holds_privileged_role(type(user).objects.get(pk=user.pk))
            if mfa:
                pass_mfa(client, user)
        return client

    return make


def site_home(slug="home", **fields):
    """A HomePage under the tree root, made the default site's root."""
    from wagtail.models import Site

    from home.models import HomePage

    fields = {"title": "Home", "hero_title": "Sample lab", **fields}
    root = wagtail_root()
    # Migrations leave an empty home page under the root; each test builds its own.
    if root.get_children().filter(slug=slug).delete()[0]:
        root.refresh_from_db()
    home = root.add_child(instance=HomePage(slug=slug, **fields))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"root_page": home, "hostname": "localhost", "port": 80}
    )
    return home


def published_event_index(home, **fields):
    from events.models import EventIndexPage

    index = home.add_child(instance=EventIndexPage(title="Events", slug="events", **fields))
    index.save_revision().publish()
    return index


def wagtail_root():
    """The page tree's root. A transactional test's flush removes what Wagtail's migrations
    created (root page, default locale, root collection), so later tests recreate them."""
    from wagtail.models import Collection, Locale, Page

    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        from django.apps import apps

        from community.signals import ensure_role_groups

        root = Page.add_root(instance=Page(title="Root", slug="root"))
        # Editors' page permissions hang on the root page: grant them again, as migrate does.
        with_models = [c for c in apps.get_app_configs() if c.models_module]
        ensure_role_groups(sender=None, app_config=with_models[-1])
    return root
