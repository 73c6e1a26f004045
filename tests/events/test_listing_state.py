"""Where the viewer stands, on every card and page: their own registration ("You are
registered", "Waitlisted (#3)", "Pending approval"), events that are over or cancelled, the
order of a past event's sections, the "Register" link by the title, and how many more events a
verified membership would show — a count through the access policy, never a title."""

import datetime as dt
import re
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community import access
from events.models import Registration
from tests.helpers import assert_headings_in_order, assert_site_page
from tests.queries import assert_queries_constant, max_queries

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 26
HOME_LIMIT = 26


def soup_of(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html5lib")


def get(client, url, limit=PAGE_LIMIT):
    client.get(url)  # warm the site-root cache and settings rows
    with max_queries(limit):
        response = client.get(url)
    return response


def cards(soup):
    return {
        card.select_one(".event-card__title").get_text(strip=True): card
        for card in soup.select("article.event-card")
    }


def state_of(node):
    found = node.select_one("[data-viewer-state]")
    return found.get_text(" ", strip=True) if found is not None else None


def days(n):
    return (timezone.now() + dt.timedelta(days=n)).date()


@pytest.fixture
def past_event(make_event):
    def make(**overrides):
        return make_event(start_date=days(-10), end_date=days(-10), **overrides)

    return make


# --- the viewer's registrations on cards ------------------------------------------------


def test_index_cards_say_where_the_viewer_stands(client_for, member, expert, le_member, make_event):
    confirmed = make_event(title="Sample confirmed")
    waiting = make_event(title="Sample waiting", capacity=1)
    pending = make_event(title="Sample pending", approval_required=True)
    withdrawn = make_event(title="Sample withdrawn")
    make_event(title="Sample untouched")
    Registration.objects.create(event=confirmed, user=member, status="confirmed")
    Registration.objects.create(event=waiting, user=expert, status="confirmed")
    # Two others queue ahead of the viewer: position 3.
    Registration.objects.create(event=waiting, user=le_member, status="waitlisted")
    Registration.objects.create(event=waiting, user=_another_member(), status="waitlisted")
    Registration.objects.create(event=waiting, user=member, status="waitlisted")
    Registration.objects.create(event=pending, user=member, status="pending")
    Registration.objects.create(event=withdrawn, user=member, status="cancelled")
    seen = cards(soup_of(get(client_for(member), confirmed.get_parent().url)))
    assert state_of(seen["Sample confirmed"]).startswith("You are registered")
    assert state_of(seen["Sample waiting"]) == "Waitlisted (#3)"
    assert state_of(seen["Sample pending"]) == "Pending approval"
    assert state_of(seen["Sample withdrawn"]) is None
    assert state_of(seen["Sample untouched"]) is None

    # The expert holds a seat on one event and nothing on the others.
    seen_by_expert = cards(soup_of(get(client_for(expert), confirmed.get_parent().url)))
    assert state_of(seen_by_expert["Sample waiting"]).startswith("You are registered")
    assert state_of(seen_by_expert["Sample confirmed"]) is None
    assert state_of(seen_by_expert["Sample pending"]) is None


def _another_member():
    from community.models import Membership
    from tests.factories import make_member

    return make_member(kind=Membership.Kind.OTHER)


def test_anonymous_cards_carry_no_registration_state(client, member, make_event):
    event = make_event(title="Sample held")
    Registration.objects.create(event=event, user=member, status="confirmed")
    soup = soup_of(get(client, event.get_parent().url))
    assert soup.select("[data-viewer-state]") == []
    assert "You are registered" not in soup.get_text()


def test_registrations_and_positions_take_two_queries_whatever_the_list(
    client_for, member, make_event
):
    first = make_event(capacity=1)
    Registration.objects.create(event=first, user=_another_member(), status="confirmed")
    Registration.objects.create(event=first, user=member, status="waitlisted")
    url = first.get_parent().url
    client = client_for(member)

    def grow(factor):
        for n in range(factor):
            event = make_event(capacity=1)
            holder = _another_member()
            Registration.objects.create(event=event, user=holder, status="confirmed")
            status = "waitlisted" if n % 2 else "pending"
            Registration.objects.create(event=event, user=member, status=status)

    assert_queries_constant(lambda: client.get(url), grow)
    # Exactly one query asks for the viewer's registrations on the listed events, and one
    # for the waitlist positions — not one per card.
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    mine = [
        q["sql"] for q in ctx.captured_queries if re.search(r'FROM "events_registration"', q["sql"])
    ]
    assert len(mine) == 2, mine
    soup = soup_of(response)
    waiting = [s.get_text(strip=True) for s in soup.select("[data-viewer-state=waitlisted]")]
    assert waiting and all(text == "Waitlisted (#1)" for text in waiting)
    assert soup.select("[data-viewer-state=pending]")


def test_home_section_says_where_the_viewer_stands(client_for, member, make_event):
    from wagtail import hooks

    from events.sections import home_upcoming_section

    held = make_event(title="Sample held", start_date=days(2), end_date=days(2))
    queued = make_event(title="Sample queued", start_date=days(3), end_date=days(3), capacity=1)
    make_event(title="Sample free", start_date=days(4), end_date=days(4))
    Registration.objects.create(event=held, user=member, status="confirmed")
    Registration.objects.create(event=queued, user=_another_member(), status="confirmed")
    Registration.objects.create(event=queued, user=member, status="waitlisted")
    registered = any(
        getattr(fn, "__module__", "").startswith("events")
        for fn in hooks.get_hooks("home_page_sections")
    )
    if registered:
        soup = soup_of(get(client_for(member), "/", HOME_LIMIT))
    else:
        with hooks.register_temporarily("home_page_sections", home_upcoming_section):
            soup = soup_of(get(client_for(member), "/", HOME_LIMIT))
    section = soup.select_one("section.home-section--events")
    items = {li.find("a").get_text(strip=True): li for li in section.select("li.card")}
    assert state_of(items["Sample held"]).startswith("You are registered")
    assert state_of(items["Sample queued"]) == "Waitlisted (#1)"
    assert state_of(items["Sample free"]) is None


# --- over and cancelled -----------------------------------------------------------------


def test_past_cards_say_the_event_is_over_and_offer_no_calendar(
    client_for, member, make_event, past_event
):
    past = past_event(title="Sample past")
    Registration.objects.create(event=past, user=member, status="attended")
    make_event(title="Sample future")
    url = past.get_parent().url
    soup = soup_of(get(client_for(member), url + "?when=past"))
    card = cards(soup)["Sample past"]
    text = card.get_text(" ", strip=True)
    assert "This event is over." in text
    assert "has started" not in text
    assert card.select_one(".event-card__calendar") is None
    assert card.find("a", href=re.compile("calendar.google.com|outlook.live.com")) is None
    assert state_of(card) == "You attended"
    # An upcoming card still offers it.
    upcoming = cards(soup_of(get(client_for(member), url)))["Sample future"]
    assert upcoming.select_one(".event-card__calendar") is not None
    assert "This event is over." not in upcoming.get_text()


def test_cancelled_cards_say_so_and_offer_no_calendar(client_for, member, make_event):
    cancelled = make_event(title="Sample cancelled", status="cancelled")
    Registration.objects.create(event=cancelled, user=member, status="confirmed")
    card = cards(soup_of(get(client_for(member), cancelled.get_parent().url)))["Sample cancelled"]
    assert "This event is cancelled." in card.get_text(" ", strip=True)
    assert card.select_one(".event-card__calendar") is None
    # "You are registered" on a cancelled event would mislead: nothing is said about it.
    assert state_of(card) is None


def test_past_event_page_says_it_is_over_not_started(client_for, member, past_event):
    event = past_event(title="Sample past page")
    soup = assert_site_page(soup_of(get(client_for(member), event.url)))
    assert_headings_in_order(soup)
    main = soup.find("main")
    banner = main.select_one("[data-event-over]")
    assert banner is not None and "This event is over." in banner.get_text()
    text = main.get_text(" ", strip=True)
    assert "has started" not in text
    # No calendar to add it to and no feed to subscribe from its page.
    assert main.select_one(".calendar-links, .feed-links, .event-calendar") is None
    assert main.select_one("a[data-register-link]") is None


def test_running_event_page_still_says_it_has_started(client_for, member, make_event):
    event = make_event(start_date=days(-1), end_date=days(1))
    main = soup_of(get(client_for(member), event.url)).find("main")
    assert main.select_one("[data-event-over]") is None
    assert "This event has started" in main.get_text(" ", strip=True)


def test_cancelled_event_page_offers_no_calendar_or_subscription(client, make_event):
    event = make_event(status="cancelled")
    main = soup_of(get(client, event.url)).find("main")
    assert "This event is cancelled." in main.select_one(".event-banner--cancelled").get_text()
    assert main.select_one(".calendar-links, .feed-links, .event-calendar") is None
    assert main.find("a", href=re.compile(r"^webcal://|/feed\.ics")) is None
    assert main.select_one("a[data-register-link]") is None


def test_past_event_page_puts_recordings_before_speakers(client, past_event, make_event):
    recording = {
        "type": "recording",
        "value": {
            "available_to": "public",
            "members_from": None,
            "public_from": None,
            "title": "Sample recording",
            "embed": "",
            "media": None,
        },
    }
    speaker = {
        "type": "speaker",
        "value": {"name": "Sample speaker", "affiliation": "Sample lab", "role": ""},
    }
    body = [("rich_text", "<p>Sample description.</p>")]
    past = past_event(recordings=[recording], speakers=[speaker], body=body)
    ahead = make_event(recordings=[recording], speakers=[speaker], body=body)

    def order(event):
        main = soup_of(get(client, event.url)).find("main")
        return [
            section["class"][0]
            for section in main.select("article > section")
            if section["class"][0] in ("event-recordings", "event-speakers", "event-body")
        ]

    assert order(past) == ["event-recordings", "event-body", "event-speakers"]
    assert order(ahead) == ["event-body", "event-speakers", "event-recordings"]
    main = soup_of(get(client, past.url)).find("main")
    assert main.select_one("[data-event-over] a")["href"] == "#event-recordings-heading"
    assert main.find(id="event-recordings-heading") is not None


# --- the event page's own state line and the "Register" link -----------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("confirmed", "You are registered"),
        ("waitlisted", "Waitlisted (#2)"),
        ("pending", "Pending approval"),
    ],
)
def test_event_page_header_says_the_viewers_state_and_links_to_the_panel(
    client_for, member, expert, make_event, status, expected
):
    event = make_event(capacity=1 if status == "waitlisted" else None)
    if status == "waitlisted":
        Registration.objects.create(event=event, user=_another_member(), status="confirmed")
        Registration.objects.create(event=event, user=expert, status="waitlisted")
    Registration.objects.create(event=event, user=member, status=status)
    soup = soup_of(get(client_for(member), event.url))
    header = soup.select_one("main .page-header")
    line = header.select_one("[data-viewer-state]")
    assert line["data-viewer-state"] == status
    assert line.get_text(" ", strip=True).startswith(expected)
    assert line.find("a")["href"] == "#registration"
    assert soup.find(id="registration") is not None
    # Already registered: no second way to register.
    assert header.select_one("a[data-register-link]") is None


