"""The editor's way in: the admin's Events menu item and overview, the dashboard panel, and
the Registrations / export buttons on event pages (outside Wagtail's "…" menus)."""

import datetime as dt

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community.models import Membership
from events.models import EventPage
from tests.events.test_admin import register_members
from tests.factories import UserFactory, make_member
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/events/"
REFUSED_ROLES = ["anon", "pending", "member", "le_member", "expert", "moderator"]


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


def parse(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html5lib")


def registrations_url(event):
    return reverse("events_admin:registrations", args=[event.pk])


def overview_rows(response):
    """The overview table as {title: {column label: cell text, "links": {text: href}}}."""
    table = parse(response).select_one("table.listing")
    if table is None:
        return {}
    labels = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    found = {}
    for tr in table.select("tbody tr"):
        cells = tr.find_all("td", recursive=False)
        row = {label: td.get_text(" ", strip=True) for label, td in zip(labels, cells, strict=True)}
        row["links"] = {a.get_text(" ", strip=True): a["href"] for a in tr.select("a")}
        found[cells[0].get_text(" ", strip=True)] = row
    return found


def in_dropdown(tag) -> bool:
    """Whether ``tag`` sits inside one of Wagtail's "…" dropdown menus."""
    return any("w-dropdown" in (parent.get("data-controller") or "") for parent in tag.parents)


def past_event(make_event, **overrides):
    day = (timezone.now() - dt.timedelta(days=30)).date()
    return make_event(start_date=day, end_date=day, **overrides)


# --- Menu item ----------------------------------------------------------------------------


def test_the_admin_menu_has_events_for_editors(editor_client, make_event):
    make_event()
    page = parse(editor_client.get("/admin/"))
    # The sidebar menu is rendered from JSON props; the item's URL is in them.
    props = page.find(id="wagtail-sidebar-props")
    assert props is not None
    assert f'"url": "{OVERVIEW}"' in props.string or f'"url":"{OVERVIEW}"' in props.string
    assert '"name": "events"' in props.string or '"name":"events"' in props.string


def test_admin_menu_hides_events_from_someone_the_policy_refuses(client_for, moderator):
    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    page = parse(client_for(moderator, mfa=True).get("/admin/"))
    props = page.find(id="wagtail-sidebar-props").string
    assert OVERVIEW not in props


# --- Overview -----------------------------------------------------------------------------


def test_overview_lists_upcoming_events_with_dates_seats_and_links(editor_client, make_event):
    soon = make_event(title="Sample soon", capacity=3, time_zone="Asia/Singapore")
    later = make_event(
        title="Sample later",
        start_date=(timezone.now() + dt.timedelta(days=20)).date(),
        end_date=(timezone.now() + dt.timedelta(days=20)).date(),
        approval_required=True,
    )
    past = past_event(make_event, title="Sample past")
    register_members(soon, 4)  # three seats taken, one waiting
    register_members(later, 2)  # two pending approval

    listed = overview_rows(editor_client.get(OVERVIEW))
    assert list(listed) == ["Sample soon", "Sample later"]
    row = listed["Sample soon"]
    assert row["Seats taken"] == "3 / 3"
    assert row["Waitlist"] == "1"
    assert row["Pending approval"] == "0"
    assert row["Status"] == "Scheduled"
    # The date in the event's own zone, with the zone named.
    local = soon.start.astimezone(soon.zone)
    assert f"{local:%H:%M}" in row["When (event's time zone)"]
    assert "Singapore (UTC+8)" in row["When (event's time zone)"]
    assert row["links"]["Registrations — Sample soon"] == registrations_url(soon)
    assert row["links"]["Download CSV — Sample soon"] == registrations_url(soon) + "?export=csv"
    assert row["links"]["Sample soon"] == reverse("wagtailadmin_pages:edit", args=[soon.pk])
    assert listed["Sample later"]["Pending approval"] == "2"
    assert listed["Sample later"]["Seats taken"] == "0 (unlimited)"

    assert list(overview_rows(editor_client.get(OVERVIEW, {"period": "past"}))) == [past.title]
    assert list(overview_rows(editor_client.get(OVERVIEW, {"period": "all"}))) == [
        "Sample later",
        "Sample soon",
        "Sample past",
    ]
    # An unknown period falls back to upcoming rather than failing.
    assert list(overview_rows(editor_client.get(OVERVIEW, {"period": "nonsense"}))) == [
        "Sample soon",
        "Sample later",
    ]


def test_period_links_say_which_one_is_shown(editor_client, make_event):
    make_event()
    nav = parse(editor_client.get(OVERVIEW, {"period": "past"})).select_one("nav.events-periods")
    links = {a.get_text(strip=True): a for a in nav.select("a")}
    assert set(links) == {"Upcoming", "Past", "All"}
    assert links["Past"].get("aria-current") == "page"
    assert links["Upcoming"].get("aria-current") is None


def test_a_series_whose_first_date_is_past_is_upcoming_with_its_next_date(
    editor_client, make_event
):
    first = (timezone.now() - dt.timedelta(days=14)).date()
    series = make_event(
        title="Sample series",
        start_date=first,
        end_date=first,
        repeat="weekly",
        repeat_until=first + dt.timedelta(days=70),
    )
    upcoming = overview_rows(editor_client.get(OVERVIEW))
    assert list(upcoming) == ["Sample series"]
    when = upcoming["Sample series"]["When (event's time zone)"]
    next_start = series.next_occurrences(limit=1)[0].start.astimezone(series.zone)
    assert when.startswith("Next:")
    assert str(next_start.day) in when
    assert "the series runs until" in when
    assert overview_rows(editor_client.get(OVERVIEW, {"period": "past"})) == {}


def test_drafts_and_cancelled_events_say_so(editor_client, make_event, editor):
    from events import services

    make_event(title="Sample draft", publish=False, live=False)
    cancelled = make_event(title="Sample cancelled")
    services.event_cancel(cancelled, by=editor)

    listed = overview_rows(editor_client.get(OVERVIEW))
    assert listed["Sample draft"]["Status"] == "Scheduled, draft"
    assert listed["Sample cancelled"]["Status"] == "Cancelled"


def test_overview_query_count_does_not_grow(editor_client, make_event):
    first = make_event()
    register_members(first, 1)

    def fetch():
        assert editor_client.get(OVERVIEW).status_code == 200

    def grow(factor):
        for _ in range(factor):
            register_members(make_event(capacity=5), 2)

    assert_queries_constant(fetch, grow, factor=5)


@pytest.mark.parametrize("user_for_role", REFUSED_ROLES, indirect=True)
def test_overview_refuses_everyone_but_staff(user_for_role, client_for, make_event):
    role, user = user_for_role
    make_event(title="Sample hidden")
    client = client_for(user, mfa=role == "moderator")
    for path in (OVERVIEW, OVERVIEW + "results/"):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), (role, response.status_code)
        assert b"Sample hidden" not in response.content


