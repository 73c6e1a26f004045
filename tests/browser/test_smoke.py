"""The foundation's end-to-end path: visit, sign up, verify, apply, get vetted."""

import email
import re

from django.core import mail

import pytest
from playwright.sync_api import expect

from community.models import Membership
from tests.factories import make_member
from tests.helpers import sign_in, site_home, with_mfa

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-Sample-passphrase-42"


@pytest.fixture
def home_page(transactional_db):
    return site_home(slug="smoke-home", hero_title="Responsible AI Lab")


def _verification_link(address):
    for sent in reversed(mail.outbox):
        if address in sent.to:
            parsed = email.message_from_string(sent.message().as_string())
            parts = [parsed] if not parsed.is_multipart() else list(parsed.walk())
            for part in parts:
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    found = re.search(r"https?://\S+/accounts/confirm-email/\S+", text)
                    if found:
                        return found.group(0)
    raise AssertionError(f"no verification email to {address}")


def test_visitor_signs_up_is_verified_by_email_and_approved_by_an_editor(
    new_page, live_server, home_page
):
    address = "new.analyst@example.net"
    visitor = new_page()

    # A visitor opens the home page and goes to sign up.
    visitor.goto("/")
    assert visitor.get_by_role("heading", level=1).first.is_visible()
    visitor.goto("/accounts/signup/")
    visitor.fill("input[name=email]", address)
    visitor.fill("input[name=password1]", PASSWORD)
    visitor.fill("input[name=password2]", PASSWORD)
    visitor.locator("form:has(input[name=password2]) button[type=submit]").first.click()
    visitor.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    # The link from the email confirms the address.
    link = _verification_link(address)
    visitor.goto(link.replace("http://testserver", live_server.url))
    visitor.locator("main form button[type=submit]").first.click()

    # Confirming in the browser that signed up signs in and opens the application.
    visitor.wait_for_url(re.compile(r"/membership/"))
    visitor.fill("input[name=full_name]", "Sample Analyst")
    visitor.check("input[name=kind][value=law_enforcement]")
    visitor.fill("input[name=organisation]", "Sample Regional Police")
    visitor.select_option("select[name=organisation_type]", "police")
    visitor.select_option("select[name=country]", "KE")
    visitor.fill("input[name=position]", "Crime analyst")
    visitor.locator("form:has(input[name=full_name]) button[type=submit]").first.click()
    status = visitor.locator("[data-membership-status]")
    assert status.first.get_attribute("data-membership-status") == "pending"

    # An editor (with TOTP) signs in and approves the application in the admin.
    editor = make_member(
        kind=Membership.Kind.OTHER, staff_role="editor", email="editor.smoke@example.org"
    )
    secret = with_mfa(editor)
    staff = new_page()
    sign_in(
        staff, editor.email, "correct horse battery staple", totp_secret=secret, start="/admin/"
    )
    staff.wait_for_url(re.compile(r"/admin/"))
    approve_in_admin(staff, "Sample Analyst")

    # The member now shows as verified.
    visitor.reload()
    status = visitor.locator("[data-membership-status]")
    assert status.first.get_attribute("data-membership-status") == "verified"
    membership = Membership.objects.get(user__email=address)
    assert membership.status == Membership.Status.VERIFIED
    assert membership.verified_by == editor


def approve_in_admin(staff, applicant_name):
    staff.goto("/admin/membership-vetting/?status=pending")
    row = staff.locator("tbody tr", has_text=applicant_name)
    expect(row).to_have_count(1)
    approve = row.get_by_role("link", name="Approve")
    if not approve.is_visible():  # row actions may sit in a "More" menu
        row.get_by_role("button").first.click()
    approve.click()
    staff.get_by_role("button", name="Yes, approve").click()
    staff.wait_for_url(re.compile(r"/admin/membership-vetting/"))
    expect(staff.get_by_text("is now a verified member").first).to_be_visible()
