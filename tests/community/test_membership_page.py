"""The member's own page: status, the application form, and what vetting changes on it."""

from urllib.parse import parse_qs, urlparse

from django.urls import reverse

import pytest
from bs4 import BeautifulSoup

from community import services
from community.models import Membership
from tests.factories import make_member
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
    from django.utils import timezone

    user = make_member()
    Membership.objects.filter(user=user).update(
        expires_at=timezone.now() - timezone.timedelta(days=1)
    )
    _response, soup = _get(_client(client_for, user))
    assert _state_card(soup)[:2] == ("expired", "Expired")


def test_state_and_queryset_agree_for_every_state(db):
    from django.utils import timezone

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
