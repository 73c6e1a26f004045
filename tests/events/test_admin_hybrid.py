"""Editors see how registrants of a hybrid event attend: counts, listing, overview, export."""

import csv
import io

import pytest
from bs4 import BeautifulSoup

from events import services
from tests.events.test_admin import admin_url
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


@pytest.fixture
def hybrid_with_registrants(make_event):
    event = make_event(format="hybrid", venue_name="Sample Hall", capacity=2)
    for attendance in ("in_person", "online", "online", "in_person", "in_person"):
        services.registration_create(make_member(), event, {}, attendance=attendance)
    return event


def test_registrations_listing_splits_room_and_online(editor_client, hybrid_with_registrants):
    event = hybrid_with_registrants
    soup = BeautifulSoup(
        editor_client.get(admin_url("registrations", event)).content.decode(), "html5lib"
    )
    assert soup.select_one('[data-count="confirmed"]').get_text(strip=True) == "2 / 2"
    assert soup.select_one('[data-count="online"]').get_text(strip=True) == "2"
    assert soup.select_one('[data-count="waitlisted"]').get_text(strip=True) == "1"
    headers = [th.get_text(" ", strip=True) for th in soup.select("thead th")]
    assert any("Attends" in h for h in headers)
    cells = [td.get_text(strip=True) for td in soup.select("tbody td")]
    assert cells.count("Online") == 2 and cells.count("In person") == 3


def test_overview_and_export_say_how_each_attends(editor_client, hybrid_with_registrants):
    event = hybrid_with_registrants
    overview = editor_client.get("/admin/events/").content.decode()
    assert "2 / 2 in person, 2 online" in BeautifulSoup(overview, "html5lib").get_text(" ")
    response = editor_client.get(f"{admin_url('registrations', event)}?export=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["Attends"] for r in rows) == ["In person"] * 3 + ["Online"] * 2
    waiting = [r for r in rows if r["Status"] == "Waitlisted"]
    assert [(r["Attends"], r["Waitlist position"]) for r in waiting] == [("In person", "1")]


def test_other_formats_show_no_attendance_column(editor_client, make_event):
    event = make_event(capacity=2)
    services.registration_create(make_member(), event, {})
    soup = BeautifulSoup(
        editor_client.get(admin_url("registrations", event)).content.decode(), "html5lib"
    )
    assert soup.select_one('[data-count="online"]') is None
    assert not any("Attends" in th.get_text() for th in soup.select("thead th"))
