"""Helpers shared by the test folders.

Fixtures live in the ``conftest.py`` files and may use these; test modules import from here,
never from a conftest (pytest advises against it, and ``tests/test_scaffolding.py`` checks).
"""

import itertools
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The role fixtures in tests/conftest.py ("admin" is the ``admin_user`` fixture).
ROLE_NAMES = ["anon", "pending", "member", "le_member", "expert", "moderator", "editor", "admin"]

# --- Sessions: two-step verification ---------------------------------------------------------


def verified(user):
    """``user`` as the policy sees them in a session that passed two-step verification, for
    tests that call the policy or a service directly. (In the site only
    ``SessionAssuranceMiddleware`` does this; a client needs ``client_for(user, mfa=True)``.)"""
    from community import access

    return access.assure(user, access.Assurance.VERIFIED_SESSION)


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


def logged_in_client(user, mfa=None, **client_options):
    """A test client signed in as ``user`` (None → anonymous); what ``client_for`` returns.

    A moderator, editor or admin gets a session that passed two-step verification (an
    authenticator and the record allauth's sign-in writes), which their role needs.
    ``mfa=False`` gives a password-only session, in which they browse as a member; ``mfa=True``
    gives anyone an authenticator and a verified session. ``client_options`` go to
    ``Client``."""
    from django.test import Client

    from community import access

    client = Client(**client_options)
    if user is not None:
        client.force_login(user)
        if mfa is None:
            mfa = access.holds_privileged_role(type(user).objects.get(pk=user.pk))
        if mfa:
            pass_mfa(client, user)
    return client


# --- Pages -----------------------------------------------------------------------------------


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
    """The published event index under ``home``."""
    from tests.factories import EventIndexPageFactory

    return EventIndexPageFactory(parent=home, **fields)


def event_maker(index, title="Sample workshop", **defaults):
    """``make(publish=True, **overrides)``: numbered events under ``index`` ("<title> 1",
    "<title> 2", …), built by ``EventPageFactory`` (its traits too: ``make(full=True)``), with
    ``defaults`` over the factory's own values and ``overrides`` over both. What the
    ``make_event`` fixtures return."""
    from django.utils.text import slugify

    from tests.factories import EventPageFactory

    numbers = itertools.count(1)

    def make(publish=True, **overrides):
        n = next(numbers)
        values = {"title": f"{title} {n}", "slug": f"{slugify(title)}-{n}", **defaults}
        values.update(overrides)
        return EventPageFactory(parent=index, publish=publish, **values)

    return make


