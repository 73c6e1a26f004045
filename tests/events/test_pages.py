"""Event index and event pages: visibility per role, filters, times, registration panel,
join link and release stages — parsed with html5lib, in a bounded number of queries."""

import contextlib
import datetime as dt

from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from events.models import Registration, Topic
from tests.helpers import assert_headings_in_order, assert_site_page
from tests.queries import assert_queries_constant, max_queries

pytestmark = pytest.mark.django_db

ROLES = ["anon", "pending", "member", "le_member", "expert", "moderator", "editor"]
JOIN_URL = "https://meet.example.org/secret-room-123"
SEEN = {
    "anon": {"public"},
    "pending": {"public"},
    "member": {"public", "members"},
    "le_member": {"public", "members", "law_enforcement"},
    "expert": {"public", "members"},
    "moderator": {"public", "members", "law_enforcement"},
    "editor": {"public", "members", "law_enforcement", "staff"},
}
PAGE_LIMIT = 26
# A fixed winter day ahead, so that the expected UTC offsets hold whenever the tests run.
WINTER = dt.date(dt.date.today().year + 1, 1, 15)


def soup_of(response):
    return BeautifulSoup(response.content.decode(), "html5lib")


def get(client, url, status=200, limit=PAGE_LIMIT):
    client.get(url)  # warm the site-root cache and settings rows
    with max_queries(limit):
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def card_titles(soup):
    return {h.get_text(strip=True) for h in soup.select(".event-card__title")}


def panel(soup):
    return soup.find(attrs={"data-registration-status": True})


def make_audience_events(make_event):
    return {
        audience: make_event(
            title=f"Sample {audience} event",
            audience=audience,
            registration_audience="staff"
            if audience == "staff"
            else "members"
            if audience != "law_enforcement"
            else "law_enforcement",
        )
        for audience in ("public", "members", "law_enforcement", "staff")
    }


# --- index ------------------------------------------------------------------------------


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_index_lists_exactly_what_each_role_may_see(user_for_role, client_for, make_event):
    name, user = user_for_role
    events = make_audience_events(make_event)
    index_url = events["public"].get_parent().url
    soup = assert_site_page(soup_of(get(client_for(user), index_url)))
    assert card_titles(soup) == {f"Sample {a} event" for a in SEEN[name]}
    assert_headings_in_order(soup)
    # The audience filter offers only what the viewer may see.
    offered = {o["value"] for o in soup.select("#filter-audience option") if o["value"]}
    assert offered <= SEEN[name]
    if len(SEEN[name]) > 1:
        assert offered == SEEN[name]


def test_index_splits_upcoming_and_past(client, make_event):
    past_day = (timezone.now() - dt.timedelta(days=10)).date()
    make_event(title="Sample future")
    past = make_event(title="Sample past", start_date=past_day, end_date=past_day)
    url = past.get_parent().url
    assert card_titles(soup_of(get(client, url))) == {"Sample future"}
    assert card_titles(soup_of(get(client, url + "?when=past"))) == {"Sample past"}


def test_index_filters_by_kind_format_topic_and_audience(client_for, member, make_event):
    topic = Topic.objects.create(name="Sample topic", slug="sample-topic")
    tagged = make_event(title="Sample tagged", kind="panel", publish=False)
    tagged.topics.set([topic])
    tagged.save_revision().publish()
    make_event(title="Sample hybrid", format="hybrid", venue_name="Sample venue")
    make_event(title="Sample members", audience="members")
    url = tagged.get_parent().url
    client = client_for(member)
    assert card_titles(soup_of(get(client, url + "?kind=panel"))) == {"Sample tagged"}
    assert card_titles(soup_of(get(client, url + "?topic=sample-topic"))) == {"Sample tagged"}
    assert card_titles(soup_of(get(client, url + "?format=hybrid"))) == {"Sample hybrid"}
    assert card_titles(soup_of(get(client, url + "?audience=members"))) == {"Sample members"}
    both = soup_of(get(client, url + "?kind=panel&format=hybrid"))
    assert card_titles(both) == set()
    assert "No events match these filters." in both.find("main").get_text()