REGISTER_LINK = {
    # role: the link shows (registration open to members)
    "anon": True,  # the panel offers sign-in and membership
    "pending": False,
    "member": True,
    "le_member": True,
    "expert": True,
    "editor": True,
}


@pytest.mark.parametrize("user_for_role", list(REGISTER_LINK), indirect=True)
def test_register_link_by_the_title_only_when_the_viewer_may_register(
    user_for_role, client_for, make_event
):
    name, user = user_for_role
    event = make_event(registration_audience="members")
    soup = soup_of(get(client_for(user), event.url))
    link = soup.select_one("main .page-header a[data-register-link]")
    assert (link is not None) is REGISTER_LINK[name]
    if link is not None:
        assert link["href"] == "#registration"
        assert link.get_text(strip=True) == "Register"
        assert soup.find(id="registration") is not None


def test_register_link_absent_when_registration_is_not_open(client_for, le_member, make_event):
    now = timezone.now()
    closed = [
        make_event(registration_audience="nobody"),
        make_event(registration_audience="law_enforcement", registration_closes=now),
        make_event(registration_opens=now + dt.timedelta(days=1)),
        make_event(status="postponed"),
    ]
    client = client_for(le_member)
    for event in closed:
        soup = soup_of(get(client, event.url))
        assert soup.select_one("a[data-register-link]") is None, event.title


