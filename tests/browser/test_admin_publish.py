"""An editor publishes an event through the Wagtail admin, in a real browser."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from community.models import Membership
from events.models import EventCalendarState, EventPage
from tests.factories import make_member
from tests.helpers import published_event_index, sign_in, site_home, with_mfa

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
TITLE = "Sample auditing facial recognition procurement"


@pytest.fixture
def events_index(transactional_db):
    # site_home() builds under wagtail_root(), which grants editors' page permissions again
    # when an earlier transactional test's flush removed the root they hung on.
    return published_event_index(site_home(slug="admin-home", hero_title="Lab"))


def _watch_console(page):
    """Collect console errors, CSP violations, uncaught exceptions and failed loads: any of
    them can leave the editor half-working without a visible error."""
    problems = []

    def on_console(message):
        # Chromium logs "Failed to load resource" without the address; the response handler
        # below records those loads with their address (except the browser's own favicon probe).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response):
        # Wagtail's autosave posts the create form in the background every half second; one
        # that lands after the publish finds the page's slug taken and is refused with a 400
        # (the publish holds the page-write lock, so it cannot create a second page). The test
        # still proves exactly one page exists below.
        autosave_refused = (
            response.status == 400
            and response.request.resource_type in ("fetch", "xhr")
            and "/admin/pages/add/" in response.url
        )
        if response.status >= 400 and not autosave_refused:
            problems.append(f"HTTP {response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("response", on_response)
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
    # The tabs and widgets are wired up by the admin's scripts once they have loaded.
    staff.wait_for_load_state("networkidle")

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
    # An open picker floats above the form and would swallow the next clicks; like a person,
    # click elsewhere (on a plain field) to close it.
    staff.click("#id_summary")
    expect(staff.locator(".xdsoft_datetimepicker:visible")).to_have_count(0)
    staff.select_option("#id_format", "online")

    # "Registration" tab.
    registration_tab = staff.get_by_role("tab", name="Registration")
    # The tab bar is sticky and slides while the form scrolls; a mouse click can land its
    # press and release on different spots and never fire. The keyboard selects it reliably.
    registration_tab.focus()
    staff.keyboard.press("Enter")
    expect(registration_tab).to_have_attribute("aria-selected", "true")
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

    avatars = [problem for problem in problems if "gravatar.com" in problem]
    others = [problem for problem in problems if problem not in avatars]
    assert others == [], f"errors in the browser while using the admin: {others}"
    # Avatars from gravatar.com would send a hash of every editor's address to a third party
    # (and the CSP rightly blocks them): WAGTAIL_GRAVATAR_PROVIDER_URL = None turns them off.
    assert avatars == [], f"the admin asks gravatar.com for avatars: {avatars[:1]}"
