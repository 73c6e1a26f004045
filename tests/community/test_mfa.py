"""MFA for privileged roles, the TOTP login flow, other sessions, reauthentication."""

from urllib.parse import urlparse

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

from tests.factories import UserFactory
from tests.helpers import with_mfa

PASSWORD = "correct horse battery staple"
ADMIN_URLS = ["/admin/", "/admin/pages/"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and used TOTP codes live in the shared database cache.
    cache.clear()
    yield
    cache.clear()


def _path(response):
    return urlparse(response["Location"]).path


def _current_code(secret):
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _wrong_code(secret):
    valid = {format_hotp_value(hotp_value(secret, c)) for c in yield_hotp_counters_from_time()}
    return next(code for code in ("000000", "111111", "123456", "999999") if code not in valid)


def _password_login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _user_id(client):
    return client.session.get("_auth_user_id")


# --- The MFA gate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "url"),
    [
        (fixture, url)
        for fixture in ("moderator", "editor", "admin_user")
        for url in ADMIN_URLS + ["/moderation/", "/django-admin/"]
        # A moderator has no admin to protect: /admin/ answers them "no access" (403).
        if not (fixture == "moderator" and url.startswith("/admin/"))
    ],
)
def test_privileged_without_mfa_are_sent_to_totp_activation(request, client_for, fixture, url):
    user = request.getfixturevalue(fixture)
    client = client_for(user, mfa=False)
    response = client.get(url)
    assert response.status_code == 302
    assert _path(response) == reverse("mfa_activate_totp")
    # POSTs are gated too: nothing reaches the admin behind the redirect.
    response = client.post(url, {})
    assert response.status_code == 302
    assert _path(response) == reverse("mfa_activate_totp")


@pytest.mark.parametrize("fixture", ["editor", "admin_user"])
def test_privileged_cannot_reach_the_admin_by_following_redirects(request, client_for, fixture):
    client = client_for(request.getfixturevalue(fixture), mfa=False)
    response = client.get("/admin/", follow=True)
    visited = [urlparse(url).path for url, _status in response.redirect_chain]
    assert visited[0] == reverse("mfa_activate_totp")
    assert not any(path.startswith("/admin/") for path in visited)
    assert not response.request["PATH_INFO"].startswith("/admin/")


@pytest.mark.parametrize("fixture", ["editor", "admin_user"])
def test_staff_with_totp_reach_the_admin(request, client_for, fixture):
    client = client_for(request.getfixturevalue(fixture), mfa=True)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("mfa", [False, True])
def test_moderators_are_told_they_have_no_admin_access(client_for, moderator, mfa):
    client = client_for(moderator, mfa=mfa)
    for url in ADMIN_URLS:
        response = client.get(url)
        # Moderators have no Wagtail access: a clear page, not MFA setup or a login loop.
        assert response.status_code == 403
        assert b"Your account has no access to the admin" in response.content


def test_removing_the_authenticator_closes_the_admin_again(client_for, editor):
    client = client_for(editor, mfa=True)
    assert client.get("/admin/").status_code == 200
    Authenticator.objects.filter(user=editor).delete()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert _path(response) == reverse("mfa_activate_totp")


@pytest.mark.parametrize("fixture", ["pending", "member", "le_member", "expert"])
def test_non_privileged_are_not_sent_to_mfa(request, client_for, fixture):
    client = client_for(request.getfixturevalue(fixture))
    response = client.get("/admin/")
    # Neither MFA setup nor the sign-in page (which sent them straight back: a loop).
    assert response.status_code == 403


@pytest.mark.parametrize("fixture", ["pending", "member"])
def test_non_privileged_are_not_gated_elsewhere(request, client_for, fixture):
    client = client_for(request.getfixturevalue(fixture))
    response = client.get(reverse("membership"))
    assert response.status_code == 200


