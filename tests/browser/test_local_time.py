"""local-time.js in a real browser: a visitor in Auckland sees the event on their own date,
with the night notice; without JavaScript the server's UTC text stays."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from events.models import EventPage
from tests.conftest import published_event_index, site_home

pytestmark = pytest.mark.django_db(transaction=True)

# 13:00–14:00 UTC on 14 June is 01:00–02:00 on 15 June in Auckland (NZST, UTC+12).
DAY = dt.date(2027, 6, 14)


@pytest.fixture
def night_event(transactional_db):
    index = published_event_index(site_home(slug="tz-home", hero_title="Lab"))
    event = index.add_child(
        instance=EventPage(
            title="Sample late-night discussion",
            slug="sample-late-night",
            kind="workshop",
            summary="Sample event for the time zone browser test.",
            time_zone="UTC",
            start_date=DAY,
            start_time=dt.time(13, 0),
            end_date=DAY,
            end_time=dt.time(14, 0),
            format="online",
            online_join_url="https://meet.example.org/sample-room",
            audience="public",
            registration_audience="members",
        )
    )
    event.save_revision().publish()
    return event


@pytest.fixture
def context_for(new_context):
    def make(**options):
        return new_context(timezone_id="Pacific/Auckland", **options)

    return make


def test_auckland_visitor_sees_their_date_and_the_night_notice(context_for, night_event):
    page = context_for().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    page.goto(night_event.url)

    row = page.locator(".event-facts [data-viewer-time]")
    expect(row.locator("dt")).to_have_text("Your time (Pacific/Auckland)")
    start = row.locator("time[data-local-time]").first
    assert start.get_attribute("datetime") == "2027-06-14T13:00:00Z"
    text = start.inner_text()
    assert re.search(r"\b15\b", text) and "Jun" in text and "2027" in text, text
    assert "14" not in text
    assert re.search(r"\b0?1[:.]00\b", text), text
    assert "UTC" not in row.locator("[data-local-zone]").inner_text()

    notice = page.locator(".event-facts [data-night-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(
        "This is at night in your time zone (01:00–02:00, Pacific/Auckland)."
    )
    assert notice.get_attribute("role") == "note"
    # The event's own line is untouched, and the policy let the script run without a hitch.
    assert "June 14, 2027" in page.locator(".event-time--event").inner_text()
    assert errors == []


def test_auckland_visitor_on_the_index(context_for, night_event):
    page = context_for().new_page()
    page.goto(night_event.get_parent().url)
    card = page.locator("article.event-card").first
    expect(card.locator("[data-local-label]")).to_have_text("Your time (Pacific/Auckland)")
    assert re.search(r"\b15\b", card.locator("time[data-local-time]").first.inner_text())
    expect(card.locator("[data-night-notice]")).to_be_visible()


def test_without_javascript_the_utc_text_remains(context_for, night_event):
    page = context_for(java_script_enabled=False).new_page()
    page.goto(night_event.url)
    row = page.locator(".event-facts [data-viewer-time]")
    expect(row.locator("dt")).to_have_text("Your time (UTC)")
    start = row.locator("time[data-local-time]").first
    assert start.inner_text() == "June 14, 2027, 1 p.m."
    assert row.locator("[data-local-zone]").inner_text() == "UTC"
    expect(page.locator("[data-night-notice]")).to_be_hidden()
