"""Times in a real browser, at phone and desktop widths.

local-time.js writes a visitor's own times in the site's one shape: the same text the
server writes for a member whose profile names that zone. Every time on a card and on an
event page has that shape; without JavaScript the server's UTC text stays. The zone picker
works by keyboard, with and without JavaScript.
"""

import datetime as dt
import re
from pathlib import Path

from django.utils import translation

import pytest
from playwright.sync_api import expect

from community import timeformat
from community.models import Membership
from tests.factories import EventPageFactory, make_member
from tests.helpers import published_event_index, sign_in, site_home

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
# 13:00–14:00 UTC on 14 June is 01:00–02:00 on 15 June in Auckland (NZST, UTC+12).
DAY = dt.date(2027, 6, 14)
START = dt.datetime(2027, 6, 14, 13, tzinfo=dt.UTC)
END = dt.datetime(2027, 6, 14, 14, tzinfo=dt.UTC)
WIDTHS = [390, 1366]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
MONTH = r"(?:Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)"
DATE = rf"{WEEKDAY}, {MONTH} \d{{1,2}}, \d{{4}}"
CLOCK = r"\d{2}:\d{2}"
# One shape for a <time>: a date, a date and a clock time, or a clock time after a date.
TIME_TEXT = re.compile(rf"^(?:{DATE}(?:, {CLOCK})?|{CLOCK})$")
OFFSET = r"UTC(?:[+\N{MINUS SIGN}]\d{1,2}(?::\d{2})?)?"
ZONE_TEXT = re.compile(rf"^(?:[A-Z][A-Za-z .,'-]+ \({OFFSET}\)|{OFFSET})$")
# What the old mix looked like: 12-hour clocks, GMT offsets, raw zone ids, "UTC+08:00".
OLD_SHAPES = re.compile(r"\b[ap]\.m\.|\b[AP]M\b|GMT|[A-Z][a-z]+/[A-Z]|UTC[+-]\d{2}:\d{2}|\.\.")


@pytest.fixture
def night_event(transactional_db):
    index = published_event_index(site_home(slug="tz-home", hero_title="Lab"))
    return EventPageFactory(
        parent=index,
        title="Sample late-night discussion",
        slug="sample-late-night",
        summary="Sample event for the time zone browser test.",
        time_zone="America/Argentina/Buenos_Aires",
        start_date=DAY,
        start_time=dt.time(10, 0),
        end_time=dt.time(11, 0),
        online=True,
        online_join_url="https://meet.example.org/sample-room",
        agenda=[
            {
                "type": "item",
                "value": {
                    "starts": "10:00:00",
                    "ends": "10:30:00",
                    "title": "Sample opening",
                    "description": "",
                    "speaker": "",
                },
            }
        ],
    )


@pytest.fixture
def context_for(new_context):
    def make(width=1366, **options):
        return new_context(
            timezone_id="Pacific/Auckland",
            viewport={"width": width, "height": 844 if width < 800 else 900},
            **options,
        )

    return make


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    options = {"full_page": True} if hasattr(page, "goto") else {}
    page.screenshot(path=str(SHOTS / f"{name}.png"), **options)


def watch_errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    return errors


def server_text(language, zone):
    """What the server writes for a member whose profile zone is ``zone``."""
    with translation.override(language):
        span = f"{timeformat.format_datetime(START, zone)}{timeformat.DASH}"
        span += timeformat.format_clock(END, zone)
        return timeformat.with_zone(span, zone, START)


def assert_one_shape(scope):
    """Every <time> and zone label in ``scope`` has the site's one shape; none of the old."""
    texts = [t.strip() for t in scope.locator("time").all_inner_texts()]
    assert texts, "no times found"
    for text in texts:
        assert TIME_TEXT.match(text), text
    labels = [t.strip() for t in scope.locator(".zone-label").all_inner_texts()]
    assert labels
    for label in labels:
        assert ZONE_TEXT.match(label), label
    assert not OLD_SHAPES.search(scope.inner_text()), scope.inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_event_page_times_have_one_shape_in_the_visitor_zone(context_for, night_event, width):
    page = context_for(width).new_page()
    errors = watch_errors(page)
    page.goto(night_event.url)

    row = page.locator(".event-facts [data-viewer-time]")
    expect(row.locator("dt")).to_have_text("Your time")
    start = row.locator("time[data-local-time]").first
    assert start.get_attribute("datetime") == "2027-06-14T13:00:00Z"
    # The browser's text is the server's text for an Auckland profile, to the character.
    expect(row.locator("dd")).to_have_text(server_text("en", "Pacific/Auckland"))
    assert row.locator("dd").inner_text() == (
        "Tuesday, June 15, 2027, 01:00\N{EN DASH}02:00 · Auckland (UTC+12)"
    )
    expect(page.locator(".event-time--event")).to_have_text(
        "Monday, June 14, 2027, 10:00\N{EN DASH}11:00 · Buenos Aires (UTC\N{MINUS SIGN}3)"
    )
    notice = page.locator(".event-facts [data-night-notice]")
    expect(notice).to_have_text(
        "This is at night in your time zone: 01:00\N{EN DASH}02:00 · Auckland (UTC+12)."
    )
    assert notice.get_attribute("role") == "note"
    expect(page.locator(".agenda__viewer-time")).to_have_text(
        "Your time: 01:00\N{EN DASH}01:30 · Auckland (UTC+12)"
    )
    assert_one_shape(page.locator("main"))
    assert "America/Argentina" not in page.locator("main").inner_text()
    shot(page, f"event-page-auckland-{width}")
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_card_has_one_shape(context_for, night_event, width):
    page = context_for(width).new_page()
    page.goto(night_event.get_parent().url)
    card = page.locator("article.event-card").first
    expect(card.locator("[data-viewer-time] dd")).to_have_text(
        server_text("en", "Pacific/Auckland")
    )
    expect(card.locator("[data-night-notice]")).to_be_visible()
    assert_one_shape(card)
    shot(card, f"event-card-auckland-{width}")


