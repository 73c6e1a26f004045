"""The member's own page: status, the application form, and what vetting changes on it; each
membership state shown on the site's layout, with a stable hook for browser tests."""

from urllib.parse import parse_qs, urlparse

from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community import services
from community.models import Membership
from tests.factories import make_member
from tests.helpers import assert_headings_in_order, assert_site_page, get_warm, parse
from tests.queries import max_queries

pytestmark = pytest.mark.django_db

# 13 today (session, user, membership, roles, site settings, menus); a little headroom only.
PAGE_QUERY_LIMIT = 15
APPLICATION = {
    "full_name": "Sample Applicant",
    "kind": Membership.Kind.EXPERT,
    "organisation": "Sample University",
    "organisation_type": Membership.OrganisationType.ACADEMIA,
    "country": "KE",
    "position": "Sample Researcher",
    "motivation": "Sample motivation.",
}
FORM_FIELDS = {"full_name", "kind", "organisation", "organisation_type", "country", "position"}


def _client(client_for, user):
    """A logged-in client past its one-time work (session record, site settings row)."""
    client = client_for(user)
    assert client.get(reverse("membership")).status_code == 200
    return client


def _get(client):
    with max_queries(PAGE_QUERY_LIMIT):
        response = client.get(reverse("membership"))
    assert response.status_code == 200
    return response, BeautifulSoup(response.content, "html5lib")


def _status(soup):
    hooks = soup.select("[data-membership-status]")
    assert len(hooks) == 1
    return hooks[0]["data-membership-status"]


def _application_form(soup):
    """The form posting the application fields, or None."""
    for form in soup.find_all("form"):
        names = {tag.get("name") for tag in form.find_all(["input", "select", "textarea"])}
        if names >= FORM_FIELDS:
            return form
    return None


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("membership"))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [reverse("membership")]


def test_anonymous_post_writes_nothing(client):
    before = Membership.objects.count()
    response = client.post(reverse("membership"), APPLICATION)
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_login")
    assert Membership.objects.count() == before


def test_pending_member_sees_the_form(client_for, pending):
    response, soup = _get(_client(client_for, pending))
    assert _status(soup) == "pending"
    form = _application_form(soup)
    assert form is not None
    assert form.get("method", "").lower() == "post"
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    # Every field has a label the screen reader can announce.
    for name in FORM_FIELDS - {"kind"}:
        control = form.find(attrs={"name": name})
        assert control.get("id"), name
        assert form.find("label", attrs={"for": control["id"]}) is not None, name
    assert {radio["value"] for radio in form.find_all("input", attrs={"name": "kind"})} == set(
        Membership.Kind.values
    )


def test_apply_then_get_verified(client_for, pending, editor, django_capture_on_commit_callbacks):
    client = _client(client_for, pending)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("membership"), APPLICATION)
    assert response.status_code == 302
    assert response["Location"] == reverse("membership")

    response, soup = _get(client)
    assert _status(soup) == "pending"
    membership = Membership.objects.get(user=pending)
    assert membership.status == Membership.Status.PENDING
    assert membership.applied_at is not None
    # A pending applicant may still correct the application.
    assert _application_form(soup) is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_approve(membership, by=editor)

    response, soup = _get(client)
    assert _status(soup) == "verified"
    assert _application_form(soup) is None
    assert response.context["form"] is None
    assert "Sample University" in soup.get_text()


def test_form_errors_are_shown_on_the_page(client_for, pending):
    client = _client(client_for, pending)
    with max_queries(PAGE_QUERY_LIMIT):
        response = client.post(reverse("membership"), {**APPLICATION, "country": "XX"})
    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    soup = BeautifulSoup(response.content, "html5lib")
    assert _status(soup) == "pending"
    form = _application_form(soup)
    assert form is not None
    # The submitted values come back, so nothing typed is lost.
    assert form.find("input", attrs={"name": "organisation"})["value"] == "Sample University"


@pytest.mark.parametrize(
    ("status", "has_form"),
    [
        (Membership.Status.VERIFIED, False),
        (Membership.Status.REJECTED, False),
        (Membership.Status.SUSPENDED, False),
        (Membership.Status.EXPIRED, True),
    ],
)
def test_each_status_shows_its_hook_and_form(client_for, status, has_form):
    user = make_member(status=status)
    response, soup = _get(_client(client_for, user))
    assert _status(soup) == status
    assert (_application_form(soup) is not None) is has_form


def test_query_count_does_not_depend_on_the_number_of_members(client_for, pending):
    from tests.queries import assert_queries_constant

    client = client_for(pending)

    def fetch():
        assert client.get(reverse("membership")).status_code == 200

    def grow(factor):
        for _ in range(factor):
            make_member()

    assert_queries_constant(fetch, grow)


