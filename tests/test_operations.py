"""Operations: the health check, the container files, CI, the Makefile and grant_staff_role."""

import io
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import OperationalError

import pytest

from community import access, views
from community.models import Membership
from tests.factories import UserFactory, make_member
from tests.queries import max_queries

BASE_DIR = Path(__file__).resolve().parent.parent


# --- /healthz ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_is_reachable(client):
    with max_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    # A cached "ok" would hide an outage from the load balancer.
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


class _BrokenConnection:
    """Stands in for django.db.connection while the database is down."""

    def __init__(self, fail_on):
        self.fail_on = fail_on

    def cursor(self):
        if self.fail_on == "connect":
            raise OperationalError("could not connect to server: Connection refused")
        return _BrokenCursor()


class _BrokenCursor:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        raise OperationalError("server closed the connection unexpectedly")

    def fetchone(self):  # pragma: no cover - execute fails first
        return None


@pytest.mark.django_db
@pytest.mark.parametrize("fail_on", ["connect", "query"])
def test_healthz_answers_503_when_the_database_fails(client, monkeypatch, fail_on):
    monkeypatch.setattr(views, "connection", _BrokenConnection(fail_on))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] != "ok"


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https_but_pages_are(client, settings):
    from tests.helpers import settings_values

    production = settings_values("SECURE_REDIRECT_EXEMPT", "SECURE_SSL_REDIRECT")
    settings.SECURE_SSL_REDIRECT = production["SECURE_SSL_REDIRECT"]
    settings.SECURE_REDIRECT_EXEMPT = production["SECURE_REDIRECT_EXEMPT"]
    assert client.get("/healthz").status_code == 200
    redirected = client.get("/membership/")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")


# --- Dockerfile ----------------------------------------------------------------------------


