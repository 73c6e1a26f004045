"""The editor's path in a real browser at 1366 px: dashboard → Events → registrations →
message with preview → send, and cancelling with a message, with JavaScript off (plain form
posts must do it all); then an axe-core scan of those screens' content."""

import datetime as dt
import os
import re
from pathlib import Path

from django.core import mail
from django.utils import timezone

import pytest
from playwright.sync_api import expect

from community.models import Membership, OutboundEmail
from events import services
from events.models import EventPage
from tests.factories import EventPageFactory, make_member
from tests.helpers import published_event_index, sign_in, site_home, with_mfa

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")
MESSAGE = "Dear participants,\n\nWe meet in room B <b>not A</b>.\n\nSee you there."


@pytest.fixture
def event(transactional_db):
    index = published_event_index(site_home(slug="admin-events-home", hero_title="Lab"))
    day = (timezone.now() + dt.timedelta(days=10)).date()
    event = EventPageFactory(
        parent=index,
        title="Sample red-teaming clinic",
        slug="sample-red-teaming-clinic",
        summary="Sample event for the editor's browser test.",
        start_date=day,
        online=True,
        online_join_url="https://meet.example.org/sample-room",
        capacity=2,
    )
    for _ in range(3):
        services.registration_create(make_member(kind=Membership.Kind.LAW_ENFORCEMENT), event, {})
    return EventPage.objects.get(pk=event.pk)


@pytest.fixture
def editor_page(new_page):
    """A signed-in editor's browser tab at 1366 px; ``javascript=False`` for plain forms."""
    editor = make_member(
        kind=Membership.Kind.OTHER, staff_role="editor", email="editor.events@example.org"
    )
    editor.set_password(PASSWORD)
    editor.save()
    secret = with_mfa(editor)

    def make(javascript):
        # axe is injected as an inline script, which the admin's CSP rightly blocks.
        page = new_page(
            viewport={"width": 1366, "height": 900},
            java_script_enabled=javascript,
            bypass_csp=javascript,
        )
        sign_in(page, editor.email, PASSWORD, totp_secret=secret, start="/admin/")
        page.wait_for_url(re.compile(r"/admin/$"))
        return page

    return make


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def axe_violations(page):
    """Serious and critical axe findings inside the screen's own content (Wagtail's chrome is
    Wagtail's to fix)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci`")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const result = await axe.run({include: ["main"]}, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => ["serious", "critical"].includes(v.impact))
                .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
        }"""
    )


def test_editor_messages_attendees_and_cancels_without_javascript(editor_page, event):
    page = editor_page(javascript=False)
    mail.outbox = []

    # Dashboard panel → the event's registrations.
    page.goto("/admin/")
    panel = page.locator("#events-overview-section")
    expect(panel).to_contain_text("Sample red-teaming clinic")
    expect(panel).to_contain_text("2 / 2")
    shot(page, "1-dashboard")

    # The Events screen lists it with its seats and a direct link.
    page.goto("/admin/events/")
    row = page.locator("tbody tr", has_text="Sample red-teaming clinic")
    expect(row).to_contain_text("2 / 2")
    expect(row).to_contain_text(re.compile(r"Paris \(UTC\+[12]\)"))
    shot(page, "2-events")
    row.get_by_role("link", name=re.compile(r"^Registrations")).click()
    page.wait_for_url(re.compile(rf"/admin/events/{event.pk}/registrations/$"))
    header = page.locator("#w-slim-header-buttons")
    expect(header.get_by_role("link", name="Download CSV")).to_be_visible()
    shot(page, "3-registrations")

    # Message attendees: write, preview, change, preview again, send.
    header.get_by_role("link", name="Message attendees").click()
    page.get_by_label("Confirmed and waitlisted registrants").check()
    page.get_by_label("Subject").fill("Sample: room change")
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_contain_text("Preview the message")
    body = page.locator("[data-body]").inner_text()
    assert body.startswith(MESSAGE)
    assert "Hello" not in body
    shot(page, "4-preview")
    sent = OutboundEmail.objects.filter(key__startswith="event-message:")
    assert not sent.exists()

    page.get_by_role("button", name="Change the message").click()
    expect(page.get_by_label("Message")).to_have_value(MESSAGE)
    expect(page.get_by_label("Confirmed and waitlisted registrants")).to_be_checked()
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Send 3 emails").click()
    page.wait_for_url(re.compile(rf"/admin/events/{event.pk}/registrations/$"))
    expect(page.locator(".messages")).to_contain_text("3 emails are being sent.")
    assert sent.count() == 3
    assert {r.body_text.replace("\r\n", "\n") for r in sent} == {body}

    # Cancel the event with a message to registrants.
    page.locator("#w-slim-header-buttons").get_by_role("link", name="Cancel event").click()
    page.get_by_label("Message to registrants (optional)").fill("Sample: the venue flooded.")
    shot(page, "5-cancel")
    page.get_by_role("button", name="Yes, cancel the event").click()
    expect(page.locator(".messages")).to_contain_text("The event is cancelled")
    assert EventPage.objects.get(pk=event.pk).status == "cancelled"


def test_events_screens_have_no_serious_axe_findings(editor_page, event):
    page = editor_page(javascript=True)
    registrations = f"/admin/events/{event.pk}/registrations/"
    for path in ("/admin/", "/admin/events/", registrations, registrations + "cancel/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], path
    # The preview, reached by the form as an editor would.
    page.goto(registrations + "message/")
    page.get_by_label("Subject").fill("Sample subject")
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-body]")).to_contain_text("room B")
    assert axe_violations(page) == [], "preview"
