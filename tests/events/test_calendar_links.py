"""Add-to-calendar and subscribe links: parsed as HTML and as query strings."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory

import pytest
from bs4 import BeautifulSoup

from events import links as event_links
from events.filters import EventFilters

pytestmark = pytest.mark.django_db

JOIN = "meet.example.org"


def render(source, **context):
    html = Template("{% load calendar_tags %}" + source).render(Context(context))
    return BeautifulSoup(html, "html5lib"), html


def links(page):
    return {a.get_text(" ", strip=True).split(" (")[0]: a["href"] for a in page.find_all("a")}


def query(url):
    parts = urlsplit(url)
    return parts, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_calendar_links_for_a_timed_event(make_event, settings):
    event = make_event(
        title="Sample panel",
        start_date=dt.date(2027, 3, 28),
        end_date=dt.date(2027, 3, 28),
        start_time=dt.time(9, 0),
        end_time=dt.time(10, 30),
    )
    page, html = render("{% calendar_links event %}", event=event)
    found = links(page)
    assert set(found) == {"Download .ics", "Add to Google Calendar", "Add to Outlook.com"}
    assert found["Download .ics"] == f"{settings.SITE_URL}/events/{event.pk}/event.ics"

    parts, google = query(found["Add to Google Calendar"])
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert google["action"] == "TEMPLATE"
    assert google["text"] == "Sample panel"
    # 09:00 Paris on the day clocks change is 07:00 UTC.
    assert google["dates"] == "20270328T070000Z/20270328T083000Z"
    assert google["ctz"] == "Europe/Paris"
    assert google["location"] == "Online"
    assert "Event page: http" in google["details"]

    parts, outlook = query(found["Add to Outlook.com"])
    assert parts.netloc == "outlook.live.com"
    assert parts.path == "/calendar/0/deeplink/compose"
    assert outlook["path"] == "/calendar/action/compose"
    assert outlook["rru"] == "addevent"
    assert outlook["subject"] == "Sample panel"
    assert outlook["startdt"] == "2027-03-28T07:00:00Z"
    assert outlook["enddt"] == "2027-03-28T08:30:00Z"
    assert "allday" not in outlook
    assert JOIN not in html


def test_calendar_links_for_a_multi_day_all_day_event(make_event):
    event = make_event(
        start_date=dt.date(2027, 6, 1),
        end_date=dt.date(2027, 6, 3),
        start_time=None,
        end_time=None,
        time_zone="Pacific/Auckland",
    )
    page, html = render("{% calendar_links event %}", event=event)
    found = links(page)
    _parts, google = query(found["Add to Google Calendar"])
    assert google["dates"] == "20270601/20270604"  # exclusive end
    assert google["ctz"] == "Pacific/Auckland"
    _parts, outlook = query(found["Add to Outlook.com"])
    assert outlook["allday"] == "true"
    assert (outlook["startdt"], outlook["enddt"]) == ("2027-06-01", "2027-06-04")
    assert JOIN not in html


def test_calendar_links_for_a_series_point_at_the_next_occurrence(make_event):
    event = make_event(
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 1, 5),
        repeat="weekly",
        repeat_until=dt.date.today() + dt.timedelta(days=60),
    )
    now = dt.datetime.now(dt.UTC)
    url = event_links.google_url(event, "https://example.org/e/", now=now)
    start = dt.datetime.strptime(query(url)[1]["dates"][:16], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=dt.UTC
    )
    assert now - dt.timedelta(hours=3) < start < now + dt.timedelta(days=8)


def test_calendar_links_escape_editor_text(make_event):
    event = make_event(title='Sample "quoted" & <b>bold</b>')
    page, html = render("{% calendar_links event %}", event=event)
    assert "<b>bold</b>" not in html
    _parts, google = query(links(page)["Add to Google Calendar"])
    assert google["text"] == 'Sample "quoted" & <b>bold</b>'


def test_feed_links_without_filters(settings):
    settings.SITE_URL = "https://events.example.org"
    page, _html = render("{% feed_links %}")
    found = links(page)
    assert found["Feed address"] == "https://events.example.org/events/feed.ics"
    assert found["Subscribe"] == "webcal://events.example.org/events/feed.ics"
    parts, google = query(found["Subscribe in Google Calendar"])
    assert (parts.netloc, parts.path) == ("calendar.google.com", "/calendar/render")
    assert google["cid"] == "webcal://events.example.org/events/feed.ics"


def test_feed_links_keep_the_listings_known_filters(settings):
    settings.SITE_URL = "https://events.example.org"
    request = RequestFactory().get(
        "/events/?kind=workshop&format=online&topic=sample-ethics&kind=bogus&topic=gone"
        "&page=2&when=past&audience=members"
    )
    filters = EventFilters.parse(
        request.GET, topics=["sample-ethics"], audiences=["members"], strict=False
    )
    page, _html = render("{% feed_links filters %}", filters=filters)
    found = links(page)
    parts, params = query(found["Feed address"])
    assert parts.path == "/events/feed.ics"
    assert parse_qs(parts.query) == {
        "kind": ["workshop"],
        "topic": ["sample-ethics"],
        "format": ["online"],
    }
    _parts, google = query(found["Subscribe in Google Calendar"])
    assert google["cid"].startswith("webcal://events.example.org/events/feed.ics?")
    assert "kind=workshop" in google["cid"]


def test_feed_links_take_explicit_filters(settings):
    filters = EventFilters.parse(QueryDict("format=hybrid"))
    page, _html = render("{% feed_links filters %}", filters=filters)
    _parts, params = query(links(page)["Feed address"])
    assert params == {"format": "hybrid"}
