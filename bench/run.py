"""``make bench``: seed a large data set in a scratch PostgreSQL database, serve it with gunicorn
under production settings, load each key page on 127.0.0.1 and print a Markdown table.

Steps: drop and create the ``rai_bench`` database (never the developer's), migrate, collect
static files, seed (home.demo + bench.seed_large), count SQL queries per page in-process, start
gunicorn (2 workers) on a free port, load each page with wrk for a fixed time (or a Python
client when wrk cannot be installed), stop gunicorn, drop the database, write
var/bench/results.md. Every step is bounded; gunicorn is stopped even when a step fails.
"""

import argparse
import contextlib
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import pyload  # noqa: E402
from bench.report import Measurement, format_table, parse_wrk  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "rai_bench"
OUT_DIR = BASE_DIR / "var" / "bench"
WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")


@dataclass
class Target:
    name: str
    path: str
    signed_in: bool = False
    shown: str = ""  # the path as printed, when the real one holds a secret


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--registrations", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10, help="load per page (default 10)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep-db", action="store_true", help=f"leave {BENCH_DB} for study")
    parser.add_argument("--python-client", action="store_true", help="skip wrk")
    return parser.parse_args(argv)


# --- database -----------------------------------------------------------------------------


def server_url() -> str:
    """The PostgreSQL server to use: BENCH_DATABASE_URL, else a postgres DATABASE_URL."""
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        value = os.environ.get(name, "")
        if value.startswith(("postgres://", "postgresql://")):
            return value
    return DEFAULT_SERVER


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str, *, drop_only=False) -> None:
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            if not drop_only:
                cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        conn.close()


# --- Django in this process: migrate, seed, count queries -----------------------------------


def configure_environment(db_url: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": db_url,
        # Throwaway: lives only as long as this run.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "EMAIL_PROVIDER": "console",
        "MEDIA_ROOT": str(OUT_DIR / "media"),
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "http://127.0.0.1",
    }
    os.environ.update(env)
    return env


def prepare_django(args, log):
    import django

    django.setup()
    from django.core.management import call_command

    step = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    log(f"migrated in {time.perf_counter() - step:.0f} s")
    step = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    log(f"collected static files in {time.perf_counter() - step:.0f} s")

    import logging

    from bench.seed_large import seed_large
    from home import demo

    step = time.perf_counter()
    # The demo's pages, settings and accounts give the site its home page and menus.
    for name in ("django.tasks", "wagtail"):
        logging.getLogger(name).setLevel(logging.WARNING)
    demo.seed(seed=args.seed)
    seeded = seed_large(
        events=args.events,
        members=args.members,
        registrations=args.registrations,
        seed=args.seed,
        log=lambda m: log(f"  seeded {m}"),
    )
    log(f"seeded in {time.perf_counter() - step:.0f} s ({seeded.timings})")
    return seeded


def session_cookie(user_id: int) -> str:
    """A signed-in session made through the ORM, as the login view would leave it."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def targets(seeded) -> list[Target]:
    later_page = max(2, seeded.events // 100)
    token = seeded.owner_token
    return [
        Target("ceiling", "/bench-ceiling/"),
        Target("healthz", "/healthz"),
        Target("home", "/"),
        Target("events index", "/events/"),
        Target("events index, later page", f"/events/?page={later_page}"),
        Target("events index, filtered", "/events/?kind=workshop&format=online"),
        Target("event page", seeded.sample_event_url or "/events/"),
        Target("public feed", "/events/feed.ics"),
        Target(
            "token feed, all events",
            f"/calendar/{token}/events.ics",
            shown="/calendar/<token>/events.ics",
        ),
        Target(
            "token feed, my events",
            f"/calendar/{token}/my-events.ics",
            shown="/calendar/<token>/my-events.ics",
        ),
        Target("my events (signed in)", "/me/events/", signed_in=True),
    ]


def count_queries(pages: list[Target], cookie: str) -> dict[str, int]:
    """SQL queries of one warm request per page, through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for target in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if target.signed_in:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        client.get(target.path)  # warm per-process caches (content types, site root)
        with CaptureQueriesContext(connection) as ctx:
            client.get(target.path)
        counts[target.name] = len(ctx.captured_queries)
    return counts


