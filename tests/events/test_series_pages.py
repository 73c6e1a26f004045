"""Recurring series in listings and pages: next dates shown, kept upcoming until the end."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from events import services
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db


def _series(make_event, **overrides):
    first = timezone.localdate() - dt.timedelta(days=40)  # began in the past
    values = {
        "title": "Sample monthly discussion room",
        "slug": "sample-monthly-room",
        "start_date": first,
        "end_date": first,
        "start_time": dt.time(12, 0),
        "end_time": dt.time(13, 0),
        "time_zone": "Europe/Paris",
        "repeat": "weekly",
        "repeat_until": first + dt.timedelta(days=120),
    }
    values.update(overrides)
    return make_event(**values)


def _soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html5lib")


def test_a_running_series_is_listed_as_upcoming_with_its_next_dates(
    client, make_event, event_index
):
    series = _series(make_event)
    soup = _soup(client.get(event_index.url))
    card = soup.find(id=f"event-card-{series.pk}").find_parent("article")
    dates = card.select(".event-card__series time")
    assert len(dates) == 3
    now = timezone.now()
    starts = [dt.datetime.fromisoformat(t["datetime"]) for t in dates]
    assert all(start > now for start in starts)
    assert starts == sorted(starts)
    past = _soup(client.get(event_index.url + "?when=past"))
    assert past.find(id=f"event-card-{series.pk}") is None


def test_event_page_lists_upcoming_dates_with_moved_ones_marked(client, make_event):
    today = timezone.localdate()
    first = today + dt.timedelta(days=1)
    series = _series(
        make_event,
        start_date=first,
        end_date=first,
        occurrence_changes=[
            ("skip", {"date": first + dt.timedelta(days=7)}),
            (
                "move",
                {
                    "date": first + dt.timedelta(days=14),
                    "new_date": first + dt.timedelta(days=15),
                    "new_start_time": dt.time(16, 0),
                    "new_end_time": None,
                },
            ),
        ],
    )
    soup = _soup(client.get(series.url))
    items = soup.select(".event-series__dates > li")
    assert len(items) == 6
    days = [dt.datetime.fromisoformat(li.find("time")["datetime"]).date() for li in items]
    assert first + dt.timedelta(days=7) not in days
    assert first + dt.timedelta(days=15) in days
    moved = [li for li in items if li.select_one(".badge")]
    assert len(moved) == 1
    moved_start = dt.datetime.fromisoformat(moved[0].find("time")["datetime"])
    assert moved_start.astimezone(series.zone).hour == 16


def test_registering_for_a_running_series_and_my_events(client_for, le_member, make_event):
    series = _series(make_event)
    registration = services.registration_create(le_member, series, {})
    assert registration.status == "confirmed"
    soup = _soup(client_for(le_member).get(reverse("events:my_events")))
    upcoming = soup.find(id="upcoming-heading") or soup
    assert series.title in upcoming.get_text()


def test_listing_queries_do_not_grow_with_series(client, make_event, event_index):
    counter = {"n": 0}

    def grow(factor):
        for _ in range(factor):
            counter["n"] += 1
            _series(make_event, slug=f"series-{counter['n']}")

    _series(make_event)
    assert_queries_constant(lambda: client.get(event_index.url), grow)


def test_no_night_notice_for_an_event_that_is_over(client_for, make_event):
    from tests.factories import make_member

    viewer = make_member()
    viewer.membership.time_zone = "Pacific/Auckland"
    viewer.membership.save()
    day = timezone.localdate()
    night_for_auckland = {
        "time_zone": "UTC",
        "start_time": dt.time(12, 0),
        "end_time": dt.time(13, 0),
    }  # 00:00–01:00 in Auckland
    past = make_event(
        slug="past-night",
        start_date=day - dt.timedelta(days=3),
        end_date=day - dt.timedelta(days=3),
        **night_for_auckland,
    )
    future = make_event(
        slug="future-night",
        start_date=day + dt.timedelta(days=3),
        end_date=day + dt.timedelta(days=3),
        **night_for_auckland,
    )
    client = client_for(viewer)
    assert _soup(client.get(future.url)).select(".night-notice")
    assert not _soup(client.get(past.url)).select(".night-notice")
