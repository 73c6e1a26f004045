"""Accounts through allauth: email login, mandatory verification, refusals, rate limits."""

import re
from email import message_from_bytes
from email.policy import default as default_policy
from urllib.parse import urlparse

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress

from community.models import Membership, OutboundEmail
from tests.factories import UserFactory, make_member

User = get_user_model()
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a sample passphrase 42"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    # The cache is the shared database cache: rate-limit counters outlive a test otherwise.
    cache.clear()
    yield
    cache.clear()


def _counts():
    return (
        User.objects.count(),
        EmailAddress.objects.count(),
        Membership.objects.count(),
        OutboundEmail.objects.count(),
    )


def _parse(mail):
    """The sent message as the recipient's mail client sees it."""
    return message_from_bytes(mail.message().as_bytes(), policy=default_policy)


def _text_body(parsed) -> str:
    return parsed.get_body(preferencelist=("plain",)).get_content()


def _links(parsed) -> list[str]:
    return re.findall(r"https?://[^\s<>\"']+", _text_body(parsed))


def _signup(client, email, password1=NEW_PASSWORD, password2=None, capture=None):
    data = {"email": email, "password1": password1, "password2": password2 or password1}
    if capture is None:
        return client.post(reverse("account_signup"), data)
    with capture(execute=True):
        return client.post(reverse("account_signup"), data)


def _logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def _form_error_codes(response, field=None):
    form = response.context["form"]
    data = form.errors.as_data()
    errors = data.get(field or "__all__", [])
    return {e.code for e in errors}, form


# --- Sign-up and verification -------------------------------------------------------------