def parse_page_form(html):
    """What the admin's page form would post, read from the form Wagtail renders."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html5lib").find("form", id="page-edit-form")
    data = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.get("type") in {"submit", "button", "file"}:
            continue
        if field.get("type") in {"checkbox", "radio"} and not field.has_attr("checked"):
            continue
        if field.name == "textarea":
            data[name] = field.get_text()
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen.get("value", "") if chosen else ""
        else:
            data[name] = field.get("value", "")
    # StreamFields are drawn by the admin's JavaScript; an empty stream posts a count of 0.
    data.setdefault("body-count", "0")
    return data


# --- HTML checks, done on a real parser's tree -----------------------------------------------

NON_LABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def parse(response):
    from bs4 import BeautifulSoup

    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html5lib")


def unlabelled_controls(soup):
    """Form controls a screen reader would announce without a name."""
    missing = []
    for control in soup.find_all(["input", "select", "textarea"]):
        if control.name == "input" and control.get("type", "text") in NON_LABELLED_TYPES:
            continue
        if control.get("aria-label") or control.get("aria-labelledby"):
            continue
        control_id = control.get("id")
        if control_id and soup.find("label", attrs={"for": control_id}):
            continue
        if control.find_parent("label"):
            continue
        missing.append(str(control)[:120])
    return missing


def assert_site_page(soup, *, lang="en", direction="ltr"):
    """Our layout: landmarks, skip link, one h1, labelled controls, language and direction."""
    html = soup.find("html")
    assert html["lang"] == lang
    assert html["dir"] == direction
    mains = soup.find_all("main")
    assert len(mains) == 1
    assert mains[0].get("id") == "main"
    skip = soup.find("a", class_="skip-link")
    assert skip is not None and skip["href"] == "#main"
    assert soup.find("header", class_="site-header") is not None
    assert soup.find("footer", class_="site-footer") is not None
    assert len(soup.find_all("h1")) == 1, [h.get_text(strip=True) for h in soup.find_all("h1")]
    assert unlabelled_controls(soup) == []
    return soup


def heading_levels(soup):
    return [int(tag.name[1]) for tag in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]


def assert_headings_in_order(soup):
    levels = heading_levels(soup)
    assert levels and levels[0] == 1, levels
    for previous, current in zip(levels, levels[1:], strict=False):
        assert current <= previous + 1, f"heading skips a level: {levels}"


def get_warm(client, url, limit, status=200):
    """GET ``url`` twice and hold the second, steady-state request to ``limit`` queries.

    The first request fills the shared cache (site root paths) and creates the site settings
    row; counting it would hide an N+1 behind one-off work.
    """
    from tests.queries import max_queries

    client.get(url)
    with max_queries(limit):
        response = client.get(url)
    assert response.status_code == status, response.status_code
    return response


# --- Settings and manage.py in a fresh interpreter ---------------------------------------------
#
# Settings are read once per process, so a case about configuration runs Python in a
# subprocess, under an environment stripped of every variable the settings read (a developer's
# shell, or CI's DATABASE_URL, cannot change what a case sees).

PRODUCTION = "community.settings.production"
_READ_PREFIXES = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_",
    "EMAIL_",
    "ANYMAIL_",
    "SITE_",
    "MEMBER",
    "AWS_",
    "FILES_",
)


def clean_env(**overrides):
    """This process's environment without what the settings read, plus ``overrides`` (a value
    of None removes the variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_READ_PREFIXES)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def production_env(**overrides):
    """A clean environment with what the production settings require to start."""
    return clean_env(
        **{
            "DJANGO_SETTINGS_MODULE": PRODUCTION,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "community.example.org",
            "SITE_URL": "https://community.example.org",
            **overrides,
        }
    )


#: The settings an S3 deployment configures (``DJANGO_MEDIA_STORAGE=s3``).
S3_SETTING_NAMES = (
    "STORAGES",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_ACL",
    "AWS_QUERYSTRING_AUTH",
    "AWS_QUERYSTRING_EXPIRE",
    "AWS_S3_SIGNATURE_VERSION",
    "AWS_S3_FILE_OVERWRITE",
    "FILES_SIGNED_URL_SECONDS",
)


def run_python(args, **env_overrides):
    """``python <args>`` in the project directory under ``production_env(**env_overrides)``,
    e.g. ``run_python(["manage.py", "check"])``."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=180,
    )


_PRINT_SETTINGS = """
import importlib, json, os, sys
module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
print(json.dumps({name: getattr(module, name, None) for name in sys.argv[1:]}, default=str))
"""


def settings_values(*names, **env_overrides):
    """Import the settings module (production unless ``DJANGO_SETTINGS_MODULE`` says another)
    in a fresh interpreter and return the named values."""
    result = run_python(["-c", _PRINT_SETTINGS, *names], **env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Browser (Playwright) --------------------------------------------------------------------


def totp_code(secret):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, email, password, *, totp_secret=None, start="/accounts/login/"):
    """Sign in through allauth's pages, answering the TOTP step when the account has one."""
    page.goto(start)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) button[type=submit]").first.click()
    if totp_secret is not None:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.fill("input[name=code]", totp_code(totp_secret))
        page.locator("form:has(input[name=code]) button[type=submit]").first.click()
