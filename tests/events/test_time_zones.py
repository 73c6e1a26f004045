"""Time zones in pages: the event's zone and the viewer's, DST days, the viewer's local date,
the night notice, the visitor's progressive enhancement — parsed with html5lib, in a bounded
number of queries."""

import datetime as dt
import re

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community.models import Membership
from events.models import Registration
from events.templatetags.event_tags import night_span
from tests.queries import assert_queries_constant, count_queries, max_queries

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 26
DST_DAY = dt.date(2027, 3, 28)  # clocks in Paris go from UTC+1 to UTC+2 at 01:00 UTC
JUNE_14 = dt.date(2027, 6, 14)


def soup_of(response):
    return BeautifulSoup(response.content.decode(), "html5lib")


def get(client, url, limit=PAGE_LIMIT):
    client.get(url)  # warm the site-root cache and settings rows
    with max_queries(limit):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def set_zone(user, zone):
    Membership.objects.filter(user=user).update(time_zone=zone)


def text_of(element):
    """The text as a reader sees it: whitespace between elements collapsed to one space."""
    return " ".join(element.get_text().split())


def event_time_text(soup):
    return text_of(soup.select_one(".event-time--event"))


def viewer_times(scope):
    return scope.select(".event-time--viewer time[data-local-time]")


def french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


# --- the DST change day ------------------------------------------------------------------


def test_nine_in_paris_on_the_dst_day_is_seven_utc(client, make_event):
    event = make_event(
        start_date=DST_DAY, end_date=DST_DAY, start_time=dt.time(9), end_time=dt.time(10)
    )
    soup = soup_of(get(french(client), event.url))
    local = event_time_text(soup)
    assert local == "dimanche 28 mars 2027, 09:00–10:00 · Paris (UTC+2)"
    times = viewer_times(soup)
    assert times[0]["datetime"] == "2027-03-28T07:00:00Z"
    assert times[0].get_text() == "dimanche 28 mars 2027, 07:00"
    assert times[1]["datetime"] == "2027-03-28T08:00:00Z"
    assert times[1].get_text(strip=True) == "08:00"  # same day: the time alone
    label = soup.select_one(".event-time--viewer [data-local-zone]").get_text(strip=True)
    assert label == "UTC"


def test_nine_in_paris_the_day_before_is_eight_utc(client, make_event):
    day = DST_DAY - dt.timedelta(days=1)
    event = make_event(start_date=day, end_date=day, start_time=dt.time(9), end_time=dt.time(10))
    soup = soup_of(get(french(client), event.url))
    assert event_time_text(soup).endswith("· Paris (UTC+1)")
    times = viewer_times(soup)
    assert times[0]["datetime"] == "2027-03-27T08:00:00Z"
    assert times[0].get_text() == "samedi 27 mars 2027, 08:00"


def test_english_page_shows_both_zones_on_the_dst_day(client, make_event):
    event = make_event(
        start_date=DST_DAY, end_date=DST_DAY, start_time=dt.time(9), end_time=dt.time(10)
    )
    soup = soup_of(get(client, event.url))
    assert event_time_text(soup) == "Sunday, March 28, 2027, 09:00–10:00 · Paris (UTC+2)"
    viewer = text_of(soup.select_one(".event-time--viewer"))
    assert viewer == "Sunday, March 28, 2027, 07:00–08:00 · UTC"


# --- a member with a zone in their profile ------------------------------------------------