def test_index_reads_repeated_values_like_the_feed_and_keeps_known_ones(
    client_for, member, make_event
):
    """One parser for the listing and the feeds (events/filters.py): ``?kind=a&kind=b`` and
    ``?kind=a,b`` both mean either kind; an unknown value among them is dropped."""
    make_event(title="Sample panel", kind="panel")
    make_event(title="Sample webinar", kind="webinar")
    make_event(title="Sample training", kind="training")
    url = Topic._meta.apps.get_model("events", "EventIndexPage").objects.get().url
    client = client_for(member)
    wanted = {"Sample panel", "Sample webinar"}
    assert card_titles(soup_of(get(client, url + "?kind=panel&kind=webinar"))) == wanted
    assert card_titles(soup_of(get(client, url + "?kind=panel,webinar,bogus"))) == wanted
    page = soup_of(get(client, url + "?kind=webinar&kind=panel"))
    assert page.select_one("select[name=kind] option[selected]")["value"] == "webinar"


@pytest.mark.parametrize(
    "query",
    [
        "?kind=bogus",
        "?topic=no-such-topic",
        "?format=%00",
        "?audience=staff",  # a member may not filter on an audience they cannot see
        "?when=sometime",
        "?page=abc",
        "?page=999",
        "?page=-1",
    ],
)
def test_index_ignores_unknown_filter_values(client_for, member, make_event, query):
    event = make_event(title="Sample visible")
    soup = soup_of(get(client_for(member), event.get_parent().url + query))
    assert card_titles(soup) == {"Sample visible"}


def test_index_paginates_twelve_per_page(client, make_event):
    for n in range(14):
        make_event(
            title=f"Sample paged {n:02d}",
            start_date=(timezone.now() + dt.timedelta(days=3 + n)).date(),
            end_date=(timezone.now() + dt.timedelta(days=3 + n)).date(),
        )
    url = Registration._meta.apps.get_model("events", "EventIndexPage").objects.get().url
    first = soup_of(get(client, url))
    assert len(card_titles(first)) == 12
    second = soup_of(get(client, url + "?page=2"))
    assert card_titles(second) == {"Sample paged 12", "Sample paged 13"}
    assert first.find("a", rel="next")["href"] == "?page=2"
    last = soup_of(get(client, url + "?page=50"))  # past the end → the last page
    assert card_titles(last) == card_titles(second)


def test_index_cards_show_both_zones_status_and_seats(client_for, member, make_event):
    from community.models import Membership

    Membership.objects.filter(user=member).update(time_zone="Asia/Singapore")
    full = make_event(title="Sample full", capacity=1, start_date=WINTER, end_date=WINTER)
    Registration.objects.create(event=full, user=member, status="confirmed")
    make_event(title="Sample roomy", capacity=5)
    make_event(title="Sample cancelled", status="cancelled")
    soup = soup_of(get(client_for(member), full.get_parent().url))
    cards = {
        c.select_one(".event-card__title").get_text(strip=True): c
        for c in soup.select("article.event-card")
    }
    text = " ".join(cards["Sample full"].get_text().split())
    assert "Full — waitlist open" in text
    assert "09:00–12:00 · Paris (UTC+1)" in text  # Paris in December
    assert "16:00–19:00 · Singapore (UTC+8)" in text  # the viewer's Singapore time
    times = cards["Sample full"].find_all("time")
    assert times[0]["datetime"] == full.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "5 seats left" in cards["Sample roomy"].get_text(" ", strip=True)
    assert "Cancelled" in cards["Sample cancelled"].get_text(" ", strip=True)
    assert JOIN_URL not in soup.decode()


