"""My events: the member's own registrations, both zones, join link only with a seat,
released recordings for past events, nothing about events they may no longer see."""

import datetime as dt

from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from events.models import EventPage, Registration
from tests.helpers import assert_headings_in_order, assert_site_page
from tests.queries import assert_queries_constant, max_queries

from .test_pages import JOIN_URL

pytestmark = pytest.mark.django_db

URL = "/me/events/"


def fetch(client, limit=18):
    client.get(URL)
    with max_queries(limit):
        response = client.get(URL)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html5lib")


def rows(soup, section_id):
    section = soup.find("section", attrs={"aria-labelledby": section_id})
    return {li.find("h3").get_text(strip=True): li for li in section.select("li.my-event")}


def past_day(days=5):
    return (timezone.now() - dt.timedelta(days=days)).date()


def test_my_events_requires_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/events/"


def test_my_events_lists_only_own_registrations(client_for, member, expert, make_event):
    mine = make_event(title="Sample mine")
    theirs = make_event(title="Sample theirs")
    Registration.objects.create(event=mine, user=member, status="confirmed")
    Registration.objects.create(event=theirs, user=expert, status="confirmed")
    soup = assert_site_page(fetch(client_for(member)))
    assert_headings_in_order(soup)
    assert set(rows(soup, "my-upcoming-heading")) == {"Sample mine"}
    assert "Sample theirs" not in soup.decode()


def test_my_events_shows_status_join_link_and_cancel(client_for, member, expert, make_event):
    confirmed = make_event(title="Sample confirmed")
    waiting = make_event(title="Sample waiting", capacity=1)
    pending = make_event(title="Sample pending", approval_required=True)
    Registration.objects.create(event=confirmed, user=member, status="confirmed")
    Registration.objects.create(event=waiting, user=expert, status="confirmed")
    Registration.objects.create(event=waiting, user=member, status="waitlisted")
    Registration.objects.create(event=pending, user=member, status="pending")
    soup = fetch(client_for(member))
    upcoming = rows(soup, "my-upcoming-heading")
    assert upcoming["Sample confirmed"].find("a", href=JOIN_URL) is not None
    assert upcoming["Sample confirmed"]["data-registration-status"] == "confirmed"
    assert "position 1" in upcoming["Sample waiting"].get_text(" ", strip=True)
    assert upcoming["Sample pending"]["data-registration-status"] == "pending"
    assert soup.decode().count(JOIN_URL) == 1
    for row in upcoming.values():
        cancel = row.find("a", href=lambda href: href and "/cancel/?next=" in href)
        assert cancel is not None
        assert row.find("time")["datetime"]


def test_my_events_has_no_join_link_for_anyone_without_a_seat(client_for, member, make_event):
    for status in ("waitlisted", "pending", "cancelled", "rejected"):
        event = make_event(title=f"Sample {status}")
        Registration.objects.create(event=event, user=member, status=status)
    soup = fetch(client_for(member))
    assert JOIN_URL not in soup.decode()


def test_my_events_skips_an_event_the_member_lost_access_to(client_for, member, make_event):
    kept = make_event(title="Sample kept")
    restricted = make_event(title="Sample restricted")
    Registration.objects.create(event=kept, user=member, status="confirmed")
    Registration.objects.create(event=restricted, user=member, status="confirmed")
    EventPage.objects.filter(pk=restricted.pk).update(
        audience="law_enforcement", registration_audience="law_enforcement"
    )
    html = fetch(client_for(member)).decode()
    assert "Sample kept" in html
    assert "Sample restricted" not in html
    assert restricted.url not in html
    assert html.count(JOIN_URL) == 1


def test_my_events_lists_past_events_with_released_recordings(client_for, member, make_event):
    released = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    def recording(title, **release):
        value = {
            "available_to": "registrants",
            "members_from": None,
            "public_from": None,
            "title": title,
            "embed": "https://www.youtube.com/watch?v=sample",
            "media": None,
        }
        value.update(release)
        return {"type": "recording", "value": value, "id": title.replace(" ", "-").lower()}

    attended = make_event(
        title="Sample attended",
        start_date=past_day(3),
        end_date=past_day(3),
        recordings=[
            recording("Sample registrants recording"),
            recording("Sample later recording", public_from="2999-01-01"),
        ],
    )
    missed = make_event(
        title="Sample missed",
        start_date=past_day(5),
        end_date=past_day(5),
        recordings=[
            recording("Sample members recording", members_from=released),
            recording("Sample hidden recording"),
        ],
    )
    Registration.objects.create(event=attended, user=member, status="attended")
    Registration.objects.create(event=missed, user=member, status="cancelled")
    soup = fetch(client_for(member))
    past = rows(soup, "my-past-heading")
    assert list(past) == ["Sample attended", "Sample missed"]  # most recent first
    attended_links = {
        a.get_text(strip=True): a["href"] for a in past["Sample attended"].select("article ul a")
    }
    assert attended_links == {
        "Sample registrants recording": f"{attended.url}#recording-sample-registrants-recording",
        "Sample later recording": f"{attended.url}#recording-sample-later-recording",
    }
    missed_links = {a.get_text(strip=True) for a in past["Sample missed"].select("article ul a")}
    assert missed_links == {"Sample members recording"}
    for row in past.values():
        assert row.find("form") is None  # nothing left to cancel
    assert JOIN_URL not in soup.decode()  # a finished event needs no join link


def test_my_events_query_count_is_constant(client_for, member, expert, make_event):
    event = make_event(capacity=1)
    Registration.objects.create(event=event, user=expert, status="confirmed")
    Registration.objects.create(event=event, user=member, status="waitlisted")
    client = client_for(member)

    def grow(factor):
        for n in range(factor):
            event = make_event(capacity=1)
            Registration.objects.create(event=event, user=expert, status="confirmed")
            status = "waitlisted" if n % 2 else "confirmed"
            Registration.objects.create(event=event, user=member, status=status)

    assert_queries_constant(lambda: client.get(URL), grow)
