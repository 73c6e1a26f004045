"""allauth pages render inside the site's layout, with labelled fields allauth's names intact."""

import pytest

from tests.helpers import assert_site_page, get_warm, parse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "field_names"),
    [
        ("/accounts/login/", {"login", "password"}),
        ("/accounts/signup/", {"email", "password1", "password2"}),
        ("/accounts/password/reset/", {"email"}),
    ],
)
def test_entrance_pages_extend_our_layout(client, home_page, url, field_names):
    soup = assert_site_page(parse(get_warm(client, url, 10)))
    form = soup.find("main").find("form", method="post")
    names = {i.get("name") for i in form.find_all("input")}
    assert field_names <= names
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    assert form.find("button", type="submit") is not None


def test_signup_errors_are_tied_to_their_field(client, home_page):
    response = client.post(
        "/accounts/signup/",
        {"email": "not-an-email", "password1": "x", "password2": "y"},
    )
    soup = assert_site_page(parse(response))
    email = soup.find("input", attrs={"name": "email"})
    assert email["aria-invalid"] == "true"
    described = email["aria-describedby"].split()
    error_id = f"{email['id']}_error"
    assert error_id in described
    assert soup.find(id=error_id).get_text(strip=True)
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.exists()


def test_login_failure_shows_an_alert_without_revealing_accounts(client, home_page):
    response = client.post(
        "/accounts/login/", {"login": "nobody@example.org", "password": "wrong password"}
    )
    soup = assert_site_page(parse(response))
    alert = soup.find(class_="form-errors")
    assert alert is not None and alert.get("role") == "alert"
    assert alert.get_text(strip=True)


# allauth's own reauthentication view repeats its MFA look-ups; the limit is its, not ours.
@pytest.mark.parametrize(
    ("url", "limit"),
    [("/accounts/2fa/", 16), ("/accounts/sessions/", 16), ("/accounts/2fa/totp/activate/", 22)],
)
def test_security_pages_for_a_member_extend_our_layout(client_for, member, home_page, url, limit):
    client = client_for(member)
    response = client.get(url)
    if response.status_code == 302:  # activation first asks the member to confirm their password
        assert "reauthenticate" in response["Location"]
        response = get_warm(client, response["Location"], limit)
    else:
        response = get_warm(client, url, limit)
    soup = assert_site_page(parse(response))
    assert soup.find("nav", attrs={"aria-label": "Account"}).find("form") is not None
