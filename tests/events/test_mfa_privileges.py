"""Privileged roles take effect only in a session that passed two-step verification
(issue 8, point 9).

A moderator, editor or administrator signed in with a password alone browses as a member: no
staff-only or law-enforcement-only content (unless their membership is law enforcement), no
export, no admin. A calendar link of a privileged account never carries more than a member's.
Emails to a privileged account count the role while the account has an authenticator.
"""

import re
from urllib.parse import parse_qs, urlparse

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time as counters
from icalendar import Calendar

from community import access
from community.access import Assurance, Role
from community.models import Membership
from events import tokens
from events.models import Registration
from tests.factories import make_member
from tests.helpers import pass_mfa, with_mfa

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PRIVILEGED = ("moderator", "editor", "admin_user")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def events(make_event):
    """One event per audience, each with a title that names it."""
    return {
        audience: make_event(
            title=f"Marker {audience} event",
            slug=f"marker-{audience}",
            audience=audience,
            registration_audience="members" if audience == "public" else audience,
        )
        for audience in ("public", "members", "law_enforcement", "staff")
    }


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def _code(secret):
    values = list(counters())
    return format_hotp_value(hotp_value(secret, values[len(values) // 2]))


def _visible(client, events):
    return {
        audience for audience, event in events.items() if client.get(event.url).status_code == 200
    }


def _listed(client, event_index):
    body = client.get(event_index.url).content.decode()
    return {
        audience
        for audience in ("public", "members", "law_enforcement", "staff")
        if f"Marker {audience} event" in body
    }


# --- The policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", PRIVILEGED)
def test_privileged_roles_need_a_verified_session(request, fixture):
    user = fresh(request.getfixturevalue(fixture))
    held = access.held_roles(user)
    assert held & access.PRIVILEGED_ROLES
    # Nobody assured this object (a task, a command): a member, not staff.
    assert not access.roles(user) & access.PRIVILEGED_ROLES
    assert Role.MEMBER in access.roles(user)
    assert access.privileges_pending(user)
    for assurance in (Assurance.UNVERIFIED_SESSION, Assurance.LINK, Assurance.MAILBOX):
        access.assure(user, assurance)
        assert not access.roles(user) & access.PRIVILEGED_ROLES, assurance
        assert access.audiences(user) <= {"public", "members", "law_enforcement"}
        assert not access.can(user, "vet_members")
        assert not access.can(user, "events.manage_registrations")
    access.assure(user, Assurance.VERIFIED_SESSION)
    assert access.roles(user) == held
    assert not access.privileges_pending(user)


def test_a_mailbox_counts_the_role_while_the_account_has_an_authenticator(editor):
    user = access.assure(fresh(editor), Assurance.MAILBOX)
    assert not access.is_staff(user)
    with_mfa(editor)
    user = access.assure(fresh(editor), Assurance.MAILBOX)
    assert access.is_staff(user)
    # A calendar link never does.
    assert not access.is_staff(access.assure(fresh(editor), Assurance.LINK))


def test_members_are_unaffected_by_assurance(le_member):
    user = access.assure(fresh(le_member), Assurance.LINK)
    assert access.roles(user) == {Role.MEMBER, Role.LAW_ENFORCEMENT}


def test_a_law_enforcement_moderator_keeps_law_enforcement_access(moderator):
    # The moderator fixture is a law-enforcement member: demoted, they are still that.
    user = fresh(moderator)
    assert access.roles(user) == {Role.MEMBER, Role.LAW_ENFORCEMENT}


# --- Sessions ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["editor", "admin_user"])
def test_password_session_sees_what_a_member_sees(request, client_for, events, fixture):
    user = request.getfixturevalue(fixture)
    password_only = client_for(user, mfa=False)
    assert _visible(password_only, events) == {"public", "members"}
    assert _listed(password_only, events["public"].get_parent()) == {"public", "members"}
    verified = client_for(user, mfa=True)
    assert _visible(verified, events) == {"public", "members", "law_enforcement", "staff"}


def test_password_session_of_a_staff_account_with_an_authenticator(client_for, editor, events):
    # The authenticator exists, but this session did not use it: still a member's view.
    with_mfa(editor)
    client = client_for(editor, mfa=False)
    assert _visible(client, events) == {"public", "members"}
    export = reverse("events_admin:registrations", args=[events["staff"].pk]) + "?export=csv"
    response = client.get(export)
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.path == reverse("mfa_reauthenticate")
    assert parse_qs(target.query)["next"] == [export]


def test_password_session_header_and_account_page(client_for, editor):
    client = client_for(editor, mfa=False)
    page = client.get(reverse("my_account")).content.decode()
    assert "two-step verification" in page
    assert 'href="/admin/"' not in page
    verified = client_for(editor, mfa=True)
    page = verified.get(reverse("my_account")).content.decode()
    assert 'href="/admin/"' in page


def test_totp_sign_in_puts_the_role_in_force(editor, events):
    secret = with_mfa(editor)
    client = Client()
    response = client.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    assert urlparse(response["Location"]).path == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert _visible(client, events) == {"public", "members", "law_enforcement", "staff"}


@pytest.mark.django_db(transaction=True)
def test_setting_up_totp_puts_the_role_in_force_in_that_session(client_for, editor, events):
    # Transactional: allauth announces the new authenticator on commit.
    client = client_for(editor, mfa=False)
    # allauth asks for the password again before setup (reauthentication).
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=editor, type="totp").exists()
    assert _visible(client, events) == {"public", "members", "law_enforcement", "staff"}
    assert client.get("/admin/").status_code == 200


def test_confirming_with_the_authenticator_later_puts_the_role_in_force(client_for, editor):
    secret = with_mfa(editor)
    client = client_for(editor, mfa=False)
    response = client.get("/admin/pages/")
    assert urlparse(response["Location"]).path == reverse("mfa_reauthenticate")
    response = client.post(
        reverse("mfa_reauthenticate") + "?next=/admin/pages/", {"code": _code(secret)}
    )
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == "/admin/pages/"
    assert client.get("/admin/pages/").status_code == 200


def test_removing_the_authenticator_ends_the_role_in_the_session(client_for, editor, events):
    client = client_for(editor, mfa=True)
    assert "staff" in _visible(client, events)
    Authenticator.objects.filter(user=editor).delete()
    assert _visible(client, events) == {"public", "members"}


# --- Calendar links ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", PRIVILEGED)
def test_calendar_links_of_privileged_accounts_carry_a_members_events(
    request, client, events, fixture
):
    user = request.getfixturevalue(fixture)
    with_mfa(user)
    _row, token = tokens.issue(user)
    response = client.get(f"/calendar/{token}/events.ics")
    assert response.status_code == 200
    titles = {
        str(component.get("SUMMARY"))
        for component in Calendar.from_ical(response.content).walk("VEVENT")
    }
    expected = {"Marker public event", "Marker members event"}
    if fixture == "moderator":  # a law-enforcement member as well as a moderator
        expected.add("Marker law_enforcement event")
    assert titles == expected


def test_the_calendar_link_page_in_a_password_session_lists_no_staff_events(
    client_for, editor, events
):
    client = client_for(editor, mfa=False)
    page = client.post(reverse("events:calendar_token"), {"action": "create"}, follow=True)
    assert page.status_code == 200
    token = tokens_from(page.content.decode())
    feed = Client().get(f"/calendar/{token}/events.ics")
    assert b"Marker staff event" not in feed.content


def tokens_from(html):
    match = re.search(r"/calendar/([A-Za-z0-9_-]{43,})/events\.ics", html)
    assert match, "no calendar link on the page"
    return match.group(1)


# --- Emails ------------------------------------------------------------------------------


def test_staff_event_emails_reach_staff_with_an_authenticator_only(editor, events, settings):
    from community.models import OutboundEmail
    from events import emails, services

    other = verified(make_member(kind=Membership.Kind.OTHER, staff_role="editor"))
    with_mfa(editor)
    with_mfa(other)
    keys = {}
    for user in (editor, other):
        registration = services.registration_create(user, events["staff"])
        keys[user.pk] = key = f"event:{registration.pk}:reminder-test"
        assert emails.build_registration_email(registration.pk, "reminder_24h", key, False) == (
            "queued"
        )
    # The other editor's authenticator goes before delivery: their email is withheld.
    Authenticator.objects.filter(user=other).delete()
    assert emails.delivery_refusal(OutboundEmail.objects.get(key=keys[editor.pk])) is None
    assert emails.delivery_refusal(OutboundEmail.objects.get(key=keys[other.pk]))
    # And one built for an account without an authenticator is not built at all.
    registration = services.registration_create(other, events["members"])
    key = f"event:{registration.pk}:reminder-test"
    assert emails.build_registration_email(registration.pk, "reminder_24h", key, False) == "queued"
    staff_registration = Registration.objects.get(user=other, event=events["staff"])
    key = f"event:{staff_registration.pk}:reminder-again"
    assert emails.build_registration_email(staff_registration.pk, "reminder_24h", key, False) != (
        "queued"
    )


def verified(user):
    return access.assure(user, Assurance.VERIFIED_SESSION)


def test_pass_mfa_helper_matches_what_sign_in_records(client_for, editor):
    # The suite's helper writes the record allauth's sign-in writes; if allauth changes its
    # session format, this test (and the sign-in test above) say so.
    client = pass_mfa(client_for(editor), editor)
    records = client.session["account_authentication_methods"]
    assert records[-1]["method"] == "mfa"