def test_index_query_count_is_constant(client_for, member, make_event):
    Topic.objects.create(name="Sample topic", slug="sample-topic")
    first = make_event(capacity=3)
    make_event(audience="members")
    url = first.get_parent().url
    client = client_for(member)

    def grow(factor):
        topic = Topic.objects.get()
        for _n in range(factor):
            event = make_event(capacity=2, publish=False)
            event.topics.set([topic])
            event.save_revision().publish()
            Registration.objects.create(event=event, user=member, status="confirmed")

    assert_queries_constant(lambda: client.get(url), grow)


# --- event page -------------------------------------------------------------------------


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_event_page_is_404_unless_the_role_may_see_it(user_for_role, client_for, make_event):
    name, user = user_for_role
    events = make_audience_events(make_event)
    client = client_for(user)
    for audience, event in events.items():
        expected = 200 if audience in SEEN[name] else 404
        response = get(client, event.url, status=expected)
        if expected == 404:
            assert event.title not in response.content.decode()
            assert JOIN_URL not in response.content.decode()


PANELS = {
    # role: (members may register, law-enforcement-only registration)
    "anon": ("anonymous", "anonymous"),
    "pending": ("pending", "pending"),
    "member": ("open", "not_allowed"),
    "le_member": ("open", "open"),
    "expert": ("open", "not_allowed"),
    "moderator": ("open", "open"),
    "editor": ("open", "open"),
}


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_registration_panel_state_per_role(user_for_role, client_for, make_event):
    name, user = user_for_role
    members_only = make_event(registration_audience="members")
    le_only = make_event(registration_audience="law_enforcement")
    client = client_for(user)
    for event, expected in zip((members_only, le_only), PANELS[name], strict=True):
        soup = assert_site_page(soup_of(get(client, event.url)))
        assert_headings_in_order(soup)
        section = panel(soup)
        assert section["data-registration-status"] == "none"
        assert f"registration-panel--{expected}" in section["class"]
        form = section.find("form")
        if expected == "open":
            # The form posts to the event page itself: every answer stays at its address.
            assert form["action"] == event.url
        else:
            assert form is None
        if expected == "anonymous":
            login = section.find("a", string="Sign in to register")
            assert login["href"] == f"/accounts/login/?next={event.url.replace('/', '%2F')}"
            assert section.find("a", string="Apply for membership") is not None
        if expected == "pending":
            assert section.find("a", href="/membership/") is not None
        if expected == "not_allowed":
            assert "Law-enforcement members" in section.get_text()


@pytest.mark.parametrize(
    ("overrides", "note"),
    [
        ({"registration_closes": "past"}, "Registration for this event is closed."),
        ({"registration_opens": "future"}, "Registration opens on"),
        ({"status": "cancelled"}, "the event is cancelled"),
        ({"status": "postponed"}, "postponed"),
        ({"start_date": "past"}, "This event has started"),
    ],
)
def test_registration_panel_explains_a_closed_registration(
    client_for, member, make_event, overrides, note
):
    now = timezone.now()
    values = {}
    for key, value in overrides.items():
        if value == "past" and key == "start_date":
            values.update(
                start_date=(now - dt.timedelta(days=1)).date(),
                end_date=(now + dt.timedelta(days=1)).date(),
            )
        elif value == "past":
            values[key] = now - dt.timedelta(hours=1)
        elif value == "future":
            values[key] = now + dt.timedelta(days=1)
        else:
            values[key] = value
    event = make_event(**values)
    section = panel(soup_of(get(client_for(member), event.url)))
    assert "registration-panel--closed" in section["class"]
    assert note in section.get_text(" ", strip=True)
    assert section.find("form") is None