# --- gunicorn and load --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "community.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(BASE_DIR),
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    # Its own process group, so stopping it also stops its workers.
    return subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)  # noqa: S603


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def fetch(url: str, cookie: str = "") -> tuple[int, int]:
    # Only ever http://127.0.0.1:<port>/..., built in this file.
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read())


def wait_until_up(base: str, process: subprocess.Popen, seconds=60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        with contextlib.suppress(OSError):
            if fetch(base + "/healthz")[0] == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz within {seconds} s")


def ensure_wrk(log) -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() == 0 and apt:
        log("wrk not found; installing Debian's wrk package")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "timeout": 300}
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, **quiet)  # noqa: S603
            if not shutil.which("wrk"):
                # A fresh machine may have no package lists yet.
                subprocess.run([apt, "update", "-qq"], check=False, **quiet)  # noqa: S603
                subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, **quiet)  # noqa: S603
    return shutil.which("wrk")


def load(wrk, base, target, cookie, args, seconds=None) -> Measurement:
    url = base + target.path
    seconds = seconds or args.seconds
    path = target.shown or target.path
    headers = {"Cookie": cookie} if target.signed_in else {}
    if wrk is None:
        return pyload.run(
            url,
            name=target.name,
            path=path,
            seconds=seconds,
            connections=args.connections,
            headers=headers,
        )
    command = [
        wrk,
        f"-t{min(2, args.connections)}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
    ]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(  # noqa: S603 (fixed arguments, 127.0.0.1 only)
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    return parse_wrk(output, target.name, path)


# --- main ---------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()

    def log(message):
        print(f"[bench {time.perf_counter() - started:5.0f}s] {message}", file=sys.stderr)

    # SIGTERM (a timeout, Ctrl-C from make) unwinds through the finally blocks below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    server = server_url()
    db_url = with_database(server, BENCH_DB)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log(f"database {BENCH_DB} on {urlsplit(server).hostname}:{urlsplit(server).port or 5432}")
    recreate_database(server)
    gunicorn = None
    try:
        env = configure_environment(db_url)
        seeded = prepare_django(args, log)
        cookie = session_cookie(seeded.owner_id)
        pages = targets(seeded)
        queries = count_queries(pages, cookie)
        from django.db import connections

        connections.close_all()

        wrk = None if args.python_client else ensure_wrk(log)
        tool = "wrk" if wrk else "Python client (bench/pyload.py)"
        port = free_port()
        gunicorn = start_gunicorn(port, args.workers, env)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, gunicorn)
        log(f"gunicorn up on {base}; loading {len(pages)} pages for {args.seconds} s each")

        results = []
        for target in pages:
            status, size = fetch(base + target.path, cookie if target.signed_in else "")
            # Discarded: every worker renders the page once (templates, URL resolvers) first.
            load(wrk, base, target, cookie, args, seconds=1)
            result = load(wrk, base, target, cookie, args)
            result.queries, result.bytes = queries.get(target.name), size
            if status != 200:
                result.note = f"HTTP {status}"
            results.append(result)
            log(f"  {target.name}: {result.rps:.1f} req/s, p95 {result.p95:.1f} ms")
    finally:
        stop(gunicorn)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            recreate_database(server, drop_only=True)

    table = format_table(results)
    context = (
        f"Run: {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPU cores, "
        f"{platform.python_implementation()} {platform.python_version()}, gunicorn "
        f"{args.workers} sync workers, {tool}, {args.connections} connections, "
        f"{args.seconds} s per page, all on 127.0.0.1.\n"
        f"Data: {seeded.events:,} bench events (+ demo content), {seeded.members:,} members, "
        f"{seeded.registrations:,} registrations, {seeded.tokens:,} calendar tokens; "
        "forums not seeded (no forum models yet).\n"
    )
    text = f"# Benchmark results\n\n{context}\n{table}"
    (OUT_DIR / "results.md").write_text(text, encoding="utf-8")
    print(text)
    log(f"done in {time.perf_counter() - started:.0f} s; table in {OUT_DIR / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
