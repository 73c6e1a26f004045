"""'Your account': one page to every account setting, the dashboard sign-in lands on."""

from urllib.parse import parse_qs, urlparse

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from wagtail import hooks

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from bs4 import BeautifulSoup

from community import accounts, user_agents
from community.models import Membership
from tests.factories import UserFactory, make_member
from tests.helpers import assert_headings_in_order, assert_site_page
from tests.queries import max_queries

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ACCOUNT = "/me/"
SIGNED_IN_ROLES = ["pending", "member", "le_member", "expert", "moderator", "editor", "admin"]
EXPECTED_LINKS = {
    "Membership": "/membership/",
    "Email addresses": "/accounts/email/",
    "Password": "/accounts/password/change/",
    "Two-step verification": "/accounts/2fa/",
    "Sessions": "/accounts/sessions/",
    "Time zone and language": "/me/preferences/",
}
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) FxiOS/129.0 Mobile/15E148 Safari/605.1.15"
)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def soup_of(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html5lib")


def account_links(soup):
    section = soup.find(id="account-manage-heading").find_parent("section")
    return {a.get_text(strip=True): a["href"] for a in section.select("li a")}


def test_anonymous_is_sent_to_sign_in_and_comes_back(client):
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [ACCOUNT]


@pytest.mark.parametrize("user_for_role", SIGNED_IN_ROLES, indirect=True)
def test_every_role_gets_one_page_linking_every_account_setting(user_for_role, client_for):
    _name, user = user_for_role
    client = client_for(user, mfa=user.is_superuser)
    client.get(ACCOUNT)
    # 16 for the page, 2 for the events section (the registrations, the viewer's zone).
    with max_queries(18):
        response = client.get(ACCOUNT)
    soup = assert_site_page(soup_of(response))
    assert_headings_in_order(soup)
    assert soup.find("h1").get_text(strip=True) == "Your account"
    links = account_links(soup)
    assert {label: links.get(label) for label in EXPECTED_LINKS} == EXPECTED_LINKS
    # Every link opens: a page, or the password check some security pages ask for first.
    for label, href in links.items():
        opened = client.get(href)
        if opened.status_code == 302:
            assert urlparse(opened["Location"]).path == reverse("account_reauthenticate"), label
        else:
            assert opened.status_code == 200, (label, opened.status_code)


def test_the_page_names_the_person_never_by_username(client_for):
    nameless = UserFactory()
    text = soup_of(client_for(nameless).get(ACCOUNT)).find("main").get_text(" ", strip=True)
    assert nameless.email in text
    assert nameless.username not in text.replace(nameless.email, "")

    named = make_member()
    text = soup_of(client_for(named).get(ACCOUNT)).find("main").get_text(" ", strip=True)
    assert named.membership.full_name in text


@pytest.mark.parametrize(
    ("build", "state", "badge", "action"),
    [
        (lambda: UserFactory(), "not_applied", "Not applied yet", "Apply for membership"),
        (
            lambda: make_member(status=Membership.Status.PENDING),
            "pending",
            "Pending review",
            None,
        ),
        (lambda: make_member(), "verified", "Verified", None),
        (
            lambda: make_member(status=Membership.Status.EXPIRED),
            "expired",
            "Expired",
            "Re-confirm your details",
        ),
    ],
)
def test_the_dashboard_says_the_membership_state_and_what_to_do(
    client_for, build, state, badge, action
):
    soup = soup_of(client_for(build()).get(ACCOUNT))
    card = soup.select_one("[data-membership-state]")
    assert card["data-membership-state"] == state
    assert card.select_one(".badge").get_text(strip=True) == badge
    buttons = [a.get_text(strip=True) for a in card.select("a.button")]
    assert buttons == ([action] if action else [])
    for a in card.select("a.button"):
        assert a["href"].startswith(reverse("membership"))


def test_feature_apps_add_sections_and_links_through_hooks(client_for, member):
    """The events app fills these (its upcoming registrations, its calendar link); community
    never imports it."""

    def upcoming(request):
        return {
            "title": "Sample upcoming",
            "template": "includes/section_list.html",
            "items": [{"title": f"Sample event for {request.user.email}", "url": "/sample/"}],
        }

    def nothing(request):
        return None

    def links(request):
        return [accounts.AccountLink("Sample calendar link", "/me/calendar/", "", 900)]

    with (
        hooks.register_temporarily("account_dashboard_sections", upcoming),
        hooks.register_temporarily("account_dashboard_sections", nothing),
        hooks.register_temporarily("account_links", links),
    ):
        soup = soup_of(client_for(member).get(ACCOUNT))
    section = soup.find(id="section-sample-upcoming").find_parent("section")
    assert section.find("a").get_text(strip=True) == f"Sample event for {member.email}"
    labels = list(account_links(soup))
    # Ordered by each link's order: the sample (900) after everything else, time zone (150)
    # before the events app's own links (160, 170).
    assert labels[-1] == "Sample calendar link"
    assert labels.index("Time zone and language") < labels.index("My events")


def test_sign_in_lands_on_next_else_on_the_dashboard(member):
    client = Client()
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response["Location"] == ACCOUNT
    client = Client()
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": PASSWORD, "next": "/me/preferences/"},
    )
    assert response["Location"] == "/me/preferences/"


