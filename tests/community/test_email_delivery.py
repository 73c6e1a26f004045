"""Outbound email: recorded once, sent after commit, retried with backoff, sent at most once."""

import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import pytest

from community import emails
from community.models import OutboundEmail
from tests.factories import make_member

pytestmark = pytest.mark.django_db

FLAKY = {"BACKEND": "tests.community.test_email_delivery.FlakyBackend"}


class FlakyBackend(BaseEmailBackend):
    """Fails ``failures`` times, then delivers into ``mail.outbox`` like locmem."""

    failures = 0
    delay = 0.0
    lock = threading.Lock()

    def __init__(self, *args, alias=None, **kwargs):
        super().__init__(*args, alias=alias, **kwargs)

    def send_messages(self, messages):
        with FlakyBackend.lock:
            if FlakyBackend.failures > 0:
                FlakyBackend.failures -= 1
                raise ConnectionError("Sample provider outage")
        if FlakyBackend.delay:
            time.sleep(FlakyBackend.delay)  # widen the window a second sender could use
        with FlakyBackend.lock:
            mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.MAILERS = {"default": FLAKY}
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    settings.EMAIL_RETRY_MAX_SECONDS = 4 * 3600
    settings.EMAIL_GIVE_UP_AFTER_SECONDS = 4 * 24 * 3600
    FlakyBackend.failures = 0
    FlakyBackend.delay = 0.0
    mail.outbox = []
    yield FlakyBackend
    FlakyBackend.failures = 0
    FlakyBackend.delay = 0.0


def queue(key="sample-message", **overrides):
    kwargs = {
        "key": key,
        "to": ["recipient@example.org"],
        "subject": "Sample subject",
        "body_text": "Sample body.",
    }
    kwargs.update(overrides)
    return emails.queue_message(**kwargs)


def parsed(message):
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def make_due(record):
    OutboundEmail.objects.filter(pk=record.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def run_command():
    out = StringIO()
    call_command("send_queued_emails", stdout=out)
    return out.getvalue()


def test_failed_send_is_retried_with_backoff_then_sent_once(
    flaky, django_capture_on_commit_callbacks
):
    flaky.failures = 2
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        record = queue()
    after = timezone.now()

    record.refresh_from_db()
    assert record.status == OutboundEmail.Status.RETRYING
    assert record.attempts == 1
    assert "ConnectionError: Sample provider outage" in record.last_error
    assert before + timedelta(seconds=60) <= record.next_attempt_at <= after + timedelta(seconds=60)
    assert mail.outbox == []

    # Not due yet: the command leaves it alone.
    assert "Tried 0 email(s)" in run_command()
    record.refresh_from_db()
    assert record.attempts == 1

    make_due(record)
    before = timezone.now()
    assert "0 sent, 1 waiting to retry" in run_command()
    record.refresh_from_db()
    assert record.attempts == 2
    # Exponential: the second wait is twice the first.
    assert record.next_attempt_at >= before + timedelta(seconds=120)
    assert record.next_attempt_at <= timezone.now() + timedelta(seconds=120)

    make_due(record)
    assert "1 sent, 0 waiting to retry, 0 failed" in run_command()
    record.refresh_from_db()
    assert record.status == OutboundEmail.Status.SENT
    assert record.attempts == 3
    assert record.sent_at is not None
    assert record.last_error == ""
    assert record.next_attempt_at is None
    assert len(mail.outbox) == 1
    message = parsed(mail.outbox[0])
    assert message["To"] == "recipient@example.org"
    assert message["Subject"] == "Sample subject"
    assert message.get_content().strip() == "Sample body."

    # Sent means done: neither the task nor the command sends it again.
    assert emails.deliver(record.pk) == OutboundEmail.Status.SENT
    assert "Tried 0 email(s)" in run_command()
    assert len(mail.outbox) == 1


def test_gives_up_when_the_next_try_would_fall_past_the_window(
    flaky, settings, django_capture_on_commit_callbacks
):
    # Tries at 0, +1 min, +2 min; the next (+4 min) would fall past a 200-second window.
    settings.EMAIL_GIVE_UP_AFTER_SECONDS = 200
    flaky.failures = 10
    with django_capture_on_commit_callbacks(execute=True):
        record = queue()
    for _ in range(2):
        make_due(record)
        run_command()
    record.refresh_from_db()
    assert record.status == OutboundEmail.Status.FAILED
    assert record.attempts == 3
    assert record.next_attempt_at is None
    assert "Sample provider outage" in record.last_error
    # A failed message is not tried again.
    assert emails.deliver(record.pk) == OutboundEmail.Status.FAILED
    assert "Tried 0 email(s)" in run_command()
    record.refresh_from_db()
    assert record.attempts == 3
    assert mail.outbox == []


def test_same_key_twice_records_and_sends_one_email(django_capture_on_commit_callbacks):
    user = make_member()
    membership = user.membership
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(2):
            emails.queue_email(
                key="sample-once",
                to=[user.email],
                template="community/email/membership_approved",
                context={"membership": membership},
            )
    assert len(callbacks) == 1
    assert OutboundEmail.objects.filter(key="sample-once").count() == 1
    assert len(mail.outbox) == 1
    message = parsed(mail.outbox[0])
    assert message["To"] == user.email
    assert "verified" in message["Subject"]
    assert membership.display_name in message.get_content()


def test_email_is_sent_only_after_commit(django_capture_on_commit_callbacks):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = queue()
    assert mail.outbox == []
    record.refresh_from_db()
    assert record.status == OutboundEmail.Status.QUEUED
    assert record.attempts == 0

    for callback in callbacks:
        callback()
    record.refresh_from_db()
    assert record.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1


def test_missing_record_is_reported_not_sent():
    mail.outbox = []
    assert emails.deliver("00000000-0000-0000-0000-000000000000") == "missing"
    assert mail.outbox == []


def race_two_deliveries(flaky, key):
    record = queue(key=key)  # no surrounding transaction: on_commit sends it at once
    assert len(mail.outbox) == 1
    mail.outbox = []
    OutboundEmail.objects.filter(pk=record.pk).update(
        status=OutboundEmail.Status.QUEUED, attempts=0, sent_at=None
    )
    flaky.delay = 0.3
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(emails.deliver(record.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record.refresh_from_db()
    return results, record


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_send_once(flaky):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    results, record = race_two_deliveries(flaky, "sample-race")
    # One claims and sends; the other finds it claimed ("sending") and leaves it.
    assert sorted(results) == [OutboundEmail.Status.SENDING, OutboundEmail.Status.SENT]
    assert len(mail.outbox) == 1
    assert record.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_race_is_real_without_the_row_lock(flaky, monkeypatch):
    """Control: a claim that reads, waits and then writes sends twice, so the test above
    can fail."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")

    def unsafe_claim(pk, now):
        record = OutboundEmail.objects.get(pk=pk)
        if record.status != OutboundEmail.Status.QUEUED:
            return None
        time.sleep(0.2)  # both senders read "queued" before either writes
        record.status = OutboundEmail.Status.SENDING
        record.save()
        return record

    monkeypatch.setattr(emails, "_claim", unsafe_claim)
    race_two_deliveries(flaky, "sample-race-control")
    assert len(mail.outbox) == 2
