"""An editor publishes an event through the Wagtail admin, in a real browser."""

import datetime as dt
import re

from wagtail.models import Site

import pytest
from playwright.sync_api import expect

from community.models import Membership
from events.models import EventCalendarState, EventIndexPage, EventPage
from home.models import HomePage
from tests.browser.conftest import sign_in
from tests.conftest import wagtail_root, with_mfa
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
TITLE = "Sample auditing facial recognition procurement"


@pytest.fixture
def events_index(transactional_db):
    root = wagtail_root()
    home = root.add_child(instance=HomePage(title="Home", slug="admin-home", hero_title="Lab"))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"root_page": home, "hostname": "localhost"}
    )
    index = home.add_child(instance=EventIndexPage(title="Events", slug="events"))
    index.save_revision().publish()
    return index


def _watch_console(page):
    """Collect console errors and CSP violations: either can leave the editor half-working."""
    problems = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}")
        if response.status >= 400
        else None,
    )
    return problems


def test_editor_publishes_an_event_in_the_admin(new_page, events_index):
    editor = make_member(
        kind=Membership.Kind.OTHER, staff_role="editor", email="editor.publish@example.org"
    )
    secret = with_mfa(editor)
    staff = new_page()
    problems = _watch_console(staff)
    sign_in(staff, editor.email, PASSWORD, totp_secret=secret, start="/admin/")
    staff.wait_for_url(re.compile(r"/admin/$"))

    # The page explorer: Events index → add child page → Event page.
    staff.goto(f"/admin/pages/{events_index.pk}/")
    staff.get_by_role("link", name=re.compile(r"Add child page", re.I)).first.click()
    # An index allows a single child type, so Wagtail may go straight to its form.
    if "/add/events/eventpage/" not in staff.url:
        staff.get_by_role("link", name=re.compile(r"^Event page", re.I)).first.click()
    staff.wait_for_url(re.compile(r"/admin/pages/add/events/eventpage/"))

    # "Content" tab (the default one).
    staff.fill("#id_title", TITLE)
    staff.select_option("#id_kind", "workshop")
    staff.fill("#id_summary", "Sample event published by the admin browser test.")
    staff.select_option("#id_time_zone", "Europe/Paris")
    # Wagtail's date and time widgets are text inputs with a picker; typed values in the
    # widget's format (Y-m-d, H:i) are what the server parses.
    for field, value in (
        ("#id_start_date", "2027-03-10"),
        ("#id_start_time", "09:00"),
        ("#id_end_date", "2027-03-10"),
        ("#id_end_time", "12:30"),
    ):
        staff.fill(field, value)
        staff.keyboard.press("Escape")  # close the picker so it does not cover the next field
    staff.select_option("#id_format", "online")

    # "Registration" tab.
    staff.get_by_role("tab", name="Registration").click()
    expect(staff.locator("#id_audience")).to_be_visible()
    staff.select_option("#id_audience", "public")
    staff.select_option("#id_registration_audience", "members")
    staff.fill("#id_capacity", "30")

    # Publish sits in the footer's action menu, behind the "more actions" toggle.
    footer = staff.locator("footer, .footer").last
    publish = staff.get_by_role("button", name=re.compile(r"^Publish$"))
    if not publish.is_visible():
        footer.get_by_role("button", name=re.compile(r"More actions", re.I)).click()
    publish.click()

    staff.wait_for_url(re.compile(rf"/admin/pages/{events_index.pk}/"))
    expect(staff.get_by_text(re.compile(r"\bpublished\b", re.I)).first).to_be_visible()

    event = EventPage.objects.get(title=TITLE)
    assert event.live
    assert not event.has_unpublished_changes
    assert event.get_parent().pk == events_index.pk
    assert event.time_zone == "Europe/Paris"
    assert event.start_date == dt.date(2027, 3, 10)
    assert event.start_time == dt.time(9, 0)
    # 09:00 in Paris in March 2027 (CET, UTC+1, before the change on 28 March) is 08:00Z.
    assert event.start == dt.datetime(2027, 3, 10, 8, 0, tzinfo=dt.UTC)
    assert event.end == dt.datetime(2027, 3, 10, 11, 30, tzinfo=dt.UTC)
    assert event.audience == "public"
    assert event.registration_audience == "members"
    assert event.capacity == 30
    assert EventCalendarState.objects.filter(event=event).exists()

    visitor = new_page()
    visitor.goto(event.url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)

    assert problems == [], f"browser console errors in the admin: {problems}"
