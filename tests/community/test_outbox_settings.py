"""Production mail settings carry timeouts, so a hung server cannot stall the queue."""

from tests.helpers import settings_values


def test_smtp_mailer_has_the_timeout():
    values = settings_values("MAILERS", EMAIL_PROVIDER="smtp", EMAIL_TIMEOUT_SECONDS="12")
    assert values["MAILERS"]["default"]["OPTIONS"]["timeout"] == 12


def test_anymail_provider_has_a_requests_timeout_unless_one_is_given():
    values = settings_values("ANYMAIL", EMAIL_PROVIDER="mailgun", ANYMAIL_MAILGUN_API_KEY="k")
    assert values["ANYMAIL"]["REQUESTS_TIMEOUT"] == 30
    values = settings_values(
        "ANYMAIL", EMAIL_PROVIDER="mailgun", ANYMAIL_REQUESTS_TIMEOUT="5", EMAIL_TIMEOUT_SECONDS="9"
    )
    assert values["ANYMAIL"]["REQUESTS_TIMEOUT"] == 5  # the operator's own value wins


def test_default_retry_window_spans_more_than_three_days():
    from django.conf import settings

    assert settings.EMAIL_GIVE_UP_AFTER_SECONDS > 3 * 24 * 3600
    assert settings.EMAIL_RETRY_MAX_SECONDS <= 6 * 3600
    assert settings.EMAIL_SEND_LEASE_SECONDS > 2 * settings.EMAIL_TIMEOUT_SECONDS
