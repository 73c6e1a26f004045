"""The events admin's permission policy (events/permissions.py) and what each kind of viewer
gets from each events admin screen, its menu item and its buttons (docs/events.md, "How the
events admin is built")."""

from django.contrib.auth.models import AnonymousUser, Permission
from django.test import RequestFactory
from django.urls import reverse

from wagtail.admin.menu import admin_menu
from wagtail.permissions import policy_registry

import pytest
from bs4 import BeautifulSoup

from community import access
from community.models import Membership
from events.admin_views import (
    BulkActionView,
    CancelEventView,
    EventsOverviewView,
    MessageAttendeesView,
    RegistrationIndexView,
)
from events.models import Registration
from events.permissions import EventStaffPolicy, registration_policy
from tests.factories import make_member

pytestmark = pytest.mark.django_db

ROLES = ["anon", "pending", "member", "le_member", "expert", "moderator", "editor", "admin"]
STAFF = {"editor", "admin"}


def screens(event):
    """(method, url) of every events admin screen."""
    registrations = reverse("events_admin:registrations", args=[event.pk])
    return [
        ("get", reverse("events_overview:index")),
        ("get", reverse("events_overview:index_results")),
        ("get", registrations),
        ("get", reverse("events_admin:registrations_results", args=[event.pk])),
        ("get", registrations + "?export=csv"),
        ("get", reverse("events_admin:message", args=[event.pk])),
        ("get", reverse("events_admin:cancel", args=[event.pk])),
        ("post", reverse("events_admin:bulk", args=[event.pk])),
    ]


def fetch(client, method, url):
    return client.get(url) if method == "get" else client.post(url, {"action": "attended"})


def as_viewer(user):
    return AnonymousUser() if user is None else user


# --- The policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_the_policy_says_what_the_access_policy_says(user_for_role, make_event):
    role, user = user_for_role
    user, event = as_viewer(user), make_event()
    expected = role in STAFF
    assert access.can(user, "events.manage_registrations", event) is expected
    for action in ("view", "change"):
        assert registration_policy.user_has_permission(user, action) is expected
        assert registration_policy.user_has_permission_for_instance(user, action, event) is (
            expected
        )
    assert registration_policy.user_has_any_permission(user, ["add", "view"]) is expected


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_nobody_adds_or_deletes_registrations_in_the_admin(user_for_role, make_event):
    _role, user = user_for_role
    event = make_event()
    for action in ("add", "delete", "export", ""):
        assert not registration_policy.user_has_permission(as_viewer(user), action)
        assert not registration_policy.user_has_permission_for_instance(
            as_viewer(user), action, event
        )


def test_a_staff_role_not_in_force_gets_nothing(make_event):
    # An editor as a password-only session sees them: the role is held, not in force.
    editor = make_member(kind=Membership.Kind.OTHER, staff_role="editor")
    access.assure(editor, access.Assurance.UNVERIFIED_SESSION)
    assert access.held_roles(editor) & {access.Role.EDITOR}
    assert not registration_policy.user_has_permission(editor, "view")
    assert not registration_policy.user_has_permission_for_instance(editor, "view", make_event())


def test_model_permissions_open_nothing(moderator):
    for codename in ("view_registration", "change_registration", "add_registration"):
        moderator.user_permissions.add(Permission.objects.get(codename=codename))
    moderator = type(moderator).objects.get(pk=moderator.pk)
    access.assure(moderator, access.Assurance.VERIFIED_SESSION)
    assert moderator.has_perm("events.change_registration")
    assert not registration_policy.user_has_any_permission(moderator, ["view", "change", "add"])


def test_the_policy_lists_no_users(editor):
    # Roles are in force per session, so there is no stored set of users to list.
    assert not registration_policy.users_with_any_permission(["view", "change"]).exists()
    assert not registration_policy.users_with_permission("view").exists()


def test_it_is_the_registration_models_policy_and_every_views():
    assert policy_registry.get_by_type(Registration) is registration_policy
    assert isinstance(registration_policy, EventStaffPolicy)
    for view, required in [
        (EventsOverviewView, "view"),
        (RegistrationIndexView, "view"),
        (BulkActionView, "change"),
        (MessageAttendeesView, "change"),
        (CancelEventView, "change"),
    ]:
        assert view.permission_policy is registration_policy, view
        assert view.permission_required == required, view
        assert view.any_permission_required is None, view
        # No hand-written check left: Wagtail's PermissionCheckedMixin does the asking.
        assert "dispatch" not in vars(view), view