def test_register_link_offers_the_waitlist_when_full(client_for, member, make_event):
    event = make_event(capacity=1)
    Registration.objects.create(event=event, user=_another_member(), status="confirmed")
    link = soup_of(get(client_for(member), event.url)).select_one("a[data-register-link]")
    assert link.get_text(strip=True) == "Join the waitlist"


# --- what a visitor is missing ----------------------------------------------------------

# Distinct numbers per audience, so a count shows which audiences it took in.
UPCOMING = {"public": 1, "members": 2, "law_enforcement": 3, "staff": 4}
PAST = {"members": 1, "law_enforcement": 2, "staff": 1}
WITHHELD = {
    # role: (upcoming count, past count, who they are open to)
    "anon": (5, 3, "members"),
    "pending": (5, 3, "members"),
    "member": (3, 2, "law_enforcement"),
    "expert": (3, 2, "law_enforcement"),
    "le_member": (0, 0, None),
    "moderator": (0, 0, None),
    "editor": (0, 0, None),
}


def canary():
    return f"Canary-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def restricted_events(make_event, past_event):
    """Events of every audience with canary titles, upcoming and past, plus a draft."""
    titles = {}
    for audience, count in UPCOMING.items():
        for _n in range(count):
            title = canary()
            registration = "nobody" if audience == "public" else audience
            make_event(title=title, audience=audience, registration_audience=registration)
            titles[title] = audience
    for audience, count in PAST.items():
        for _n in range(count):
            title = canary()
            past_event(title=title, audience=audience, registration_audience=audience)
            titles[title] = audience
    # Not live: never counted, whoever asks.
    title = canary()
    make_event(title=title, audience="members", publish=False, live=False)
    titles[title] = "draft"
    return titles


