"""Sign-in limits that work behind the proxy and cannot be turned against a member
(issue 8, point 10)."""

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import pytest

from community.adapter import AccountAdapter
from tests.factories import UserFactory
from tests.helpers import settings_values

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _attempt(user, password, *, remote="203.0.113.9", forwarded=None):
    client = Client(REMOTE_ADDR=remote)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    response = client.post(URL, {"login": user.email, "password": password}, **headers)
    signed_in = client.session.get("_auth_user_id") == str(user.pk)
    refused = response.status_code == 200 and (
        "too_many_login_attempts"
        in {e.code for e in response.context["form"].non_field_errors().as_data()}
    )
    return signed_in, refused


def _per_key_limit(settings):
    return int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")[1].split("/")[0])


def test_url_is_the_sign_in_page():
    assert reverse("account_login") == URL


def test_wrong_passwords_elsewhere_do_not_lock_the_owner_out(settings):
    owner = UserFactory()
    for n in range(_per_key_limit(settings) + 3):
        _signed_in, _refused = _attempt(owner, f"wrong password {n}", remote="198.51.100.7")
    # The attacker's own address is paused, even with the right password ...
    signed_in, refused = _attempt(owner, PASSWORD, remote="198.51.100.7")
    assert (signed_in, refused) == (False, True)
    # ... but the owner, somewhere else, signs in.
    signed_in, refused = _attempt(owner, PASSWORD, remote="192.0.2.44")
    assert (signed_in, refused) == (True, False)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    owner = UserFactory()
    # An attacker who rotates X-Forwarded-For gains nothing: REMOTE_ADDR counts.
    for n in range(_per_key_limit(settings)):
        _attempt(owner, f"wrong {n}", remote="198.51.100.7", forwarded=f"10.0.0.{n}")
    signed_in, refused = _attempt(owner, PASSWORD, remote="198.51.100.7", forwarded="10.9.9.9")
    assert (signed_in, refused) == (False, True)


def test_behind_one_proxy_each_client_has_its_own_counter(settings):
    """Every request reaches the app from the proxy's address; the proxy appends the client's
    address to X-Forwarded-For. Counting REMOTE_ADDR would give all members one counter."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "172.18.0.2"
    owner = UserFactory()
    for n in range(_per_key_limit(settings) + 1):
        # A client-written first entry is not trusted: only the proxy's (the last) counts.
        _attempt(owner, f"wrong {n}", remote=proxy, forwarded=f"10.0.0.{n}, 198.51.100.7")
    signed_in, refused = _attempt(owner, PASSWORD, remote=proxy, forwarded="198.51.100.7")
    assert (signed_in, refused) == (False, True)
    signed_in, refused = _attempt(owner, PASSWORD, remote=proxy, forwarded="192.0.2.44")
    assert (signed_in, refused) == (True, False)


def test_the_per_address_limit_still_holds_across_accounts(settings):
    # Spraying one password over many accounts from one address hits the per-IP limit.
    per_ip = int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")[0].split("/")[0])
    users = [UserFactory() for _ in range(per_ip + 1)]
    results = [_attempt(user, "Spring2026!", remote="198.51.100.7") for user in users]
    assert results[-1] == (False, True)
    assert all(result == (False, False) for result in results[:per_ip])


def test_the_overridden_allauth_method_is_still_called(rf, settings):
    # The key method is private to allauth: if allauth stops calling it, the owner-lockout
    # test above fails; this one names why.
    request = rf.post(URL, REMOTE_ADDR="192.0.2.1")
    key = AccountAdapter(request)._get_login_attempts_cache_key(request, email="A@Example.org")
    assert key.endswith(":a@example.org:192.0.2.1")


def test_production_reads_the_proxy_count_from_the_environment():
    values = settings_values(
        "ALLAUTH_TRUSTED_PROXY_COUNT",
        DJANGO_SETTINGS_MODULE="community.settings.base",
        DJANGO_TRUSTED_PROXY_COUNT="2",
    )
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 2