# --- Each screen, for each kind of viewer -------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, make_event):
    for method, url in screens(make_event()):
        response = fetch(client, method, url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


@pytest.mark.parametrize(
    "user_for_role", ["pending", "member", "le_member", "expert", "moderator"], indirect=True
)
def test_signed_in_non_staff_get_the_no_admin_page(user_for_role, client_for, make_event):
    role, user = user_for_role
    client = client_for(user, mfa=role == "moderator")
    for method, url in screens(make_event()):
        response = fetch(client, method, url)
        assert response.status_code == 403, (role, url)
        assert b"Your account has no access to the admin" in response.content


def test_admin_access_granted_by_hand_is_refused_by_the_policy(client_for, moderator, make_event):
    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = client_for(moderator, mfa=True)
    for method, url in screens(make_event()):
        response = fetch(client, method, url)
        # Wagtail's answer to PermissionDenied: the dashboard, with its message.
        assert response.status_code == 302, url
        assert response["Location"] == reverse("wagtailadmin_home"), url


def test_editor_without_an_authenticator_is_sent_to_set_one_up(client_for, editor, make_event):
    client = client_for(editor, mfa=False)
    for method, url in screens(make_event()):
        response = fetch(client, method, url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url


def test_editor_with_an_authenticator_in_a_password_session_confirms_it(
    client_for, editor, make_event
):
    from tests.helpers import with_mfa

    with_mfa(editor)
    client = client_for(editor, mfa=False)
    for method, url in screens(make_event()):
        response = fetch(client, method, url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_reauthenticate")), url


@pytest.mark.parametrize("user_for_role", ["editor", "admin"], indirect=True)
def test_staff_with_two_step_verification_reach_every_screen(user_for_role, client_for, make_event):
    _role, user = user_for_role
    client = client_for(user, mfa=True)
    event = make_event()
    for method, url in screens(event):
        response = fetch(client, method, url)
        if method == "post":
            # The bulk form without rows: back to the listing with the form's error.
            assert response.status_code == 302, url
            assert response["Location"] == reverse("events_admin:registrations", args=[event.pk])
        else:
            assert response.status_code == 200, url


def test_an_unknown_event_is_404_for_staff(client_for, editor):
    response = client_for(editor, mfa=True).get("/admin/events/999999/registrations/message/")
    assert response.status_code == 404


# --- Menu item, dashboard, breadcrumbs ----------------------------------------------------


def events_menu_item():
    (item,) = [item for item in admin_menu.registered_menu_items if item.name == "events"]
    return item


@pytest.mark.parametrize("user_for_role", ROLES, indirect=True)
def test_the_menu_item_is_shown_to_staff_only(user_for_role):
    role, user = user_for_role
    request = RequestFactory().get("/admin/")
    request.user = as_viewer(user)
    assert events_menu_item().is_shown(request) is (role in STAFF)


def test_the_menu_item_is_hidden_from_a_staff_role_not_in_force():
    editor = make_member(kind=Membership.Kind.OTHER, staff_role="editor")
    access.assure(editor, access.Assurance.UNVERIFIED_SESSION)
    request = RequestFactory().get("/admin/")
    request.user = editor
    assert not events_menu_item().is_shown(request)


def test_the_menu_item_comes_from_the_viewset_below_pages():
    item = events_menu_item()
    assert item.url == reverse("events_overview:index") == "/admin/events/"
    assert item.order == 110
    assert item.icon_name == "date"
    assert str(item.label) == "Events"


def breadcrumbs(response):
    page = BeautifulSoup(response.content, "html.parser")
    nav = page.find("nav", attrs={"aria-label": "Breadcrumb"})
    assert nav is not None
    return [
        (
            " ".join(item.get_text(" ", strip=True).split()),
            (item.find("a") or {}).get("href") or None,
        )
        for item in nav.find_all("li")
    ]


def test_breadcrumbs_lead_from_home_through_events_and_the_event(client_for, editor, make_event):
    client = client_for(editor, mfa=True)
    event = make_event(title="Sample crumbs")
    home = reverse("wagtailadmin_home")
    overview = reverse("events_overview:index")
    edit = reverse("wagtailadmin_pages:edit", args=[event.pk])
    registrations = reverse("events_admin:registrations", args=[event.pk])

    crumbs = breadcrumbs(client.get(overview))
    assert [href for _label, href in crumbs] == [home, None]

    crumbs = breadcrumbs(client.get(registrations))
    assert [href for _label, href in crumbs][:3] == [home, overview, edit]
    assert crumbs[1][0] == "Events" and crumbs[2][0] == "Sample crumbs"
    assert crumbs[-1][0].startswith("Registrations")

    for name, title in (("message", "Message attendees"), ("cancel", "Cancel event")):
        crumbs = breadcrumbs(client.get(reverse(f"events_admin:{name}", args=[event.pk])))
        assert [href for _label, href in crumbs][:4] == [home, overview, edit, registrations]
        assert crumbs[-1][0].startswith(title)
