"""The member's own page shows each membership state, with a stable hook for browser tests."""

from django.utils import timezone

import pytest

from community.models import Membership
from tests.factories import make_member
from tests.helpers import assert_headings_in_order, assert_site_page, get_warm, parse

pytestmark = pytest.mark.django_db


def status_of(soup):
    return soup.find(attrs={"data-membership-status": True})["data-membership-status"]


def test_new_account_sees_the_application_form(client_for, pending, home_page):
    soup = assert_site_page(parse(get_warm(client_for(pending), "/membership/", 16)))
    assert status_of(soup) == "pending"
    form = soup.find("form", action="/membership/")
    names = {c.get("name") for c in form.find_all(["input", "select", "textarea"])}
    assert {"full_name", "kind", "organisation", "country", "position"} <= names
    kind_group = form.find("fieldset")
    assert kind_group.find("legend").get_text(strip=True).startswith("I am joining as")
    assert_headings_in_order(soup)


def test_applicant_sees_under_review(client_for, home_page):
    user = make_member(status=Membership.Status.PENDING)
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert status_of(soup) == "pending"
    assert "under review" in soup.find(attrs={"data-membership-status": True}).get_text()
    # The form stays reachable but folded away, so the state is what the applicant sees first.
    assert soup.find("details", class_="disclosure") is not None


def test_verified_member_sees_kind_organisation_country_and_expiry(
    client_for, le_member, home_page
):
    soup = assert_site_page(parse(get_warm(client_for(le_member), "/membership/", 16)))
    card = soup.find(attrs={"data-membership-status": True})
    assert status_of(soup) == "verified"
    details = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
        for dt in card.find_all("dt")
    }
    membership = le_member.membership
    assert details["Member as"] == "Law enforcement"
    assert details["Organisation"] == "Sample Agency"
    assert details["Country"] == "Singapore"
    assert card.find("time")["datetime"].startswith(membership.expires_at.date().isoformat())
    assert soup.find("form", action="/membership/") is None


def test_rejected_member_sees_the_reason_and_no_form(client_for, home_page):
    user = make_member(status=Membership.Status.REJECTED)
    Membership.objects.filter(user=user).update(
        decision_reason="Sample reason for the decision.", staff_notes="Sample internal note."
    )
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert status_of(soup) == "rejected"
    text = soup.find("main").get_text()
    assert "Sample reason for the decision." in text
    assert "Sample internal note." not in text
    assert soup.find("form", action="/membership/") is None


def test_suspended_member_sees_suspension(client_for, home_page):
    user = make_member(status=Membership.Status.SUSPENDED)
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert status_of(soup) == "suspended"
    assert soup.find("form", action="/membership/") is None


def test_expired_member_is_asked_to_reconfirm(client_for, home_page):
    user = make_member(status=Membership.Status.EXPIRED)
    Membership.objects.filter(user=user).update(expires_at=timezone.now())
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert status_of(soup) == "expired"
    assert "re-confirm" in soup.find("main").get_text()
    form = soup.find("form", action="/membership/")
    assert form is not None
    assert form.find("input", attrs={"name": "organisation"})["value"] == "Sample Agency"


def test_invalid_application_shows_linked_errors_and_writes_nothing(client_for, pending, home_page):
    client = client_for(pending)
    before = Membership.objects.get(user=pending)
    response = client.post("/membership/", {"full_name": "", "kind": "law_enforcement"})
    soup = assert_site_page(parse(response))
    full_name = soup.find("input", attrs={"name": "full_name"})
    assert full_name["aria-invalid"] == "true"
    assert f"{full_name['id']}_error" in full_name["aria-describedby"].split()
    after = Membership.objects.get(user=pending)
    assert after.applied_at is None and after.updated_at == before.updated_at