def test_auckland_member_sees_the_next_day_in_their_zone(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    event = make_event(
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        start_time=dt.time(20),
        end_time=dt.time(21),
    )
    soup = soup_of(get(client_for(member), event.url))
    row = soup.select_one("[data-viewer-time]")
    assert row.find("dt").get_text(strip=True) == "Your time"
    assert row.has_attr("data-zone-fixed")
    start, end = viewer_times(soup)
    assert start["datetime"] == "2027-06-14T20:00:00Z"
    assert start.has_attr("data-zone-fixed") and end.has_attr("data-zone-fixed")
    assert start.get_text() == "Tuesday, June 15, 2027, 08:00"
    assert end.get_text(strip=True) == "09:00"
    assert row.select_one("[data-local-zone]").get_text() == "Auckland (UTC+12)"
    # The event's own line keeps the 14th, in UTC.
    assert event_time_text(soup) == "Monday, June 14, 2027, 20:00–21:00 · UTC"
    # Nothing for the script to do: no label to rewrite, no notice to fill.
    assert not soup.select("[data-night-notice]")
    assert not soup.select(".night-notice")  # 08:00–09:00 is daytime in Auckland


def test_night_notice_for_an_auckland_member(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    event = make_event(
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        start_time=dt.time(11),
        end_time=dt.time(13),
    )
    soup = soup_of(get(client_for(member), event.url))
    notices = soup.select(".event-facts .night-notice")
    assert len(notices) == 1
    notice = notices[0]
    assert notice["role"] == "note"
    assert not notice.has_attr("hidden")
    assert notice.get_text(strip=True) == (
        "This is at night in your time zone: 23:00–01:00 · Auckland (UTC+12)."
    )


def test_no_night_notice_for_a_paris_member_at_nine_in_paris(client_for, member, make_event):
    set_zone(member, "Europe/Paris")
    event = make_event(start_date=DST_DAY, end_date=DST_DAY)
    soup = soup_of(get(client_for(member), event.url))
    assert not soup.select(".night-notice")
    # Same zone as the event: one line, not two saying the same thing.
    assert not soup.select("[data-viewer-time]")
    assert "09:00" in event_time_text(soup) and "Paris (UTC+" in event_time_text(soup)


def test_night_notice_in_the_events_own_zone(client_for, member, make_event):
    set_zone(member, "Europe/Paris")
    event = make_event(start_time=dt.time(21, 30), end_time=dt.time(23))
    notice = soup_of(get(client_for(member), event.url)).select_one(".night-notice")
    assert notice.get_text(strip=True) == (
        "This is at night in your time zone: 21:30–23:00 · Paris (UTC+1)."
    )


def test_pending_member_with_a_zone_gets_it_too(client_for, pending, make_event):
    set_zone(pending, "Asia/Tokyo")
    event = make_event(time_zone="UTC", start_date=JUNE_14, end_date=JUNE_14)
    soup = soup_of(get(client_for(pending), event.url))
    start = viewer_times(soup)[0]
    assert start.has_attr("data-zone-fixed") and start.get_text().endswith(", 18:00")


# --- visitors and members without a zone: UTC on the server, the browser's zone in JS ---


@pytest.mark.parametrize("who", ["anon", "member"])
def test_without_a_profile_zone_pages_prepare_the_local_time_script(
    who, client_for, member, make_event
):
    user = None if who == "anon" else member
    event = make_event(
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        start_time=dt.time(11),
        end_time=dt.time(13),
    )
    response = get(client_for(user), event.url)
    soup = soup_of(response)
    start, end = viewer_times(soup)
    assert start["datetime"] == "2027-06-14T11:00:00Z" and start["data-style"] == "datetime"
    assert end["datetime"] == "2027-06-14T13:00:00Z" and end["data-style"] == "time"
    assert end["data-day-of"] == "2027-06-14T11:00:00Z"
    assert not start.has_attr("data-zone-fixed")
    assert soup.select_one("[data-viewer-time] dt").get_text(strip=True) == "Your time"
    assert soup.select_one("[data-viewer-time] [data-local-zone]").get_text() == "UTC"
    # Rendered even when the event is in UTC: the browser's zone may well differ.
    assert soup.select_one("[data-viewer-time]")["data-event-zone"] == "UTC"

    notice = soup.select_one(".event-facts [data-night-notice]")
    assert notice.has_attr("hidden") and notice["role"] == "note"
    assert notice.get_text(strip=True) == ""
    assert notice["data-start"] == "2027-06-14T11:00:00Z"
    assert notice["data-end"] == "2027-06-14T13:00:00Z"
    assert notice["data-template"] == "This is at night in your time zone: {when}."

    scripts = [s for s in soup.find_all("script") if s.get("src", "").endswith("local-time.js")]
    assert len(scripts) == 1
    script = scripts[0]
    assert script.has_attr("defer")
    nonce = script.get("nonce")
    assert nonce and f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert not soup.find_all("script", src=False)  # no inline script


def test_the_script_is_a_static_file():
    from django.contrib.staticfiles import finders

    path = finders.find("js/local-time.js")
    assert path
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    assert "data-local-time" in source and "data-night-notice" in source


def test_agenda_items_show_the_viewer_time(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    item = {"starts": "09:30:00", "ends": "10:00:00", "title": "Sample opening"}
    event = make_event(
        start_date=JUNE_14,
        end_date=JUNE_14,
        agenda=[{"type": "item", "value": {**item, "description": "", "speaker": ""}}],
    )
    soup = soup_of(get(client_for(member), event.url))
    viewer = soup.select_one(".agenda__item .agenda__viewer-time")
    times = viewer.find_all("time")
    # 09:30 in Paris (CEST) is 07:30 UTC, 19:30 in Auckland the same day.
    assert [t["datetime"] for t in times] == ["2027-06-14T07:30:00Z", "2027-06-14T08:00:00Z"]
    assert [t.get_text(strip=True) for t in times] == ["19:30", "20:00"]
    assert text_of(viewer) == "Your time: 19:30–20:00 · Auckland (UTC+12)"
    note = soup.select_one(".event-agenda__zone").get_text(" ", strip=True)
    assert "time zone, Paris (UTC+2)." in note and "your time" in note


# --- listings ----------------------------------------------------------------------------


def test_index_cards_show_the_viewer_zone_and_night_notice(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    night = make_event(
        title="Sample night",
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        start_time=dt.time(11),
        end_time=dt.time(13),
    )
    # 21:00–22:00 in Auckland: ends as the night begins.
    make_event(
        title="Sample day",
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        end_time=dt.time(10),
    )
    soup = soup_of(get(client_for(member), night.get_parent().url))
    cards = {
        c.select_one(".event-card__title").get_text(strip=True): c
        for c in soup.select("article.event-card")
    }
    night_card, day_card = cards["Sample night"], cards["Sample day"]
    start = viewer_times(night_card)[0]
    assert start["datetime"] == "2027-06-14T11:00:00Z"
    assert start.get_text() == "Monday, June 14, 2027, 23:00"
    assert night_card.select_one(".night-notice").get_text(strip=True) == (
        "This is at night in your time zone: 23:00–01:00 · Auckland (UTC+12)."
    )
    assert not day_card.select(".night-notice")
    # 09:00 UTC = 21:00 NZST
    assert viewer_times(day_card)[0].get_text() == "Monday, June 14, 2027, 21:00"


def test_index_prepares_cards_for_visitors(client, make_event):
    event = make_event(time_zone="Asia/Kolkata", start_date=JUNE_14, end_date=JUNE_14)
    soup = soup_of(get(client, event.get_parent().url))
    card = soup.select_one("article.event-card")
    start = viewer_times(card)[0]
    assert start["datetime"] == "2027-06-14T03:30:00Z" and not start.has_attr("data-zone-fixed")
    assert card.select_one("[data-night-notice]").has_attr("hidden")
    assert soup.find("script", src=re.compile(r"local-time\.js$"))["nonce"]


def test_my_events_rows_show_both_zones(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    event = make_event(
        title="Sample mine",
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        start_time=dt.time(11),
        end_time=dt.time(13),
    )
    Registration.objects.create(event=event, user=member, status="confirmed")
    soup = soup_of(get(client_for(member), "/me/events/", limit=18))
    row = soup.select_one("li.my-event")
    assert viewer_times(row)[0].get_text() == "Monday, June 14, 2027, 23:00"
    assert "night" in row.select_one(".night-notice").get_text()
    help_text = soup.select_one("main .field__help")
    assert "shown in Auckland (UTC+" in help_text.get_text()
    assert "Pacific/Auckland" not in help_text.get_text()
    assert help_text.find("a")["href"] == "/me/preferences/"


def test_my_events_explains_the_browser_zone_without_a_profile_zone(client_for, member, make_event):
    event = make_event(title="Sample mine")
    Registration.objects.create(event=event, user=member, status="confirmed")
    soup = soup_of(get(client_for(member), "/me/events/", limit=18))
    assert "browser" in soup.select_one("main .field__help").get_text()
    assert not viewer_times(soup)[0].has_attr("data-zone-fixed")


def test_home_section_shows_the_viewer_time(client_for, member, make_event):
    from wagtail import hooks

    from events.sections import home_upcoming_section

    set_zone(member, "Pacific/Auckland")
    make_event(
        time_zone="UTC",
        start_date=JUNE_14,
        end_date=JUNE_14,
        start_time=dt.time(11),
        end_time=dt.time(13),
    )
    registered = any(
        getattr(fn, "__module__", "").startswith("events")
        for fn in hooks.get_hooks("home_page_sections")
    )
    if registered:
        soup = soup_of(get(client_for(member), "/"))
    else:
        with hooks.register_temporarily("home_page_sections", home_upcoming_section):
            soup = soup_of(get(client_for(member), "/"))
    section = soup.select_one("section.home-section--events")
    viewer = section.select_one("p.event-time--viewer")
    assert text_of(viewer) == (
        "Your time: Monday, June 14, 2027, 23:00 – Tuesday, June 15, 2027, 01:00"
        " · Auckland (UTC+12)"
    )
    assert section.select_one(".night-notice")["role"] == "note"
    assert section.find("script", src=re.compile(r"local-time\.js$"))["nonce"]


def test_all_day_events_stay_in_their_own_dates(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    event = make_event(start_time=None, end_time=None)
    soup = soup_of(get(client_for(member), event.url))
    assert not soup.select("[data-viewer-time]") and not soup.select(".night-notice")


# --- right to left -----------------------------------------------------------------------


def test_arabic_page_keeps_times_machine_readable(client, make_event):
    from django.utils import translation

    event = make_event(time_zone="UTC", start_date=JUNE_14, end_date=JUNE_14)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    soup = soup_of(get(client, event.url))
    translation.activate("en")
    assert soup.html["dir"] == "rtl" and soup.html["lang"] == "ar"
    assert viewer_times(soup)[0]["datetime"] == "2027-06-14T09:00:00Z"
    assert soup.select_one("[data-night-notice]")["role"] == "note"


# --- query counts ------------------------------------------------------------------------


def test_a_profile_zone_costs_no_extra_queries(client_for, member, expert, make_event):
    event = make_event()
    set_zone(member, "Pacific/Auckland")
    with_zone, without_zone = client_for(member), client_for(expert)
    for client in (with_zone, without_zone):
        client.get(event.url)
    assert count_queries(lambda: with_zone.get(event.url)) == count_queries(
        lambda: without_zone.get(event.url)
    )


def test_index_query_count_constant_with_viewer_times(client_for, member, make_event):
    set_zone(member, "Pacific/Auckland")
    first = make_event(start_time=dt.time(23), end_time=dt.time(23, 30))
    client = client_for(member)
    url = first.get_parent().url

    def grow(factor):
        for _n in range(factor):
            make_event(start_time=dt.time(23), end_time=dt.time(23, 30))

    assert_queries_constant(lambda: client.get(url), grow)


# --- the night rule itself ---------------------------------------------------------------


def _utc(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


@pytest.mark.parametrize(
    ("start", "end", "zone", "night"),
    [
        ((20, 0), (22, 0), "UTC", False),  # ends as the night begins
        ((7, 0), (9, 0), "UTC", False),  # starts as the night ends
        ((21, 0), (22, 30), "UTC", True),
        ((6, 30), (7, 30), "UTC", True),
        ((2, 0), (2, 0), "UTC", True),  # a moment at night
        ((11, 0), (13, 0), "Pacific/Auckland", True),
        ((11, 0), (13, 0), "Europe/Paris", False),
        ((20, 30), (21, 0), "Asia/Kathmandu", True),  # 02:15 at UTC+05:45
    ],
)
def test_night_span(start, end, zone, night):
    found = night_span(_utc(JUNE_14, *start), _utc(JUNE_14, *end), zone)
    assert (found is not None) is night


def test_night_span_on_the_dst_night_and_for_long_events():
    # 00:30–01:30 UTC on the change day: 01:30 CET to 03:30 CEST — at night in Paris.
    span = night_span(_utc(DST_DAY - dt.timedelta(days=1), 0, 30), _utc(DST_DAY, 1, 30), "UTC")
    assert span is None  # 25 hours: long events never warn
    local_start, local_end = night_span(_utc(DST_DAY, 0, 30), _utc(DST_DAY, 1, 30), "Europe/Paris")
    assert (local_start.hour, local_end.hour) == (1, 3)


def test_tags_without_a_request_fall_back_to_utc(make_event):
    event = make_event(time_zone="UTC", start_date=JUNE_14, end_date=JUNE_14)
    html = Template("{% load event_tags %}{% viewer_when event %}{% night_notice event %}").render(
        Context({"event": event, "request": None})
    )
    soup = BeautifulSoup(html, "html5lib")
    assert soup.select_one("time[data-local-time]")["datetime"] == "2027-06-14T09:00:00Z"
    assert soup.select_one("[data-local-zone]").get_text(strip=True) == "UTC"


# --- one shape on every page, no double punctuation ----------------------------------------

OLD_SHAPES = re.compile(r"\b[ap]\.m\.|\bnoon\b|\bmidnight\b|GMT|UTC[+-]\d{2}:\d{2}|\.\.")
RAW_ZONE = re.compile(r"\b(?:Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific)/")


def test_pages_write_no_old_shapes_nor_raw_zone_ids(client_for, member, make_event):
    from events import tokens

    set_zone(member, "America/Argentina/Buenos_Aires")
    opens = timezone.now() + dt.timedelta(days=2)
    event = make_event(time_zone="Asia/Kolkata", registration_opens=opens)
    Registration.objects.create(
        event=make_event(title="Sample mine"), user=member, status="confirmed"
    )
    tokens.issue(member)
    client = client_for(member)
    for url in (event.url, event.get_parent().url, "/me/events/", "/me/calendar/"):
        main = soup_of(get(client, url, limit=40)).find("main")
        text = text_of(main)
        assert not OLD_SHAPES.search(text), (url, OLD_SHAPES.search(text), text)
        assert not RAW_ZONE.search(text), (url, text)
    panel = text_of(soup_of(client.get(event.url)).select_one("[data-registration-status]"))
    assert "Registration opens on " in panel and "· Buenos Aires (UTC\N{MINUS SIGN}3)." in panel


def test_email_times_have_the_page_shape_in_the_language_rendered(make_event, member):
    from django.template.loader import render_to_string
    from django.utils import translation

    from events.emails import build_context

    set_zone(member, "Pacific/Auckland")
    member.refresh_from_db()
    event = make_event(start_date=JUNE_14, end_date=JUNE_14)
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    context = build_context(registration, "confirmed")
    with translation.override("fr"):
        text = render_to_string("events/email/includes/event_details.txt", context)
    assert "lundi 14 juin 2027, 09:00–12:00 · Paris (UTC+2)" in text, text
    assert "lundi 14 juin 2027, 19:00–22:00 · Auckland (UTC+12)" in text, text
