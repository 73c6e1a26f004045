"""What a deployment needs: clean system checks, a home page on a fresh database, the smoke test.

pytest runs no system checks by itself, which is how `postgres.E005` (Wagtail's search index
on PostgreSQL needs `django.contrib.postgres`) once passed the suite and stopped `migrate`.
"""

import importlib
import re
import socket
import stat
import subprocess
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from wagtail.models import Page, Site

import pytest
from bs4 import BeautifulSoup

from home.models import HomePage

BASE_DIR = Path(__file__).resolve().parent.parent
SMOKE = BASE_DIR / ".ci" / "deploy-smoke"
WELCOME = "Welcome to your new Wagtail site!"

create_home_page = importlib.import_module("home.migrations.0002_create_home_page").create_home_page


# --- System checks -------------------------------------------------------------------------


@pytest.mark.django_db
def test_system_checks_pass_on_the_test_settings():
    # Raises SystemCheckError on any error or warning; the message lists them. The database
    # mark: on SQLite, the JSONField checks ask the connection whether it supports JSON, which
    # runs a query unless an earlier test left the answer cached on the connection.
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_database_checks_pass_on_the_configured_engine():
    """`check --database default`: the checks tagged "database" run only when asked."""
    call_command("check", databases=["default"], fail_level="WARNING")


@pytest.mark.django_db
def test_postgres_search_index_has_its_app_installed():
    """The models whose fields need django.contrib.postgres raise no postgres.* error."""
    from django.apps import apps
    from django.core import checks

    errors = checks.run_checks(app_configs=[apps.get_app_config("wagtailsearch")])
    assert not [e for e in errors if e.id and e.id.startswith("postgres.")]
    assert apps.is_installed("django.contrib.postgres")


# --- A fresh database shows the site's home page ------------------------------------------


@pytest.mark.django_db
def test_fresh_database_serves_the_sites_home_page_at_the_root(client, settings):
    """After `migrate` alone (no seed_demo) the default site's root is an empty HomePage."""
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage)
    assert (home.slug, home.depth, home.live) == ("home", 2, True)
    assert not Page.objects.filter(title=WELCOME).exists()

    response = client.get("/")

    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html5lib")
    assert soup.find("h1").get_text(strip=True) == settings.WAGTAIL_SITE_NAME
    assert soup.find("main") is not None


def _historical_apps():
    return MigrationLoader(connection).project_state(("home", "0002_create_home_page")).apps


def _tree_problems():
    # treebeard's own consistency check: bad paths, depths, child counts.
    return [problem for problem in Page.find_problems() if problem]


def _only_the_wagtail_welcome_page(title=WELCOME):
    root = Page.get_first_root_node()
    root.get_children().delete()
    root.refresh_from_db()
    welcome = root.add_child(instance=Page(title=title, slug="home"))
    Site.objects.update_or_create(is_default_site=True, defaults={"root_page": welcome})
    return welcome


@pytest.mark.django_db
def test_home_migration_replaces_the_untouched_wagtail_welcome_page():
    welcome = _only_the_wagtail_welcome_page()

    create_home_page(_historical_apps(), None)

    home = HomePage.objects.get()
    assert not Page.objects.filter(pk=welcome.pk).exists()
    assert (home.slug, home.url_path, home.depth) == ("home", "/home/", 2)
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert Page.get_first_root_node().numchild == 1
    assert _tree_problems() == []


@pytest.mark.django_db
def test_home_migration_leaves_a_tree_with_real_content_alone():
    page = _only_the_wagtail_welcome_page(title="The lab's own start page")
    page.save_revision().publish()

    create_home_page(_historical_apps(), None)

    assert not HomePage.objects.exists()
    assert Site.objects.get(is_default_site=True).root_page_id == page.pk


@pytest.mark.django_db
def test_home_migration_on_an_empty_tree_creates_the_page_and_the_default_site():
    Site.objects.all().delete()
    Page.get_first_root_node().get_children().delete()

    create_home_page(_historical_apps(), None)

    home = HomePage.objects.get()
    site = Site.objects.get(is_default_site=True)
    assert site.root_page_id == home.pk
    assert _tree_problems() == []


@pytest.mark.django_db
def test_home_migration_does_nothing_when_a_home_page_exists():
    before = list(Page.objects.values_list("pk", "path", "slug"))

    create_home_page(_historical_apps(), None)

    assert list(Page.objects.values_list("pk", "path", "slug")) == before


# --- The deployment smoke test and CI -----------------------------------------------------


def _code(path):
    return "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
    )


def test_smoke_script_runs_each_deployment_step_with_production_settings():
    assert SMOKE.stat().st_mode & stat.S_IXUSR, ".ci/deploy-smoke is not executable"
    code = _code(SMOKE)
    assert "set -euo pipefail" in code
    assert "DJANGO_SETTINGS_MODULE=community.settings.production" in code
    steps = [
        "manage.py check --deploy --fail-level WARNING",
        "manage.py migrate --noinput",
        "manage.py createcachetable",
        "manage.py collectstatic --noinput",
        '/gunicorn" community.wsgi:application',
        "expect 200 /healthz",
        "expect 200 /",
    ]
    positions = [code.find(step) for step in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions), "deployment steps out of order"
    assert re.search(r"CREATE DATABASE \$\{SMOKE_DB\}", code)
    assert re.search(r"DROP DATABASE IF EXISTS \$\{SMOKE_DB\}", code)
    syntax = subprocess.run(["bash", "-n", str(SMOKE)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


def test_ci_runs_the_smoke_test_and_fails_when_it_fails():
    code = _code(BASE_DIR / ".ci" / "run")
    assert re.search(r"^\.ci/deploy-smoke \|\| smoke_status=\$\?$", code, re.MULTILINE)
    assert '[ "$smoke_status" -ne 0 ]' in code
    assert "deploy  : FAILED" in code and "deploy  : passed" in code


def _smoke(**env):
    import os

    return subprocess.run(
        [str(SMOKE)],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_smoke_script_refuses_a_database_name_it_could_not_quote():
    result = _smoke(SMOKE_DB="x; DROP DATABASE postgres")
    assert result.returncode == 2
    assert "SMOKE_DB must be a plain lower-case name" in result.stderr


def test_smoke_script_refuses_a_port_already_in_use_before_touching_any_database():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # An unreachable server: had the script gone on, creating the database would fail.
        result = _smoke(SMOKE_PORT=str(port), PGHOST="127.0.0.1", PGPORT="1")
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert "scratch database" not in result.stdout