@pytest.mark.parametrize("user_for_role", list(WITHHELD), indirect=True)
def test_listing_counts_what_a_membership_would_show_and_never_names_it(
    user_for_role, client_for, event_index, restricted_events
):
    name, user = user_for_role
    upcoming, past, open_to = WITHHELD[name]
    client = client_for(user)
    seen = access.audiences(user)
    for query, expected in (("", upcoming), ("?when=past", past)):
        response = get(client, event_index.url + query)
        html = response.content.decode()
        soup = soup_of(response)
        notice = soup.select_one("[data-withheld-count]")
        if expected == 0:
            assert notice is None
        else:
            assert int(notice["data-withheld-count"]) == expected
            text = notice.get_text(" ", strip=True)
            assert re.match(rf"{expected} more {'past' if query else 'upcoming'} events? ", text)
            if open_to == "members":
                assert "verified members" in text
            else:
                assert "law-enforcement members only" in text
        # No title of an event the viewer may not see reaches the page, in any form.
        for title, audience in restricted_events.items():
            if audience == "draft" or audience not in seen:
                assert title not in html, (name, audience)
        assert_headings_in_order(assert_site_page(soup))


def test_visitors_are_shown_the_way_to_apply(client_for, pending, event_index, restricted_events):
    anon_notice = soup_of(get(client_for(None), event_index.url)).select_one(
        "[data-withheld-count]"
    )
    hrefs = [a["href"] for a in anon_notice.find_all("a")]
    assert "/accounts/signup/" in hrefs
    assert any(href.startswith("/accounts/login/?next=") for href in hrefs)
    pending_notice = soup_of(get(client_for(pending), event_index.url)).select_one(
        "[data-withheld-count]"
    )
    assert [a["href"] for a in pending_notice.find_all("a")] == ["/membership/"]


def test_withheld_count_ignores_filters(client, event_index, restricted_events):
    # Counting hidden events per kind or format would say more about them than "there are more".
    soup = soup_of(get(client, event_index.url + "?kind=panel&format=hybrid"))
    assert soup.select_one("[data-withheld-count]")["data-withheld-count"] == "5"


def test_withheld_count_is_one_query_whatever_the_number(client, event_index, make_event):
    make_event(audience="members")
    url = event_index.url

    def grow(factor):
        for _n in range(factor):
            make_event(audience="law_enforcement", registration_audience="law_enforcement")

    assert_queries_constant(lambda: client.get(url), grow)
    assert soup_of(client.get(url)).select_one("[data-withheld-count]")[
        "data-withheld-count"
    ] == str(1 + 10)


@pytest.mark.parametrize("user_for_role", list(WITHHELD), indirect=True)
def test_policy_withholds_only_member_audiences(user_for_role):
    name, user = user_for_role
    withheld = access.withheld_audiences(user)
    assert access.Audience.STAFF not in withheld
    assert not (withheld & access.audiences(user))
    expected = {
        "members": {access.Audience.MEMBERS, access.Audience.LAW_ENFORCEMENT},
        "law_enforcement": {access.Audience.LAW_ENFORCEMENT},
        None: set(),
    }[WITHHELD[name][2]]
    assert withheld == expected
