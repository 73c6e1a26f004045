"""A member's registration error and cancellation in Chromium, at phone and desktop widths.

Errors: one summary at the top, focused, linking to the field; the address stays the event
page's. Cancel: a confirmation page first, then the seat goes to the waitlist.
"""

import datetime as dt
import re

from django.utils import timezone

import pytest
from playwright.sync_api import expect

from community.models import Membership
from events import services
from events.models import Registration
from tests.factories import EventPageFactory, make_member
from tests.helpers import published_event_index, sign_in, site_home

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture
def workshop(transactional_db):
    index = published_event_index(site_home(slug="browser-errors-home", hero_title="Lab"))
    day = (timezone.now() + dt.timedelta(days=12)).date()
    return EventPageFactory(
        parent=index,
        title="Sample workshop on facial recognition audits",
        slug="sample-frt-audit-workshop",
        summary="Sample workshop for the browser test.",
        start_date=day,
        start_time=dt.time(10, 0),
        end_time=dt.time(12, 0),
        hybrid=True,
        venue_address="",
        online_join_url="",
        audience="members",
        capacity=1,
        questions=[
            (
                "text",
                {"label": "Which unit do you work in?", "help_text": "", "required": True},
            ),
        ],
    )


@pytest.mark.parametrize("size", WIDTHS.values(), ids=WIDTHS.keys())
def test_error_summary_is_focused_and_links_to_the_field(new_page, workshop, size, tmp_path):
    member = make_member(kind=Membership.Kind.OTHER, email="summary.member@example.org")
    page = new_page(viewport=size)
    sign_in(page, member.email, PASSWORD)
    page.wait_for_load_state()
    page.goto(workshop.url)
    page.get_by_role("button", name=re.compile("^Register$")).click()
    page.wait_for_load_state()

    assert page.url.endswith(workshop.url), page.url
    summary = page.locator("[data-error-summary]")
    expect(summary).to_have_count(1)
    expect(summary).to_be_focused()
    box = summary.bounding_box()
    assert box is not None and box["y"] < size["height"], "the summary is on the first screen"
    page.screenshot(path=str(tmp_path / "error-summary.png"))

    link = summary.get_by_role("link", name="Choose in person or online.")
    link.click()
    expect(page.locator("#id_attendance_0")).to_be_in_viewport()
    assert Registration.objects.count() == 0

    page.locator("#id_attendance_0").check()
    page.get_by_label("Which unit do you work in?").fill("Sample cybercrime unit")
    page.get_by_role("button", name=re.compile("^Register$")).click()
    page.wait_for_load_state()
    assert page.url.endswith(workshop.url)
    expect(page.locator("[data-error-summary]")).to_have_count(0)
    assert page.locator("#registration").get_attribute("data-registration-status") == "confirmed"


@pytest.mark.parametrize("size", WIDTHS.values(), ids=WIDTHS.keys())
def test_cancel_asks_first_then_gives_the_seat_to_the_waitlist(new_page, workshop, size, tmp_path):
    member = make_member(kind=Membership.Kind.OTHER, email="cancel.member@example.org")
    waiting_user = make_member(kind=Membership.Kind.OTHER, email="waiting.member@example.org")
    key = f"q_{workshop.questions[0].id}"
    answers = {key: "Sample unit"}
    mine = services.registration_create(member, workshop, answers, attendance="in_person")
    waiting = services.registration_create(waiting_user, workshop, answers, attendance="in_person")
    assert waiting.status == "waitlisted"

    page = new_page(viewport=size)
    sign_in(page, member.email, PASSWORD)
    page.wait_for_load_state()
    page.goto(workshop.url)
    page.get_by_role("link", name="Cancel my registration").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your registration?")
    expect(page.get_by_text("1 person waiting")).to_be_visible()
    page.screenshot(path=str(tmp_path / "cancel-confirm.png"))
    mine.refresh_from_db()
    assert mine.status == "confirmed", "opening the page cancels nothing"

    page.get_by_role("link", name="No, keep my registration").click()
    page.wait_for_load_state()
    assert page.url.endswith(workshop.url)
    mine.refresh_from_db()
    assert mine.status == "confirmed"

    page.get_by_role("link", name="Cancel my registration").click()
    page.get_by_role("button", name="Yes, cancel my registration").click()
    page.wait_for_load_state()
    assert page.url.endswith(workshop.url)
    expect(page.get_by_text("is cancelled")).to_be_visible()
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, waiting.status) == ("cancelled", "confirmed")