def test_registration_form_fields_are_accessible(client_for, member, make_event):
    event = make_event(questions=QUESTIONS)
    soup = assert_site_page(soup_of(get(client_for(member), event.url)))
    form = panel(soup).find("form")
    text = form.find("textarea", attrs={"name": f"q_{Q_TEXT}"})
    assert text["maxlength"] == "2000"
    assert (
        form.find("label", attrs={"for": text["id"]})
        .get_text(" ", strip=True)
        .startswith("Sample role")
    )
    legends = [f.find("legend").get_text(" ", strip=True) for f in form.find_all("fieldset")]
    assert legends == ["Sample track (required)", "Sample dietary needs"]
    choices = [i["value"] for i in form.find_all("input", attrs={"name": f"q_{Q_CHOICE}"})]
    assert choices == ["Sample track A", "Sample track B"]
    yes_no = [i["value"] for i in form.find_all("input", attrs={"name": f"q_{Q_YES_NO}"})]
    assert yes_no == ["yes", "no"]


def test_event_page_shows_times_in_both_zones_and_details(client_for, member, make_event):
    from community.models import Membership

    Membership.objects.filter(user=member).update(time_zone="America/New_York")
    event = make_event(
        start_date=WINTER,
        end_date=WINTER,
        format="hybrid",
        venue_name="Sample venue",
        venue_address="1 Sample street",
        venue_city="Lyon",
        venue_country="FR",
        languages="English",
        interpretation="French",
        chatham_house=True,
        agenda=[
            {
                "type": "item",
                "value": {
                    "starts": "09:30:00",
                    "ends": "10:00:00",
                    "title": "Sample opening",
                    "description": "",
                    "speaker": "",
                },
            }
        ],
        speakers=[
            {
                "type": "speaker",
                "value": {"name": "Sample speaker", "affiliation": "Sample lab", "role": ""},
            }
        ],
    )
    soup = assert_site_page(soup_of(get(client_for(member), event.url)))
    assert_headings_in_order(soup)
    main = soup.find("main")
    assert "· Paris (UTC+1)" in main.select_one(".event-time--event").get_text()
    viewer = " ".join(main.select_one(".event-time--viewer").get_text().split())
    assert ", 03:00–06:00 · New York (UTC\N{MINUS SIGN}5)" in viewer
    text = main.get_text(" ", strip=True)
    for expected in (
        "Sample venue",
        "Lyon",
        "France",
        "English",
        "French",
        "Chatham House Rule",
        "Sample speaker",
    ):
        assert expected in text
    agenda_time = main.select_one(".agenda__time time")
    assert agenda_time.get_text() == "09:30"
    assert agenda_time["datetime"].startswith(event.start_date.isoformat() + "T08:30:00")


def test_event_page_status_banner(client, make_event):
    event = make_event(status="cancelled")
    soup = soup_of(get(client, event.url))
    assert "This event is cancelled." in soup.select_one(".event-banner--cancelled").get_text()


# --- join link --------------------------------------------------------------------------


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_join_link_absent_for_every_role_without_a_seat(
    user_for_role, client_for, make_event, member
):
    name, user = user_for_role
    event = make_event()
    Registration.objects.create(event=event, user=member, status="confirmed")
    client = client_for(user)
    for url in (event.url, event.get_parent().url, "/"):
        html = get(client, url).content.decode()
        if name != "member":
            assert JOIN_URL not in html, url
    if name == "member":
        # The confirmed registrant: the link shows on the event page and nowhere else.
        page = soup_of(get(client, event.url))
        assert [a["href"] for a in page.find_all("a", href=JOIN_URL)] == [JOIN_URL]
        assert page.decode().count(JOIN_URL) == 1
        assert JOIN_URL not in get(client, event.get_parent().url).content.decode()


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("confirmed", True),
        ("attended", True),
        ("waitlisted", False),
        ("pending", False),
        ("cancelled", False),
        ("rejected", False),
    ],
)
def test_join_link_only_for_a_seat_holding_registrant(
    client_for, le_member, make_event, status, shown
):
    event = make_event()
    Registration.objects.create(event=event, user=le_member, status=status)
    html = get(client_for(le_member), event.url).content.decode()
    assert (JOIN_URL in html) is shown
    section = panel(soup_of(get(client_for(le_member), event.url)))
    expected_status = status if status not in ("cancelled", "rejected") else "none"
    assert section["data-registration-status"] == expected_status