# --- The state says the truth ---------------------------------------------------------------


def _state_card(soup):
    cards = soup.select("[data-membership-state]")
    assert len(cards) == 1
    card = cards[0]
    return card["data-membership-state"], card.select_one(".badge").get_text(strip=True), card


def test_an_account_that_never_applied_reads_not_applied_yet_with_the_way_to_apply(
    client_for, pending
):
    _response, soup = _get(_client(client_for, pending))
    state, badge, card = _state_card(soup)
    assert state == "not_applied"
    assert badge == "Not applied yet"
    assert "Pending review" not in soup.get_text()
    link = card.find("a", href="#membership-form-heading")
    assert link is not None and "Apply" in link.get_text()
    assert soup.find(id="membership-form-heading") is not None
    assert _application_form(soup) is not None


@pytest.mark.parametrize(
    ("status", "applied", "state", "badge"),
    [
        (Membership.Status.PENDING, True, "pending", "Pending review"),
        (Membership.Status.VERIFIED, True, "verified", "Verified"),
        (Membership.Status.REJECTED, True, "rejected", "Rejected"),
        (Membership.Status.SUSPENDED, True, "suspended", "Suspended"),
        (Membership.Status.EXPIRED, True, "expired", "Expired"),
    ],
)
def test_each_state_has_its_own_label(client_for, status, applied, state, badge):
    user = make_member(status=status)
    _response, soup = _get(_client(client_for, user))
    assert _state_card(soup)[:2] == (state, badge)


def test_a_verified_membership_past_its_date_reads_expired(client_for):
    user = make_member()
    Membership.objects.filter(user=user).update(
        expires_at=timezone.now() - timezone.timedelta(days=1)
    )
    _response, soup = _get(_client(client_for, user))
    assert _state_card(soup)[:2] == ("expired", "Expired")


def test_state_and_queryset_agree_for_every_state(db):
    from tests.factories import UserFactory

    UserFactory()
    for status in Membership.Status.values:
        make_member(status=status)
    lapsed = make_member()
    Membership.objects.filter(user=lapsed).update(expires_at=timezone.now())
    for state in Membership.State.values:
        by_query = set(Membership.objects.in_state(state).values_list("pk", flat=True))
        by_object = {m.pk for m in Membership.objects.all() if m.state == state}
        assert by_query == by_object, state
        assert by_query, state
    awaiting = {m.pk for m in Membership.objects.all() if m.is_awaiting_decision}
    assert set(Membership.objects.awaiting_decision().values_list("pk", flat=True)) == awaiting


# --- On the site's layout, under a home page (formerly tests/home/test_membership_page.py) ---


def test_new_account_sees_the_application_form(client_for, pending, home_page):
    soup = assert_site_page(parse(get_warm(client_for(pending), "/membership/", 16)))
    assert _status(soup) == "pending"
    form = soup.find("form", action="/membership/")
    names = {c.get("name") for c in form.find_all(["input", "select", "textarea"])}
    assert {"full_name", "kind", "organisation", "country", "position"} <= names
    kind_group = form.find("fieldset")
    assert kind_group.find("legend").get_text(strip=True).startswith("I am joining as")
    assert_headings_in_order(soup)


def test_applicant_sees_under_review(client_for, home_page):
    user = make_member(status=Membership.Status.PENDING)
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert _status(soup) == "pending"
    assert "under review" in soup.find(attrs={"data-membership-status": True}).get_text()
    # The form stays reachable but folded away, so the state is what the applicant sees first.
    assert soup.find("details", class_="disclosure") is not None


def test_verified_member_sees_kind_organisation_country_and_expiry(
    client_for, le_member, home_page
):
    soup = assert_site_page(parse(get_warm(client_for(le_member), "/membership/", 16)))
    card = soup.find(attrs={"data-membership-status": True})
    assert _status(soup) == "verified"
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
    assert _status(soup) == "rejected"
    text = soup.find("main").get_text()
    assert "Sample reason for the decision." in text
    assert "Sample internal note." not in text
    assert soup.find("form", action="/membership/") is None


def test_suspended_member_sees_suspension(client_for, home_page):
    user = make_member(status=Membership.Status.SUSPENDED)
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert _status(soup) == "suspended"
    assert soup.find("form", action="/membership/") is None


def test_expired_member_is_asked_to_reconfirm(client_for, home_page):
    user = make_member(status=Membership.Status.EXPIRED)
    Membership.objects.filter(user=user).update(expires_at=timezone.now())
    soup = assert_site_page(parse(get_warm(client_for(user), "/membership/", 16)))
    assert _status(soup) == "expired"
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