@pytest.mark.parametrize(
    ("language", "locale", "expected"),
    [
        ("fr", "fr-FR", "mardi 15 juin 2027, 01:00"),
        ("ar", "ar-EG", "الثلاثاء، 15 يونيو، 2027، 01:00"),
    ],
)
def test_other_languages_in_the_browser_match_the_server(
    context_for, night_event, language, locale, expected
):
    page = context_for(390, locale=locale).new_page()
    page.goto(night_event.url.replace("/en/", f"/{language}/", 1))
    expect(page.locator("html")).to_have_attribute("lang", language)
    row = page.locator(".event-facts [data-viewer-time] dd")
    expect(row).to_have_text(server_text(language, "Pacific/Auckland"))
    assert expected in row.inner_text()
    shot(page, f"event-page-auckland-{language}-390")


def test_a_browser_in_the_events_zone_sees_one_line(new_context, night_event):
    page = new_context(timezone_id="America/Argentina/Buenos_Aires").new_page()
    page.goto(night_event.url)
    expect(page.locator(".event-facts [data-viewer-time]")).to_be_hidden()
    expect(page.locator(".event-time--event")).to_be_visible()


def test_without_javascript_the_utc_text_remains(context_for, night_event):
    page = context_for(390, java_script_enabled=False).new_page()
    page.goto(night_event.url)
    row = page.locator(".event-facts [data-viewer-time]")
    expect(row.locator("dd")).to_have_text(server_text("en", "UTC"))
    assert row.locator("[data-local-zone]").inner_text() == "UTC"
    expect(page.locator("[data-night-notice]")).to_be_hidden()
    assert_one_shape(page.locator("main"))


# --- the zone picker ---------------------------------------------------------------------


@pytest.fixture
def member(transactional_db):
    site_home(slug="tz-home", hero_title="Lab")
    return make_member(email="zones@example.net")


def open_preferences(page, member):
    sign_in(page, member.email, PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/me/preferences/")
    return page.locator("select[name=time_zone]")


@pytest.mark.parametrize("width", WIDTHS)
def test_zone_picker_by_keyboard_without_javascript(new_context, member, width):
    page = new_context(
        java_script_enabled=False, viewport={"width": width, "height": 844}
    ).new_page()
    select = open_preferences(page, member)
    expect(page.locator("[data-zone-filter]")).to_be_hidden()
    groups = select.locator("optgroup")
    assert groups.evaluate_all("gs => gs.map(g => g.label)") == [
        "Africa",
        "Americas",
        "Asia",
        "Atlantic Ocean",
        "Australia",
        "Europe",
        "Indian Ocean",
        "Pacific",
    ]
    values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert "America/Argentina/Buenos_Aires" in values and "US/Eastern" not in values
    # Tab to the list and type the city: the closed list jumps to it.
    page.get_by_role("combobox", name="Time zone").focus()
    page.keyboard.type("Buenos", delay=50)
    expect(select).to_have_value("America/Argentina/Buenos_Aires")
    assert re.match(
        r"^Buenos Aires, Argentina \(UTC\N{MINUS SIGN}3\)$",
        select.locator("option:checked").inner_text(),
    )
    shot(page, f"zone-picker-nojs-{width}")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save preferences")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("saved")
    membership = Membership.objects.get(user=member)
    assert membership.time_zone == "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize("width", WIDTHS)
def test_zone_picker_filter_box_by_keyboard(new_context, member, width):
    page = new_context(viewport={"width": width, "height": 844}).new_page()
    select = open_preferences(page, member)
    search = page.get_by_label("Find a city or country")
    expect(search).to_be_visible()
    search.focus()
    page.keyboard.type("kolk")
    status = page.locator("#zone-filter-status")
    expect(status).to_have_text("Time zones in the list: 1")
    expect(select).to_have_value("Asia/Kolkata")
    visible = select.locator("option:not([hidden])").evaluate_all("os => os.map(o => o.value)")
    assert visible == ["", "Asia/Kolkata"]
    shot(page, f"zone-picker-filter-{width}")
    # A country finds its zones too, accents and case aside.
    search.fill("")
    page.keyboard.type("ARGENTINA")
    expect(status).to_have_text(re.compile(r"Time zones in the list: 1\d"))
    search.fill("")
    page.keyboard.type("Nowhere at all")
    expect(status).to_contain_text("No time zone matches")
    search.fill("")
    page.keyboard.type("Zürich")
    expect(select).to_have_value("Europe/Zurich")
    page.keyboard.press("Enter")  # moves on to the list instead of submitting
    expect(select).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("saved")
    assert Membership.objects.get(user=member).time_zone == "Europe/Zurich"