def test_signup_verify_then_login(client, mailoutbox, django_capture_on_commit_callbacks):
    email = "new.applicant@example.org"
    response = _signup(client, email, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email=email)
    address = EmailAddress.objects.get(user=user)
    assert address.email == email
    assert not address.verified
    assert _logged_in_user_id(client) is None
    # Signing up creates the membership record, pending and not yet applied.
    assert user.membership.status == Membership.Status.PENDING
    assert user.membership.applied_at is None

    # Exactly one message, sent through the recorded outbound queue.
    assert len(mailoutbox) == 1
    record = OutboundEmail.objects.get()
    assert record.to == [email]
    assert record.status == OutboundEmail.Status.SENT
    parsed = _parse(mailoutbox[0])
    assert parsed["To"] == email
    assert parsed["Subject"]
    confirm_prefix = reverse("account_confirm_email", args=["KEY"]).replace("KEY/", "")
    links = [link for link in _links(parsed) if confirm_prefix in link]
    assert len(links) == 1
    confirm_path = urlparse(links[0]).path

    # Logging in before confirming does not sign in.
    response = client.post(reverse("account_login"), {"login": email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert _logged_in_user_id(client) is None

    # GET only shows the confirmation page; the POST confirms.
    response = client.get(confirm_path)
    assert response.status_code == 200
    address.refresh_from_db()
    assert not address.verified
    response = client.post(confirm_path)
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified
    # Confirming in the browser that tried to sign in signs the person in
    # (LOGIN_ON_EMAIL_CONFIRMATION) and lands on their dashboard, which offers to apply.
    assert _logged_in_user_id(client) == str(user.pk)
    assert response["Location"] == reverse("my_account")


def test_confirming_right_after_sign_up_signs_in_and_opens_the_application(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    email = "straight.through@example.org"
    _signup(client, email, capture=django_capture_on_commit_callbacks)
    confirm_prefix = reverse("account_confirm_email", args=["KEY"]).replace("KEY/", "")
    link = next(link for link in _links(_parse(mailoutbox[0])) if confirm_prefix in link)
    response = client.post(urlparse(link).path, follow=True)
    assert _logged_in_user_id(client) == str(User.objects.get(email=email).pk)
    assert response.request["PATH_INFO"] == reverse("membership")
    assert response.status_code == 200
    assert response.context["form"] is not None


def test_confirming_in_another_browser_says_to_sign_in(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    email = "other.browser@example.org"
    _signup(client, email, capture=django_capture_on_commit_callbacks)
    parsed = _parse(mailoutbox[0])
    confirm_prefix = reverse("account_confirm_email", args=["KEY"]).replace("KEY/", "")
    confirm_path = urlparse(next(link for link in _links(parsed) if confirm_prefix in link)).path

    other = Client()
    response = other.post(confirm_path, follow=True)
    assert EmailAddress.objects.get(email=email).verified
    assert _logged_in_user_id(other) is None
    # It lands on the sign-in form with a message saying the address is confirmed.
    assert response.request["PATH_INFO"] == reverse("account_login")
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [f"Your email address {email} is confirmed."]
    response = other.post(reverse("account_login"), {"login": email, "password": NEW_PASSWORD})
    assert response["Location"] == reverse("my_account")
    assert _logged_in_user_id(other) == str(User.objects.get(email=email).pk)


def test_confirmation_link_with_a_bad_key_confirms_nothing(client):
    user = UserFactory(verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = client.post(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert response.status_code in (200, 302, 404)
    assert not EmailAddress.objects.get(user=user).verified


def test_signup_with_a_known_email_looks_like_success(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    known = UserFactory()
    before = _counts()
    response = _signup(client, known.email, capture=django_capture_on_commit_callbacks)
    success = _signup(
        Client(), "someone.else@example.org", capture=django_capture_on_commit_callbacks
    )

    # No enumeration: the same redirect as a real sign-up.
    assert response.status_code == success.status_code == 302
    assert response["Location"] == success["Location"]
    users, addresses, memberships, _ = _counts()
    assert (users, addresses, memberships) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert User.objects.filter(email__iexact=known.email).count() == 1
    assert _logged_in_user_id(client) is None
    # The holder of the known address is told someone tried, instead of a new link.
    to_known = [m for m in mailoutbox if m.to == [known.email]]
    assert len(to_known) == 1
    body = _text_body(_parse(to_known[0]))
    assert reverse("account_confirm_email", args=["KEY"]).replace("KEY/", "") not in body


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (
            {"email": "not-an-email", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
            "email",
            "invalid",
        ),
        ({"email": "", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, "email", "required"),
        (
            {"email": "a@example.org", "password1": NEW_PASSWORD, "password2": "something else 9"},
            "password2",
            None,
        ),
        (
            {"email": "a@example.org", "password1": "Short1!", "password2": "Short1!"},
            "password1",
            "password_too_short",
        ),
        (
            {"email": "a@example.org", "password1": "password123", "password2": "password123"},
            "password1",
            "password_too_common",
        ),
    ],
)
def test_signup_refuses_bad_input_and_writes_nothing(client, mailoutbox, data, field, code):
    before = _counts()
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    if code:
        assert code in {e.code for e in form.errors.as_data()[field]}
    assert _counts() == before
    assert mailoutbox == []


def test_signup_without_csrf_token_is_refused(mailoutbox):
    client = Client(enforce_csrf_checks=True)
    before = _counts()
    response = client.post(
        reverse("account_signup"),
        {"email": "csrf@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert _counts() == before
    assert mailoutbox == []


def test_login_without_csrf_token_is_refused():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert _logged_in_user_id(client) is None


# --- Login --------------------------------------------------------------------------------


def test_login_without_next_lands_on_the_account_dashboard(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("my_account")
    assert _logged_in_user_id(client) == str(user.pk)


def test_login_with_a_wrong_password_is_refused(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "wrong password 1"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _logged_in_user_id(client) is None


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/path", "http://evil.example"]
)
def test_login_next_off_site_is_ignored(client, target):
    user = UserFactory()
    response = client.post(
        reverse("account_login") + "?next=" + target,
        {"login": user.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.netloc in ("", "testserver")
    assert "evil.example" not in response["Location"]
    assert _logged_in_user_id(client) == str(user.pk)


def test_login_next_local_is_followed(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": "/healthz"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/healthz"


def test_inactive_account_cannot_log_in(client):
    user = UserFactory(is_active=False)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert _logged_in_user_id(client) is None


def test_failed_logins_are_rate_limited_per_address(client, settings):
    user = UserFactory()
    limit = int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")[1].split("/")[0])
    url = reverse("account_login")
    for _ in range(limit):
        response = client.post(url, {"login": user.email, "password": "wrong password 1"})
        assert response.status_code == 200
        codes, _form = _form_error_codes(response)
        assert "too_many_login_attempts" not in codes
    # Past the limit even the right password is refused for this address.
    response = client.post(url, {"login": user.email, "password": PASSWORD})
    # allauth refuses in the form (adapter.pre_authenticate), not with a bare 429.
    assert response.status_code == 200
    codes, _form = _form_error_codes(response)
    assert "too_many_login_attempts" in codes
    assert _logged_in_user_id(client) is None

    # Another address is not locked out by these failures.
    other = UserFactory()
    response = client.post(url, {"login": other.email, "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(other.pk)


# --- Password reset -----------------------------------------------------------------------


def test_password_reset_answers_the_same_for_unknown_and_known_addresses(
    mailoutbox, django_capture_on_commit_callbacks
):
    known = UserFactory()
    url = reverse("account_reset_password")
    with django_capture_on_commit_callbacks(execute=True):
        known_response = Client().post(url, {"email": known.email})
    with django_capture_on_commit_callbacks(execute=True):
        unknown_response = Client().post(url, {"email": "nobody.here@example.org"})
    assert known_response.status_code == unknown_response.status_code == 302
    assert known_response["Location"] == unknown_response["Location"]
    assert known_response["Location"] == reverse("account_reset_password_done")
    # Only the known account gets a reset link.
    reset_prefix = "/accounts/password/reset/key/"
    to_known = [m for m in mailoutbox if m.to == [known.email]]
    to_unknown = [m for m in mailoutbox if m.to == ["nobody.here@example.org"]]
    assert len(to_known) == 1
    assert any(reset_prefix in link for link in _links(_parse(to_known[0])))
    for mail in to_unknown:
        assert not any(reset_prefix in link for link in _links(_parse(mail)))
    assert not User.objects.filter(email="nobody.here@example.org").exists()


# --- Membership application ---------------------------------------------------------------

VALID_APPLICATION = {
    "full_name": "Sample Applicant",
    "kind": Membership.Kind.LAW_ENFORCEMENT,
    "organisation": "Sample National Police",
    "organisation_type": Membership.OrganisationType.POLICE,
    "country": "FR",
    "position": "Sample Analyst",
    "motivation": "Sample motivation.",
}


def _membership_state(user):
    m = Membership.objects.get(user=user)
    return (
        m.status,
        m.applied_at,
        m.full_name,
        m.organisation,
        m.country.code if m.country else "",
        m.motivation,
        m.kind,
        m.updated_at,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"organisation": "x" * 5000}, "organisation"),
        ({"motivation": "y" * 2001}, "motivation"),
        ({"full_name": "z" * 151}, "full_name"),
        ({"kind": "astronaut"}, "kind"),
        ({"organisation_type": "secret"}, "organisation_type"),
        ({"full_name": ""}, "full_name"),
        ({"organisation": ""}, "organisation"),
        ({"organisation_type": ""}, "organisation_type"),
        ({"country": ""}, "country"),
        ({"position": ""}, "position"),
        ({"kind": ""}, "kind"),
    ],
)
def test_application_refuses_bad_input_and_writes_nothing(
    client_for, pending, mailoutbox, changes, field
):
    client = client_for(pending)
    before_state, before_counts = _membership_state(pending), _counts()
    response = client.post(reverse("membership"), {**VALID_APPLICATION, **changes})
    assert response.status_code == 200
    form = response.context["form"]
    assert form is not None
    assert field in form.errors
    assert _membership_state(pending) == before_state
    assert _counts() == before_counts
    assert mailoutbox == []


def test_application_with_no_fields_lists_every_required_field(client_for, pending):
    before = _membership_state(pending)
    response = client_for(pending).post(reverse("membership"), {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in ("full_name", "kind", "organisation", "organisation_type", "country", "position"):
        assert field in errors
    assert "motivation" not in errors
    assert _membership_state(pending) == before


def test_valid_application_is_pending_with_applied_at(
    client_for, pending, django_capture_on_commit_callbacks
):
    client = client_for(pending)
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("membership"), VALID_APPLICATION)
    assert response.status_code == 302
    assert response["Location"] == reverse("membership")
    membership = Membership.objects.get(user=pending)
    assert membership.status == Membership.Status.PENDING
    assert membership.applied_at is not None and membership.applied_at >= started
    assert membership.organisation == "Sample National Police"
    assert membership.country.code == "FR"
    assert membership.kind == Membership.Kind.LAW_ENFORCEMENT
    assert membership.verified_at is None
    assert not pending.groups.exists()


def test_verified_member_gets_no_form_and_cannot_reapply(client_for, member):
    client = client_for(member)
    response = client.get(reverse("membership"))
    assert response.status_code == 200
    assert response.context["form"] is None
    before = _membership_state(member)
    response = client.post(reverse("membership"), {**VALID_APPLICATION, "organisation": "Other"})
    assert response.status_code == 302
    assert _membership_state(member) == before


@pytest.mark.parametrize("status", [Membership.Status.REJECTED, Membership.Status.SUSPENDED])
def test_rejected_or_suspended_cannot_apply(client_for, mailoutbox, status):
    user = make_member(status=status)
    client = client_for(user)
    response = client.get(reverse("membership"))
    assert response.status_code == 200
    assert response.context["form"] is None
    before_state, before_counts = _membership_state(user), _counts()
    response = client.post(reverse("membership"), VALID_APPLICATION)
    assert response.status_code == 302
    assert _membership_state(user) == before_state
    assert _counts() == before_counts
    assert not user.groups.exists()
    assert mailoutbox == []


def test_application_without_csrf_token_is_refused(pending):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pending)
    before = _membership_state(pending)
    response = client.post(reverse("membership"), VALID_APPLICATION)
    assert response.status_code == 403
    assert _membership_state(pending) == before


def test_membership_page_refuses_other_methods(client_for, pending):
    assert client_for(pending).put(reverse("membership")).status_code == 405
