"""Smoke tests of the benchmark's code paths on a tiny data set: the large-data seeder, the
result parsing and table, and the Python load client. No gunicorn, no wrk, a few seconds."""

import datetime as dt
import http.server
import json
import random
import threading
from types import SimpleNamespace

from django.contrib.auth.models import Group

from wagtail.models import Page

import pytest
from bs4 import BeautifulSoup

from bench import pyload
from bench.report import JSON_MARK, Measurement, format_table, parse_wrk, percentile
from bench.seed_large import make_token, plan_events, plan_members, seed_large
from community import access
from community.models import Membership
from events.models import CalendarToken, EventCalendarState, EventPage, Registration
from events.tokens import lookup

# --- plans --------------------------------------------------------------------------------


def test_plans_are_deterministic_per_seed():
    today = dt.date(2030, 1, 1)
    first = plan_events(50, random.Random(7), today)
    assert first == plan_events(50, random.Random(7), today)
    assert first != plan_events(50, random.Random(8), today)
    assert plan_members(20, random.Random(7)) == plan_members(20, random.Random(7))
    assert make_token(random.Random(3)) == make_token(random.Random(3))


def test_event_plan_keeps_registration_within_audience():
    for spec in plan_events(300, random.Random(1), dt.date(2030, 1, 1)):
        # The model's own rule, applied to the plan without building a page (no database).
        page = SimpleNamespace(
            audience=spec["audience"], registration_audience=spec["registration_audience"]
        )
        assert EventPage.registration_audience_within_audience(page), spec
        assert spec["end_time"] > spec["start_time"]


# --- seeding ------------------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    return seed_large(events=40, members=30, registrations=120, token_share=0.2, seed=3)


def test_seed_large_writes_the_counts_it_reports(seeded):
    assert seeded.events == EventPage.objects.filter(slug__startswith="bench-event-").count() == 40
    assert seeded.members == Membership.objects.count() == 30
    assert seeded.registrations == Registration.objects.count()
    assert 30 < seeded.registrations <= 120
    assert seeded.tokens == CalendarToken.objects.count() >= 1
    assert EventCalendarState.objects.count() == 40


def test_seeded_pages_form_a_valid_tree(seeded):
    # find_problems: (bad alphabet, bad path, orphans, wrong depth, wrong numchild).
    assert all(not ids for ids in Page.find_problems())
    index = Page.objects.get(slug="events")
    assert index.get_children().count() == index.numchild == 40


def test_seeded_groups_follow_memberships(seeded):
    members_group = Group.objects.get(name=access.GROUP_MEMBERS)
    verified = Membership.objects.filter(status=Membership.Status.VERIFIED)
    assert set(members_group.user_set.values_list("pk", flat=True)) == set(
        verified.values_list("user_id", flat=True)
    )
    pending = Membership.objects.exclude(status=Membership.Status.VERIFIED)
    assert not Group.objects.filter(user__membership__in=pending).exists()


def test_owner_token_and_event_page_work(seeded, client):
    row = lookup(seeded.owner_token)
    assert row is not None and row.user_id == seeded.owner_id
    assert Registration.objects.filter(user_id=seeded.owner_id).count() >= 1

    response = client.get(seeded.sample_event_url)
    assert response.status_code == 200
    heading = BeautifulSoup(response.content, "html5lib").find("h1")
    assert heading is not None and "Sample benchmark event" in heading.get_text()


# --- results ------------------------------------------------------------------------------


def _wrk_output(**overrides):
    data = {
        "requests": 500,
        "duration_us": 10_000_000,
        "bytes": 1,
        "connect": 0,
        "read": 1,
        "write": 0,
        "status": 2,
        "timeout": 0,
        "p50": 1500,
        "p95": 4000,
        "p99": 9000,
    }
    data.update(overrides)
    return "Running 10s test\n  4 connections\n" + JSON_MARK + json.dumps(data) + "\n"


def test_parse_wrk_reads_the_lua_line():
    result = parse_wrk(_wrk_output(), "home", "/")
    assert result.rps == pytest.approx(50.0)
    assert (result.p50, result.p95, result.p99) == (1.5, 4.0, 9.0)
    assert result.errors == 3


def test_parse_wrk_refuses_output_without_the_line():
    with pytest.raises(ValueError, match="BENCH_JSON"):
        parse_wrk("Running 10s test\n", "home", "/")


def test_table_has_one_row_per_page_and_ratios_to_the_ceiling():
    results = [
        Measurement("ceiling", "/bench-ceiling/", rps=1000.0, p50=1, p95=2, p99=3, queries=0),
        Measurement("home", "/", rps=250.0, p50=8, p95=12, p99=20, queries=12, bytes=9733),
        Measurement("feed", "/events/feed.ics", rps=5.0, errors=4, note="HTTP 500"),
    ]
    table = format_table(results)
    rows = [line for line in table.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    assert cells[0][0] == "page" and cells[0][-1] == "vs ceiling"
    assert len(cells) == 2 + len(results)
    assert all(len(row) == 10 for row in cells)
    home = cells[3]
    assert home[0] == "home" and home[2] == "250.0" and home[7] == "12"
    assert home[8] == "9,733" and home[9] == "25.0%"
    feed = cells[4]
    assert feed[0] == "feed (HTTP 500)" and feed[3] == "–" and feed[6] == "4"


def test_table_without_ceiling_shows_no_ratio():
    table = format_table([Measurement("home", "/", rps=10.0)])
    assert table.splitlines()[-1].rstrip().endswith("| – |")


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([], 50) != percentile([], 50)  # NaN


# --- the Python load client ---------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 404 if self.path == "/missing" else 200
        body = b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_python_client_is_bounded_and_counts_errors(tiny_server):
    ok = pyload.run(
        tiny_server + "/", name="ok", path="/", seconds=0.3, connections=2, max_requests=50
    )
    assert 0 < ok.requests <= 100 and ok.errors == 0
    assert ok.p50 <= ok.p95 <= ok.p99
    missing = pyload.run(
        tiny_server + "/missing", name="m", path="/missing", seconds=0.2, connections=1
    )
    assert missing.requests > 0 and missing.errors == missing.requests