def test_overview_refuses_admin_access_without_the_policy(client_for, moderator, make_event):
    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    make_event(title="Sample hidden")
    response = client_for(moderator, mfa=True).get(OVERVIEW)
    # Wagtail's refusal: back to the dashboard with "you do not have permission".
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_editor_and_admin_reach_the_overview(client_for, editor, admin_user, make_event):
    make_event(title="Sample seen")
    for user in (editor, admin_user):
        assert "Sample seen" in overview_rows(client_for(user, mfa=True).get(OVERVIEW))


# --- Dashboard panel ----------------------------------------------------------------------


def dashboard_panel(response):
    return parse(response).find(id="events-overview-section")


def test_dashboard_shows_the_vetting_queue_count_and_the_next_events(editor_client, make_event):
    # Awaiting a decision: applied and pending. Not counted: never applied, decided ones.
    make_member(status=Membership.Status.PENDING)
    make_member(status=Membership.Status.PENDING)
    UserFactory()  # signed up, never applied
    make_member(status=Membership.Status.REJECTED)
    make_member()  # verified
    events = [
        make_event(
            title=f"Sample {n}",
            start_date=(timezone.now() + dt.timedelta(days=n)).date(),
            end_date=(timezone.now() + dt.timedelta(days=n)).date(),
            capacity=10,
        )
        for n in (9, 3, 5, 7, 11, 13)
    ]
    past_event(make_event, title="Sample over")
    register_members(events[1], 2)

    panel = dashboard_panel(editor_client.get("/admin/"))
    assert panel is not None
    vetting = panel.select_one("[data-vetting-count]")
    assert vetting["data-vetting-count"] == "2"
    assert vetting.get_text(" ", strip=True) == "2 membership applications await a decision"
    assert vetting["href"] == reverse("membership-vetting:index")

    rows = panel.select("tbody tr")
    titles = [tr.select_one("td.title a").get_text(strip=True) for tr in rows]
    assert titles == ["Sample 3", "Sample 5", "Sample 7", "Sample 9", "Sample 11"]
    first = rows[0]
    assert first.select_one("[data-seats]").get_text(strip=True) == "2 / 10"
    hrefs = [a["href"] for a in first.select("a")]
    assert registrations_url(events[1]) in hrefs
    assert panel.find("a", href=OVERVIEW) is not None