def test_anonymous_is_sent_to_login_not_mfa(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert _path(response) == reverse("account_login")


@pytest.mark.parametrize("fixture", ["moderator", "editor", "admin_user"])
def test_privileged_without_mfa_are_sent_to_setup_at_sign_in(request, fixture):
    user = request.getfixturevalue(fixture)
    response = _password_login(Client(), user)
    assert response.status_code == 302
    assert _path(response) == reverse("mfa_activate_totp")


@pytest.mark.parametrize("fixture", ["pending", "member", "le_member", "expert"])
def test_members_sign_in_to_their_account_dashboard(request, fixture):
    user = request.getfixturevalue(fixture)
    response = _password_login(Client(), user)
    assert response.status_code == 302
    assert _path(response) == reverse("my_account")


# --- TOTP login ---------------------------------------------------------------------------


def test_totp_login_flow(editor):
    secret = with_mfa(editor)
    client = Client()
    response = _password_login(client, editor)
    assert response.status_code == 302
    assert _path(response) == reverse("mfa_authenticate")
    assert _path(response) == "/accounts/2fa/authenticate/"
    assert _user_id(client) is None  # the password alone does not sign in

    response = client.post(reverse("mfa_authenticate"), {"code": _wrong_code(secret)})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert _user_id(client) is None
    assert client.get("/admin/").status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code == 302
    assert _path(response) == reverse("my_account")
    assert _user_id(client) == str(editor.pk)
    assert client.get("/admin/").status_code == 200


def test_totp_code_cannot_be_replayed(editor):
    secret = with_mfa(editor)
    code = _current_code(secret)
    first = Client()
    _password_login(first, editor)
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert _user_id(first) == str(editor.pk)

    second = Client()
    _password_login(second, editor)
    response = second.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert _user_id(second) is None


def test_mfa_step_without_password_step_signs_nobody_in(client, editor):
    secret = with_mfa(editor)
    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code in (302, 404)
    assert _user_id(client) is None


# --- Other sessions -----------------------------------------------------------------------


def test_sign_out_other_sessions():
    user = UserFactory()
    first, second = Client(), Client()
    _password_login(first, user)
    _password_login(second, user)
    assert _user_id(first) == _user_id(second) == str(user.pk)

    listing = first.get(reverse("usersessions_list"))
    assert listing.status_code == 200
    assert listing.context["session_count"] == 2

    response = first.post(reverse("usersessions_list"), {})
    assert response.status_code == 302

    # The other session is gone; this one stays.
    response = second.get(reverse("membership"))
    assert response.status_code == 302
    assert _path(response) == reverse("account_login")
    assert first.get(reverse("membership")).status_code == 200
    assert first.get(reverse("usersessions_list")).context["session_count"] == 1


def test_sessions_page_needs_login(client):
    response = client.get(reverse("usersessions_list"))
    assert response.status_code == 302
    assert _path(response) == reverse("account_login")


# --- Reauthentication ---------------------------------------------------------------------


def test_totp_activation_asks_to_reauthenticate_after_the_window(settings, editor):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    client = Client()
    _password_login(client, editor)
    assert _user_id(client) == str(editor.pk)
    activate = reverse("mfa_activate_totp")

    response = client.post(
        reverse("account_reauthenticate") + f"?next={activate}", {"password": "wrong password 1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors

    response = client.post(
        reverse("account_reauthenticate") + f"?next={activate}", {"password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(activate).status_code == 200

    # The window has passed (a zero timeout stands in for waiting five minutes).
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    response = client.get(activate)
    assert response.status_code == 302
    assert _path(response) == reverse("account_reauthenticate")
    assert not Authenticator.objects.filter(user=editor).exists()


def test_adding_an_email_address_asks_to_reauthenticate(settings, member):
    from allauth.account.models import EmailAddress

    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    client = Client()
    _password_login(client, member)
    before = EmailAddress.objects.filter(user=member).count()
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "second.address@example.org"}
    )
    assert response.status_code == 302
    assert _path(response) == reverse("account_reauthenticate")
    assert EmailAddress.objects.filter(user=member).count() == before
