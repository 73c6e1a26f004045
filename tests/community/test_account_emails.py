"""Account and MFA emails in the product's words: branded, text and HTML, links that work.

Before: allauth's defaults said "Hello from 127.0.0.1:8201!" and "user new.applicant has given
your email address…", naming a username the person never chose.
"""

import re
from email import message_from_bytes
from email.policy import default as default_policy
from urllib.parse import urlparse

from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from bs4 import BeautifulSoup

from community import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
MESSAGES = [
    "account/email/email_confirmation_signup",
    "account/email/email_confirmation",
    "account/email/account_already_exists",
    "account/email/unknown_account",
    "account/email/password_reset_key",
    "account/email/password_reset_code",
    "account/email/login_code",
]
NOTIFICATIONS = [
    "account/email/email_changed",
    "account/email/email_confirm",
    "account/email/email_deleted",
    "account/email/password_changed",
    "account/email/password_reset",
    "account/email/password_set",
    "mfa/email/recovery_codes_generated",
    "mfa/email/totp_activated",
    "mfa/email/totp_deactivated",
]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def parse(mail):
    return message_from_bytes(mail.message().as_bytes(), policy=default_policy)


def parts(parsed):
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    return text, html


def text_links(text):
    return re.findall(r"https?://[^\s<>\"']+", text)


def html_links(html):
    soup = BeautifulSoup(html, "html5lib")
    return [a["href"] for a in soup.find_all("a", href=True)]


def assert_branded(parsed, *, username, name=None):
    text, html = parts(parsed)
    assert parsed["Subject"].startswith("[Responsible AI Lab] ")
    for body in (text, html, parsed["Subject"]):
        assert "Hello from" not in body
        assert "testserver" not in body.split("http://testserver")[0]  # no host as a name
        assert username not in body.replace(f"{username}@", "")
    assert text.startswith(f"Hello {name}," if name else "Hello,")
    soup = BeautifulSoup(html, "html5lib")
    assert soup.find("html").get("lang") == "en"
    greeting = soup.find("p").get_text(strip=True)
    assert greeting == (f"Hello {name}," if name else "Hello,")
    assert "The Responsible AI Lab team" in text
    assert "The Responsible AI Lab team" in soup.get_text(" ", strip=True)
    # The same links in both parts: nothing only one kind of mail client can reach.
    assert set(text_links(text)) == set(html_links(html))
    return text, html


def send(template_prefix, user, context, capture):
    request = RequestFactory().get("/", HTTP_USER_AGENT=CHROME_ON_WINDOWS)
    request.user = user
    with allauth_context.request_context(request), capture(execute=True):
        adapter = get_adapter(request)
        if template_prefix in NOTIFICATIONS:
            adapter.send_notification_mail(template_prefix, user, context)
        else:
            adapter.send_mail(template_prefix, user.email, {"user": user, **context})


def fetch_all(links, client=None):
    """Open every link as the recipient would: each ends on a page (200), the sign-in page
    included for private ones, after at most the redirects the site itself makes."""
    client = client or Client()
    assert links
    for link in links:
        url = urlparse(link)
        response = client.get(url.path + (f"?{url.query}" if url.query else ""), follow=True)
        assert response.status_code == 200, (link, response.status_code)
        assert len(response.redirect_chain) <= 1, (link, response.redirect_chain)


@pytest.mark.parametrize("template_prefix", MESSAGES + NOTIFICATIONS)
def test_every_account_email_is_branded_with_text_and_html(
    template_prefix, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory()
    membership = services.membership_for(user)
    membership.full_name = "Sample Person"
    membership.save()
    user.refresh_from_db()
    user = type(user).objects.get(pk=user.pk)  # drop the membership cached at creation
    context = {
        "activate_url": "http://testserver" + reverse("account_login"),
        "password_reset_url": "http://testserver" + reverse("account_reset_password"),
        "signup_url": "http://testserver" + reverse("account_signup"),
        "code": "ABC123",
        "email": user.email,
        "from_email": "old@example.org",
        "to_email": user.email,
        "deleted_email": "old@example.org",
    }
    send(template_prefix, user, context, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    parsed = parse(mailoutbox[0])
    text, _html = assert_branded(parsed, username=user.username, name="Sample Person")
    if template_prefix in NOTIFICATIONS:
        # The device in words, not the raw header.
        assert "Chrome on Windows" in text
        assert "AppleWebKit" not in text
    fetch_all(text_links(text))


def test_sign_up_email_names_no_username_and_its_links_work(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    email = "new.applicant@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "email": email,
                "password1": "a sample passphrase 42",
                "password2": "a sample passphrase 42",
            },
        )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email=email)
    # The username is the address, not one made up from it.
    assert user.username == email
    parsed = parse(mailoutbox[0])
    text, html = assert_branded(parsed, username="new.applicant", name=None)
    assert "Confirm your address" in text
    links = text_links(text)
    assert any("/accounts/confirm-email/" in link for link in links)
    # The confirmation link opens the confirmation page; the site link opens the home page.
    fetch_all(links, client)


def test_password_reset_and_already_exists_emails_have_working_links(
    mailoutbox, django_capture_on_commit_callbacks
):
    known = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("account_reset_password"), {"email": known.email})
        Client().post(reverse("account_reset_password"), {"email": "nobody.here@example.org"})
        Client().post(
            reverse("account_signup"),
            {
                "email": known.email,
                "password1": "a sample passphrase 42",
                "password2": "a sample passphrase 42",
            },
        )
    assert len(mailoutbox) == 3
    for mail in mailoutbox:
        parsed = parse(mail)
        text, _html = assert_branded(parsed, username=known.username.split("@")[0], name=None)
        fetch_all(text_links(text))


def test_changing_the_password_sends_a_notification_naming_the_device(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client = Client(HTTP_USER_AGENT=CHROME_ON_WINDOWS)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_change_password"),
            {
                "oldpassword": PASSWORD,
                "password1": "another sample phrase 7",
                "password2": "another sample phrase 7",
            },
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    text, _html = assert_branded(parse(mailoutbox[0]), username=user.username.split("@")[0])
    assert "Your password was changed." in text
    assert "Chrome on Windows" in text
    fetch_all(text_links(text))