# --- Sessions in words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (CHROME_ON_WINDOWS, "Chrome on Windows"),
        (FIREFOX_ON_IPHONE, "Firefox on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPad",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_user_agents_in_words(user_agent, words):
    assert user_agents.describe(user_agent) == words


def test_sessions_page_names_devices_in_words_not_raw_user_agents():
    user = UserFactory()
    laptop = Client(HTTP_USER_AGENT=CHROME_ON_WINDOWS)
    phone = Client(HTTP_USER_AGENT=FIREFOX_ON_IPHONE)
    for client in (laptop, phone):
        client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    soup = assert_site_page(soup_of(laptop.get(reverse("usersessions_list"))))
    devices = [span.get_text(strip=True) for span in soup.select("[data-device]")]
    assert sorted(devices) == ["Chrome on Windows", "Firefox on iPhone"]
    current = soup.select_one("tr[aria-current=true] [data-device]").get_text(strip=True)
    assert current == "Chrome on Windows"
    assert "AppleWebKit" not in soup.get_text()


# --- Two-step verification for privileged roles --------------------------------------------


def _code(secret):
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _activate(client):
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    return page, client.get(response["Location"])


def test_first_sign_in_of_an_editor_explains_then_continues_to_the_dashboard(editor):
    client = Client()
    response = client.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before any security change, even right after
    # signing in; the page says why before it asks.
    response = client.get(response["Location"])
    assert urlparse(response["Location"]).path == reverse("account_reauthenticate")
    soup = soup_of(client.get(response["Location"]))
    main = soup.find("main")
    assert soup.find("h1").get_text(strip=True) == "Set up two-step verification"
    explanation = main.find("p").get_text(" ", strip=True)
    assert explanation.startswith("Your role at the lab")
    assert main.find("p").find_next("form").find("input", attrs={"name": "password"})
    client.post(
        reverse("account_reauthenticate"),
        {"password": PASSWORD, "next": reverse("mfa_activate_totp")},
    )
    page, codes = _activate(client)
    intro = soup_of(page).find("main").get_text(" ", strip=True)
    assert "Your role at the lab requires two-step verification" in intro
    soup = soup_of(codes)
    assert soup.find("h1").get_text(strip=True) == "Recovery codes"
    assert soup.select_one("textarea#recovery_codes").get_text(strip=True)
    way_on = soup.select_one("a[data-continue]")
    assert way_on["href"] == ACCOUNT
    assert way_on.get_text(strip=True) == "Continue to your account"
    assert client.get(way_on["href"]).status_code == 200


# Transactional: allauth announces the new authenticator on commit, and that is what puts the
# role in force in this session (community.signals.second_factor_proven). An earlier
# transactional test's flush may have emptied the page tree, so the destination is the Events
# screen, which needs no page.
@pytest.mark.django_db(transaction=True)
def test_the_password_check_before_setup_says_why_and_the_way_on_is_where_they_were_going(
    client_for, editor
):
    client = client_for(editor, mfa=False)  # signed in a while ago: no recent password
    response = client.get("/admin/events/")
    assert urlparse(response["Location"]).path == reverse("mfa_activate_totp")
    response = client.get(response["Location"])
    assert urlparse(response["Location"]).path == reverse("account_reauthenticate")
    soup = soup_of(client.get(response["Location"]))
    assert soup.find("h1").get_text(strip=True) == "Set up two-step verification"
    assert "Your role at the lab" in soup.find("main").get_text(" ", strip=True)
    # The password form comes after the explanation.
    form = soup.find("main").find("form")
    assert form.find("input", attrs={"name": "password"}) is not None
    response = client.post(
        reverse("account_reauthenticate") + "?next=" + reverse("mfa_activate_totp"),
        {"password": PASSWORD, "next": reverse("mfa_activate_totp")},
    )
    assert urlparse(response["Location"]).path == reverse("mfa_activate_totp")
    _page, codes = _activate(client)
    way_on = soup_of(codes).select_one("a[data-continue]")
    assert way_on["href"] == "/admin/events/"
    assert way_on.get_text(strip=True) == "Continue to where you were going"
    assert client.get("/admin/events/").status_code == 200


def test_a_member_confirming_a_change_is_not_told_about_roles(client_for, member):
    client = client_for(member)
    response = client.get(reverse("account_reauthenticate"))
    soup = soup_of(response)
    assert soup.find("h1").get_text(strip=True) == "Confirm it is you"
    assert "Your role at the lab" not in soup.get_text()