def test_dashboard_panel_without_upcoming_events(editor_client):
    panel = dashboard_panel(editor_client.get("/admin/"))
    assert "No upcoming events." in panel.get_text(" ", strip=True)
    assert panel.select_one("[data-vetting-count]")["data-vetting-count"] == "0"


def test_dashboard_panel_is_not_shown_to_someone_the_policy_refuses(
    client_for, moderator, make_event
):
    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    make_event(title="Sample hidden")
    response = client_for(moderator, mfa=True).get("/admin/")
    assert dashboard_panel(response) is None
    assert b"Sample hidden" not in response.content


# --- Buttons on event pages ---------------------------------------------------------------


def test_event_edit_page_has_registrations_and_export_in_its_header(editor_client, make_event):
    event = make_event()
    page = parse(editor_client.get(reverse("wagtailadmin_pages:edit", args=[event.pk])))
    header = page.select_one("#w-slim-header-buttons")
    links = {a.get_text(" ", strip=True): a for a in header.select("a")}
    assert links["Registrations"]["href"] == registrations_url(event)
    assert links["Download CSV"]["href"] == registrations_url(event) + "?export=csv"
    assert not in_dropdown(links["Registrations"])
    assert not in_dropdown(links["Download CSV"])


def test_other_pages_get_no_registration_buttons(editor_client, event_index):
    page = parse(editor_client.get(reverse("wagtailadmin_pages:edit", args=[event_index.pk])))
    assert not page.select("a[href*='/registrations/']")


def test_explorer_rows_have_a_registrations_button_outside_the_menu(
    editor_client, make_event, event_index
):
    events = [make_event(), make_event()]
    page = parse(editor_client.get(reverse("wagtailadmin_explore", args=[event_index.pk])))
    for event in events:
        links = page.find_all("a", href=registrations_url(event))
        assert links, event.title
        assert any(not in_dropdown(link) for link in links)
    # The explorer of the events index shows each event's date too.
    assert "When (event's time zone)" in page.get_text(" ", strip=True)


def test_registrations_listing_has_its_downloads_outside_the_menu(editor_client, make_event):
    event = make_event()
    page = parse(editor_client.get(registrations_url(event)))
    header = page.select_one("#w-slim-header-buttons")
    links = {a.get_text(" ", strip=True): a for a in header.select("a")}
    for label, fmt in (("Download CSV", "csv"), ("Download XLSX", "xlsx")):
        assert links[label]["href"].endswith(f"export={fmt}")
        assert not in_dropdown(links[label])


def test_registrations_button_is_hidden_from_someone_the_policy_refuses(
    client_for, moderator, make_event
):
    """Wagtail page permissions alone (a moderator given admin access) show no such button."""
    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    event = make_event()
    EventPage.objects.filter(pk=event.pk).update(owner=moderator)
    client = client_for(moderator, mfa=True)
    response = client.get(reverse("wagtailadmin_explore", args=[event.get_parent().pk]))
    assert registrations_url(event).encode() not in response.content
