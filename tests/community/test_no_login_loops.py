"""A signed-in person is never sent round the sign-in page: every ``next`` ends on a page.

Reproduced before the fix: a member opening /admin/ bounced /admin/ ⇄ /accounts/login/ until
the browser gave up. Now the admin answers non-staff with a 403 page in the site's layout, and
anything else that would send a signed-in person to sign in answers 404 (the policy's answer).
"""

from urllib.parse import urlencode, urlparse

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from wagtail.models import PageViewRestriction

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from bs4 import BeautifulSoup

from community import access
from home.models import StandardPage
from tests.helpers import site_home, with_mfa

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NO_ADMIN = "Your account has no access to the admin"
ADMIN_NEXTS = ["/admin/", "/admin/pages/", "/admin/membership-vetting/", "/admin/login/"]
# (fixture, with MFA)
ROLES = [
    ("pending", False),
    ("member", False),
    ("le_member", False),
    ("expert", False),
    ("moderator", False),
    ("moderator", True),
    ("editor", False),
    ("editor", True),
    ("admin_user", True),
]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def restricted_page(db):
    """A page Wagtail itself restricts to the Editors group (editors may set this)."""
    home = site_home(slug="sample-home")
    page = home.add_child(instance=StandardPage(title="Sample staff notes", slug="staff-notes"))
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([Group.objects.get(name=access.GROUP_EDITORS)])
    return page


def _visited(response):
    return [url for url, _status in response.redirect_chain]


def assert_no_cycle(response):
    chain = _visited(response)
    final = response.request["PATH_INFO"] + (
        "?" + response.request["QUERY_STRING"] if response.request.get("QUERY_STRING") else ""
    )
    stops = [
        urlparse(url).path + ("?" + urlparse(url).query if urlparse(url).query else "")
        for url in chain
    ]
    assert len(stops) == len(set(stops)), stops
    assert response.status_code in (200, 403, 404), (response.status_code, stops)
    # The last page is not the sign-in form: a signed-in person is never asked to sign in.
    assert urlparse(final).path != reverse("account_login") or response.status_code != 200
    return stops


def _code(secret):
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def sign_in(user, mfa, next_url):
    """Sign in through the real forms with ``next`` and follow every redirect."""
    client = Client()
    secret = with_mfa(user) if mfa else None
    response = client.post(
        reverse("account_login") + "?" + urlencode({"next": next_url}),
        {"login": user.email, "password": PASSWORD, "next": next_url},
        follow=not mfa,
    )
    if mfa:
        assert urlparse(response["Location"]).path == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)}, follow=True)
    assert client.session.get("_auth_user_id") == str(user.pk)
    return client, response


def h1(response):
    return BeautifulSoup(response.content, "html5lib").find("h1").get_text(" ", strip=True)


@pytest.mark.parametrize(("fixture", "mfa"), ROLES)
@pytest.mark.parametrize("next_url", ADMIN_NEXTS)
def test_sign_in_with_an_admin_next_ends_on_a_page(request, fixture, mfa, next_url):
    user = request.getfixturevalue(fixture)
    client, response = sign_in(user, mfa, next_url)
    assert_no_cycle(response)
    if not access.can(user, "access_admin"):
        assert response.status_code == 403
        assert h1(response) == NO_ADMIN
        # The page is in the site's layout and offers a way on.
        soup = BeautifulSoup(response.content, "html5lib")
        assert soup.find("header", class_="site-header") is not None
        assert soup.find("main").find("a", href=reverse("my_account")) is not None
    elif not mfa:
        # Staff without an authenticator are sent to set one up, not round the login page.
        assert response.request["PATH_INFO"] in (
            reverse("mfa_activate_totp"),
            reverse("account_reauthenticate"),
        )
    else:
        assert response.status_code == 200
        assert response.request["PATH_INFO"].startswith("/admin/")
    # Opening the admin again later says the same, in one step.
    again = client.get("/admin/")
    assert again.status_code in (200, 302, 403)
    if again.status_code == 302:
        assert urlparse(again["Location"]).path != reverse("account_login")


@pytest.mark.parametrize(("fixture", "mfa"), ROLES)
def test_sign_in_with_a_restricted_page_as_next_ends_on_a_page(
    request, restricted_page, fixture, mfa
):
    user = request.getfixturevalue(fixture)
    _client, response = sign_in(user, mfa, restricted_page.url)
    stops = assert_no_cycle(response)
    # Wagtail lets the group and superusers in.
    if user.is_superuser or user.groups.filter(name=access.GROUP_EDITORS).exists():
        assert response.status_code == 200
        assert h1(response) == "Sample staff notes"
    else:
        # Forbidden answers like missing, as everywhere else in the policy.
        assert response.status_code == 404
        assert stops[-1] == restricted_page.url


@pytest.mark.parametrize(("fixture", "mfa"), ROLES)
@pytest.mark.parametrize("next_url", ["/membership/", "/me/", "/me/preferences/", "/no-such-page/"])
def test_sign_in_with_an_ordinary_next_lands_there(request, fixture, mfa, next_url):
    request.getfixturevalue("restricted_page")  # a site root for the 404 page's layout
    user = request.getfixturevalue(fixture)
    _client, response = sign_in(user, mfa, next_url)
    assert_no_cycle(response)
    assert response.request["PATH_INFO"] == next_url
    assert response.status_code == (404 if next_url == "/no-such-page/" else 200)


@pytest.mark.parametrize("fixture", ["member", "moderator"])
def test_an_already_signed_in_person_sent_to_login_for_the_admin_gets_the_page(
    request, client_for, fixture
):
    client = client_for(request.getfixturevalue(fixture), mfa=True)
    response = client.get(
        reverse("account_login") + "?" + urlencode({"next": "/admin/"}), follow=True
    )
    assert_no_cycle(response)
    assert response.status_code == 403
    assert h1(response) == NO_ADMIN


def test_the_admin_answers_anonymous_visitors_with_the_sign_in_page(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("account_login")