def _dockerfile_instructions():
    """(instruction, argument) pairs with line continuations joined and comments dropped."""
    text = (BASE_DIR / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, argument = line.partition(" ")
        pairs.append((instruction.upper(), argument.strip()))
    return pairs


def _stages():
    stages = []
    for instruction, argument in _dockerfile_instructions():
        if instruction == "FROM":
            stages.append({"from": argument, "steps": []})
        else:
            assert stages, f"{instruction} before the first FROM"
            stages[-1]["steps"].append((instruction, argument))
    return stages


def test_dockerfile_is_multi_stage_on_python_313_slim():
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        assert stage["from"].split()[0] == "python:3.13-slim"
    builder_name = stages[0]["from"].split()[-1]
    final = stages[-1]["steps"]
    assert ("COPY", f"--from={builder_name} /opt/venv /opt/venv") in final
    builder_runs = " ".join(a for i, a in stages[0]["steps"] if i == "RUN")
    assert "--require-hashes" in builder_runs and "requirements.lock" in builder_runs


def test_dockerfile_final_stage_runs_as_a_non_root_user():
    final = _stages()[-1]["steps"]
    users = [argument for instruction, argument in final if instruction == "USER"]
    assert users, "the final stage never switches user"
    assert users[-1] not in {"root", "0", "0:0"}
    # The user must exist: created in a RUN before the USER line.
    runs = " ".join(a for i, a in final if i == "RUN")
    assert re.search(rf"useradd\b.*\b{re.escape(users[-1].split(':')[0])}\b", runs)
    # Nothing after USER should need root again.
    after_user = final[[s[0] for s in final].index("USER") :]
    assert not [a for i, a in after_user if i == "RUN"]


def test_dockerfile_collects_static_at_build_with_a_build_only_secret():
    final = _stages()[-1]["steps"]
    env = " ".join(a for i, a in final if i == "ENV")
    assert "DJANGO_SETTINGS_MODULE=community.settings.production" in env
    assert "DJANGO_SECRET_KEY" not in env, "the build secret must not persist in the image"
    collect = [a for i, a in final if i == "RUN" and "collectstatic" in a]
    assert collect, "collectstatic does not run at build time"
    assert "--noinput" in collect[0]
    assert "DJANGO_SECRET_KEY=" in collect[0]


def test_dockerfile_serves_with_gunicorn_on_port_8000():
    final = _stages()[-1]["steps"]
    assert ("EXPOSE", "8000") in final
    commands = [a for i, a in final if i in {"CMD", "ENTRYPOINT"}]
    assert commands
    assert "gunicorn" in commands[-1]
    assert "community.wsgi:application" in commands[-1]
    assert "WEB_CONCURRENCY" in commands[-1]


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = {
        line.strip()
        for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", "var"} <= ignored


# --- docker-compose.yml --------------------------------------------------------------------


def _compose_services():
    """Map each service name to its block of text (PyYAML is not a project dependency)."""
    text = (BASE_DIR / "docker-compose.yml").read_text()
    match = re.search(r"^services:\n((?:[ \t]+.*\n|\n)+)", text, re.MULTILINE)
    assert match, "no top-level services: mapping"
    services, name = {}, None
    for line in match.group(1).splitlines():
        header = re.match(r"^  ([A-Za-z0-9_-]+):\s*$", line)
        if header:
            name = header.group(1)
            services[name] = ""
        elif name and line.startswith("    "):
            services[name] += line + "\n"
    return services


def _depends_on(block):
    """depends_on entries with their condition, from the long form used in the file."""
    match = re.search(r"^    depends_on:\n((?:      .*\n)+)", block, re.MULTILINE)
    if not match:
        return {}
    found, name = {}, None
    for line in match.group(1).splitlines():
        header = re.match(r"^      ([A-Za-z0-9_-]+):\s*$", line)
        if header:
            name = header.group(1)
        elif name and (condition := re.match(r"^        condition:\s*(\S+)", line)):
            found[name] = condition.group(1)
    return found


def test_compose_has_db_web_worker_and_redis():
    assert {"db", "web", "worker", "redis"} <= set(_compose_services())


def test_compose_db_is_postgres_with_a_healthcheck_and_a_volume():
    db = _compose_services()["db"]
    assert re.search(r"^    image:\s*postgres:1[5-9]\b", db, re.MULTILINE)
    assert re.search(r"^    healthcheck:\n      test:.*pg_isready", db, re.MULTILINE)
    assert re.search(r"^    volumes:\n      - [\w-]+:/var/lib/postgresql/data", db, re.MULTILINE)


def test_compose_web_waits_for_a_healthy_db_and_runs_migrations_then_gunicorn():
    web = _compose_services()["web"]
    assert re.search(r"^    build:\s*\.\s*$", web, re.MULTILINE)
    assert re.search(r"^    env_file:\s*\.env\s*$", web, re.MULTILINE)
    assert _depends_on(web).get("db") == "service_healthy"
    assert re.search(r"""^      - "?8000:8000"?""", web, re.MULTILINE)
    command = " ".join(web.split("command:", 1)[1].split("ports:", 1)[0].split())
    steps = [command.find(s) for s in ("migrate", "createcachetable", "gunicorn")]
    assert -1 not in steps and steps == sorted(steps), command
    assert "community.wsgi:application" in command


def test_compose_worker_runs_the_database_task_worker():
    worker = _compose_services()["worker"]
    assert re.search(r"^    command:.*manage\.py db_worker", worker, re.MULTILINE)
    assert _depends_on(worker).get("db") == "service_healthy"
    web_image = re.search(r"^    image:\s*(\S+)", _compose_services()["web"], re.MULTILINE)
    assert re.search(rf"^    image:\s*{re.escape(web_image.group(1))}\s*$", worker, re.MULTILINE)


def test_compose_redis_is_an_image():
    assert re.search(r"^    image:\s*redis:", _compose_services()["redis"], re.MULTILINE)


def test_compose_parses_as_yaml_with_the_same_structure():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed; regex checks above ran")
    data = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = data["services"]
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "db_worker" in services["worker"]["command"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])


# --- CI and Makefile -----------------------------------------------------------------------


def test_ci_script_runs_make_test_against_postgresql_with_browser_tests():
    path = BASE_DIR / ".ci" / "run"
    assert path.stat().st_mode & stat.S_IXUSR, ".ci/run is not executable"
    text = path.read_text()
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"^\s*make test\b", code, re.MULTILINE)
    assert re.search(r"^\s*make lint\b", code, re.MULTILINE)
    assert "BROWSER_TESTS=1" in code
    assert "postgres://" in code and "rai_community" in code
    assert "CREATE DATABASE" in code
    assert "apt-get install -y chromium" in code
    syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_migrates_seeds_then_serves_on_localhost():
    result = subprocess.run(
        ["make", "-n", "run"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()

    def first(pattern):
        matches = [i for i, line in enumerate(lines) if re.search(pattern, line)]
        assert matches, f"{pattern!r} not in make run:\n{result.stdout}"
        return matches[0]

    order = [
        first(r"manage\.py migrate"),
        first(r"manage\.py createcachetable"),
        first(r"manage\.py seed_demo"),
        first(r"manage\.py runserver 127\.0\.0\.1:8000"),
    ]
    assert order == sorted(order)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_passes_extra_pytest_arguments():
    result = subprocess.run(
        ["make", "-n", "test", "PYTEST_ARGS=-k sample_marker"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"python -m pytest -k sample_marker", result.stdout)


# --- manage.py grant_staff_role ------------------------------------------------------------


def grant(*args):
    out = io.StringIO()
    call_command("grant_staff_role", *args, stdout=out)
    return out.getvalue()


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_grant_editor_role_syncs_groups_and_roles():
    user = make_member(kind=Membership.Kind.OTHER)
    output = grant(user.email.upper(), "editor")
    user.refresh_from_db()
    assert Membership.objects.get(user=user).staff_role == "editor"
    assert {access.GROUP_EDITORS, access.GROUP_MODERATORS} <= group_names(user)
    access.forget_roles(user)
    assert access.Role.EDITOR in access.held_roles(user)
    assert "editor" in output


@pytest.mark.django_db
def test_grant_moderator_then_none_removes_the_staff_groups():
    user = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, staff_role="editor")
    grant(user.email, "moderator")
    assert access.GROUP_EDITORS not in group_names(user)
    assert access.GROUP_MODERATORS in group_names(user)
    grant(user.email, "none")
    assert Membership.objects.get(user=user).staff_role == ""
    assert group_names(user) == {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT}


@pytest.mark.django_db
def test_grant_to_a_pending_member_records_the_role_but_grants_nothing_yet():
    user = UserFactory()
    output = grant(user.email, "editor")
    assert Membership.objects.get(user=user).staff_role == "editor"
    assert group_names(user) == set()
    assert "takes effect once" in output


@pytest.mark.django_db
def test_grant_refuses_an_unknown_email_and_writes_nothing():
    make_member()
    before = list(Membership.objects.order_by("pk").values_list("pk", "staff_role"))
    groups_before = Group.objects.count()
    with pytest.raises(CommandError, match="No account uses the email address"):
        grant("nobody@example.org", "editor")
    assert list(Membership.objects.order_by("pk").values_list("pk", "staff_role")) == before
    assert Group.objects.count() == groups_before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "superuser", "", "editors"])
def test_grant_refuses_an_unknown_role_and_writes_nothing(role):
    user = make_member()
    with pytest.raises(CommandError, match="Unknown role"):
        grant(user.email, role)
    assert Membership.objects.get(user=user).staff_role == ""
    assert access.GROUP_EDITORS not in group_names(user)


@pytest.mark.django_db
def test_grant_refuses_an_address_shared_by_two_accounts():
    first = make_member()
    UserFactory(email=first.email.upper(), verified_email=False)
    before = list(Membership.objects.order_by("pk").values_list("pk", "user_id", "staff_role"))
    with pytest.raises(CommandError, match="Several accounts"):
        grant(first.email, "editor")
    assert list(Membership.objects.order_by("pk").values_list("pk", "user_id", "staff_role")) == (
        before
    )