def test_waitlisted_registrant_sees_position_and_cancel_button(
    client_for, member, expert, make_event
):
    event = make_event(capacity=1)
    Registration.objects.create(event=event, user=expert, status="waitlisted")
    mine = Registration.objects.create(event=event, user=member, status="waitlisted")
    section = panel(soup_of(get(client_for(member), event.url)))
    assert section["data-registration-status"] == "waitlisted"
    assert "position 2" in section.get_text(" ", strip=True)
    cancel = section.find("a", string="Cancel my registration")
    assert cancel["href"].startswith(f"/event-registrations/{mine.pk}/cancel/?next=")


# --- materials and recordings -----------------------------------------------------------

TODAY = dt.date.today()


def material(title, available_to="registrants", members_from=None, public_from=None):
    return {
        "type": "material",
        "value": {
            "available_to": available_to,
            "members_from": members_from,
            "public_from": public_from,
            "title": title,
            "document": None,
            "url": f"https://example.org/{title.replace(' ', '-').lower()}",
        },
    }


def recording(title, embed_url, available_to="registrants", public_from=None):
    return {
        "type": "recording",
        "value": {
            "available_to": available_to,
            "members_from": None,
            "public_from": public_from,
            "title": title,
            "embed": embed_url,
            "media": None,
        },
    }


@pytest.fixture
def cached_embed(db):
    from wagtail.embeds.embeds import get_embed_hash
    from wagtail.embeds.models import Embed

    url = "https://www.youtube.com/watch?v=sample"
    Embed.objects.create(
        url=url,
        max_width=None,
        hash=get_embed_hash(url),
        html='<iframe src="https://www.youtube-nocookie.com/embed/sample"></iframe>',
        type="video",
        title="Sample video",
    )
    return url


RELEASE_EXPECT = {
    # viewer: titles visible
    "anon": {"Sample public", "Sample public from past"},
    "pending": {"Sample public", "Sample public from past"},
    "member": {
        "Sample public",
        "Sample public from past",
        "Sample members",
        "Sample members from past",
    },
    "registrant": {
        "Sample public",
        "Sample public from past",
        "Sample members",
        "Sample members from past",
        "Sample registrants",
        "Sample public from future",
    },
    "editor": {
        "Sample public",
        "Sample public from past",
        "Sample members",
        "Sample members from past",
        "Sample registrants",
        "Sample public from future",
    },
}


@pytest.mark.parametrize("viewer", list(RELEASE_EXPECT))
def test_materials_and_recordings_follow_release_stages(
    viewer, client_for, make_event, pending, member, le_member, editor, cached_embed
):
    past = (TODAY - dt.timedelta(days=2)).isoformat()
    future = (TODAY + dt.timedelta(days=30)).isoformat()
    items = [
        ("Sample public", {"available_to": "public"}),
        ("Sample public from past", {"public_from": past}),
        ("Sample public from future", {"public_from": future}),
        ("Sample members", {"available_to": "members"}),
        ("Sample members from past", {"members_from": past}),
        ("Sample registrants", {}),
    ]
    event = make_event(
        materials=[material(title, **opts) for title, opts in items],
        recordings=[
            recording("Sample registrants recording", cached_embed),
            recording("Sample public recording", cached_embed, public_from=past),
        ],
    )
    Registration.objects.create(event=event, user=le_member, status="attended")
    user = {
        "anon": None,
        "pending": pending,
        "member": member,
        "registrant": le_member,
        "editor": editor,
    }[viewer]
    soup = soup_of(get(client_for(user), event.url))
    section = soup.select_one(".event-materials")
    titles = {a.get_text(strip=True) for a in section.find_all("a")} if section else set()
    assert titles == RELEASE_EXPECT[viewer]
    recordings = {h.get_text(strip=True) for h in soup.select(".recording h3")}
    expected = {"Sample public recording"}
    if viewer in ("registrant", "editor"):
        expected.add("Sample registrants recording")
    assert recordings == expected
    assert soup.select_one(".recording iframe")["title"] == "Sample video"


