"""A law-enforcement member registers for a workshop; an editor exports the registrations."""

import csv
import datetime as dt
import io
import re

from django.utils import timezone

import pytest
from playwright.sync_api import expect

from community.models import Membership
from events.models import Registration
from tests.factories import EventPageFactory, make_member
from tests.helpers import published_event_index, sign_in, site_home, with_mfa

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
JOIN_URL = "https://meet.example.org/sample-workshop-room"


@pytest.fixture
def workshop(transactional_db):
    index = published_event_index(site_home(slug="browser-home", hero_title="Lab"))
    day = (timezone.now() + dt.timedelta(days=10)).date()
    return EventPageFactory(
        parent=index,
        title="Risk-assessing a licence-plate recognition pilot",
        slug="lpr-workshop",
        summary="Sample workshop for the browser test.",
        time_zone="America/Argentina/Buenos_Aires",
        start_date=day,
        start_time=dt.time(10, 0),
        end_time=dt.time(13, 0),
        online=True,
        online_join_url=JOIN_URL,
        audience="law_enforcement",
        registration_audience="law_enforcement",
        capacity=5,
        questions=[
            (
                "text",
                {
                    "label": "Which system is your agency considering?",
                    "help_text": "",
                    "required": True,
                },
            ),
        ],
    )


def test_law_enforcement_member_registers_and_editor_exports(new_page, workshop):
    officer = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, email="officer@example.net")
    member = new_page()
    sign_in(member, officer.email, PASSWORD)
    member.wait_for_url(re.compile(r"/me/$"))  # sign-in lands on "Your account"

    member.goto(workshop.url)
    panel = member.locator("[data-registration-status]")
    assert panel.get_attribute("data-registration-status") == "none"
    assert JOIN_URL not in member.content()
    member.get_by_label("Which system is your agency considering?").fill("=Sample LPR vendor")
    member.get_by_role("button", name=re.compile("Register", re.I)).click()

    member.wait_for_url(re.compile(re.escape(workshop.url)))
    panel = member.locator("[data-registration-status]")
    assert panel.get_attribute("data-registration-status") == "confirmed"
    expect(member.locator(f'a[href="{JOIN_URL}"]').first).to_be_visible()
    registration = Registration.objects.get(event=workshop, user=officer)
    assert registration.status == "confirmed"

    editor = make_member(
        kind=Membership.Kind.OTHER, staff_role="editor", email="editor.events@example.org"
    )
    secret = with_mfa(editor)
    staff = new_page()
    sign_in(staff, editor.email, PASSWORD, totp_secret=secret, start="/admin/")
    staff.wait_for_url(re.compile(r"/admin/"))
    listing = f"/admin/events/{workshop.pk}/registrations/"
    staff.goto(listing)
    expect(staff.locator("tbody tr", has_text=officer.email)).to_have_count(1)

    # The export the listing offers, fetched with the editor's browser session.
    response = staff.request.get(f"{listing}?export=csv")
    assert response.status == 200
    rows = list(csv.reader(io.StringIO(response.text())))
    header, data = rows[0], rows[1:]
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert officer.email in record.values()
    answer = record["Which system is your agency considering?"]
    assert answer == "'=Sample LPR vendor"  # a formula is neutralised, not executed
