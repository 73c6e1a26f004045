"""The first run's SQLite survives one editor's admin session: parallel requests, no 500.

A real dev server (``manage.py runserver``, threaded, dev settings) on a file-based SQLite
database, as `make run` serves it; the browser's parallel loads of an admin page are fired at
once: the icon sprite, the JavaScript translations, admin pages, static files, the public home
page, and a double-submitted Publish. Before WAL, the busy timeout and IMMEDIATE transactions,
some of these answered 500 "database is locked".
"""

import json
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from bs4 import BeautifulSoup

from tests.helpers import BASE_DIR, clean_env, parse_page_form

# Builds the database the dev server will use. Tables come straight from the models (migrations
# off) because running ~200 migrations would take longer than the whole test; the rows Wagtail's
# data migrations would add (root page, locale, collection, site) are created here instead.
BUILD = r"""
import json, sys
import django
from django.conf import settings

class _NoMigrations(dict):
    def __contains__(self, label):
        return True
    def __getitem__(self, label):
        return None

settings.MIGRATION_MODULES = _NoMigrations()
# The admin signs in through a session made below, never with its password: hash it cheaply.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection
from wagtail.models import Collection, Locale, Page, Site

call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
call_command("createcachetable", verbosity=0)

from community.models import Membership
from home.models import HomePage, StandardPage
from tests.helpers import pass_mfa_in
from tests.factories import make_member

Locale.objects.create(language_code="en")
Collection.add_root(name="Root")
root = Page.add_root(instance=Page(title="Root", slug="root"))
home = root.add_child(instance=HomePage(title="Lab", slug="home", hero_title="Lab"))
home.save_revision().publish()
Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
page = home.add_child(instance=StandardPage(title="Draft notes", slug="notes", live=False))
page.save_revision()

admin = make_member(kind=Membership.Kind.OTHER, superuser=True, email="admin.dev@example.org")
session = SessionStore()
session[SESSION_KEY] = str(admin.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
pass_mfa_in(session, admin)  # an admin's role needs a session that passed two-step verification
session.create()
journal = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
print(json.dumps({"session": session.session_key, "page": page.pk, "journal": journal}))
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(database):
    return clean_env(
        DJANGO_SETTINGS_MODULE="community.settings.dev",
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL="",
        LOG_LEVEL="WARNING",
    )


@pytest.fixture
def dev_server(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = _env(database)
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    # The server starts while the database is built: both take seconds, and the server reads
    # nothing before its first request.
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            # Checks run in test_deploy.py; here they would only delay the first answer.
            "--skip-checks",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        built = subprocess.run(
            [sys.executable, "-c", BUILD],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert built.returncode == 0, built.stderr[-3000:]
        facts = json.loads(built.stdout.strip().splitlines()[-1])
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the dev server did not answer within 30 s"
            time.sleep(0.2)
        yield {"base": base, "database": database, "log": tmp_path / "server.log", **facts}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _session(server):
    session = requests.Session()
    session.cookies.set("sessionid", server["session"], domain="127.0.0.1")
    return session


def test_parallel_admin_requests_and_a_double_publish_never_answer_500(dev_server):
    base = dev_server["base"]
    assert dev_server["journal"] == "wal"
    editor = _session(dev_server)
    edit = f"{base}/admin/pages/{dev_server['page']}/edit/"
    response = editor.get(edit, timeout=20)
    assert response.status_code == 200, response.text[:500]
    data = parse_page_form(response.text)
    data.update({"title": "Published notes", "action-publish": "action-publish"})
    headers = {"Referer": edit, "X-CSRFToken": editor.cookies["csrftoken"]}

    reads = [
        "/admin/",
        "/admin/sprite/",
        "/admin/jsi18n/",
        f"/admin/pages/{dev_server['page']}/edit/",
        "/admin/pages/",
        "/static/wagtailadmin/css/core.css",
        "/",
    ] * 3

    def get(path):
        return path, _session(dev_server).get(f"{base}{path}", timeout=30).status_code

    def publish():
        answer = editor.post(edit, data=data, headers=headers, timeout=30, allow_redirects=False)
        return "publish", answer.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(publish), pool.submit(publish)]
        futures += [pool.submit(get, path) for path in reads]
        results = [future.result() for future in futures]

    failures = [(path, status) for path, status in results if status >= 500]
    assert failures == [], dev_server["log"].read_text()[-4000:]
    assert sorted(status for path, status in results if path == "publish") == [302, 302]
    assert {status for path, status in results if path != "publish"} == {200}
    assert "database is locked" not in dev_server["log"].read_text()

    # Both publishes ran, one after the other: a live page whose live revision is its latest.
    with sqlite3.connect(dev_server["database"]) as db:
        live, title, latest, live_revision, unpublished = db.execute(
            "SELECT live, title, latest_revision_id, live_revision_id, has_unpublished_changes"
            " FROM wagtailcore_page WHERE id = ?",
            (dev_server["page"],),
        ).fetchone()
    assert (live, title, unpublished) == (1, "Published notes", 0)
    assert latest is not None and live_revision == latest
    page = requests.get(f"{base}/notes/", timeout=20)
    assert page.status_code == 200
    heading = BeautifulSoup(page.text, "html5lib").find("h1")
    assert heading is not None and heading.get_text(strip=True) == "Published notes"