def test_uploaded_recording_renders_an_html5_player(client, make_event):
    from django.core.files.base import ContentFile

    from wagtailmedia.models import get_media_model

    media = get_media_model().objects.create(
        title="Sample audio", type="audio", file=ContentFile(b"ID3", name="sample.mp3"), duration=1
    )
    event = make_event(
        recordings=[
            {
                "type": "recording",
                "value": {
                    "available_to": "public",
                    "members_from": None,
                    "public_from": None,
                    "title": "Sample upload",
                    "embed": "",
                    "media": media.pk,
                },
            }
        ]
    )
    audio = soup_of(get(client, event.url)).select_one(".recording audio")
    # Through the access-checked view: MEDIA_URL is not served in production.
    assert audio["src"] == f"/media-files/{media.pk}/{media.filename}"
    assert audio.has_attr("controls")


def test_event_page_query_count_is_bounded(client_for, member, make_event, cached_embed):
    event = make_event(
        capacity=3,
        questions=QUESTIONS,
        materials=[material("Sample public", available_to="public")],
        recordings=[recording("Sample public recording", cached_embed, available_to="public")],
    )
    get(client_for(member), event.url, limit=PAGE_LIMIT)


Q_TEXT = "11111111-1111-4111-8111-111111111111"
Q_CHOICE = "22222222-2222-4222-8222-222222222222"
Q_YES_NO = "33333333-3333-4333-8333-333333333333"
QUESTIONS = [
    {
        "type": "text",
        "id": Q_TEXT,
        "value": {"label": "Sample role", "help_text": "Sample help", "required": False},
    },
    {
        "type": "choice",
        "id": Q_CHOICE,
        "value": {
            "label": "Sample track",
            "help_text": "",
            "required": True,
            "choices": ["Sample track A", "Sample track B"],
        },
    },
    {
        "type": "yes_no",
        "id": Q_YES_NO,
        "value": {"label": "Sample dietary needs", "help_text": "", "required": False},
    },
]


# --- home page section ------------------------------------------------------------------


@pytest.mark.parametrize("user_for_role", ["anon", "member", "le_member"], indirect=True)
def test_home_section_lists_the_next_three_visible_events(user_for_role, client_for, make_event):
    from wagtail import hooks

    from events.sections import home_upcoming_section

    name, user = user_for_role
    soon = timezone.now().date()
    for n, audience in enumerate(["law_enforcement", "public", "members", "public", "public"]):
        day = soon + dt.timedelta(days=2 + n)
        make_event(
            title=f"Sample {n} {audience}",
            audience=audience,
            start_date=day,
            end_date=day,
            registration_audience="law_enforcement" if audience == "law_enforcement" else "members",
        )
    past = soon - dt.timedelta(days=3)
    make_event(title="Sample past", start_date=past, end_date=past)
    # The admin helper's wagtail_hooks registers the section; add it only if it is not there.
    registered = any(
        getattr(fn, "__module__", "").startswith("events")
        for fn in hooks.get_hooks("home_page_sections")
    )
    hook = (
        contextlib.nullcontext()
        if registered
        else hooks.register_temporarily("home_page_sections", home_upcoming_section)
    )
    with hook:
        soup = assert_site_page(soup_of(get(client_for(user), "/")))
    assert len(soup.select("section.home-section--events")) == 1
    assert_headings_in_order(soup)
    section = soup.find("section", class_="home-section--events")
    titles = [a.get_text(strip=True) for a in section.select(".card a")]
    visible = [
        f"Sample {n} {a}"
        for n, a in enumerate(["law_enforcement", "public", "members", "public", "public"])
        if a in SEEN[name]
    ]
    assert titles == visible[:3]
    assert section.find("a", string="All events")["href"] == "/events/"
    assert JOIN_URL not in soup.decode()
