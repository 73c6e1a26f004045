"""The outbox against a real SMTP server that accepts, refuses, hangs and drops.

Time travels by passing ``now`` to the send batch, so a 48-hour outage runs in seconds.
"""

import time
from datetime import timedelta
from email import message_from_bytes, policy

from django.utils import timezone

import pytest

from community import emails
from community.models import OutboundEmail
from tests.community import smtp_fake

pytestmark = pytest.mark.django_db

# Fixtures shared with other folders, made available here by name.
smtp = smtp_fake.smtp

Status = OutboundEmail.Status


def queue(key, to="member@example.org"):
    # Queued without sending: the batches below decide when it goes out.
    return OutboundEmail.objects.create(
        key=key,
        to=[to],
        from_email="Lab <no-reply@lab.example.org>",
        subject=f"Subject {key}",
        body_text=f"Body of {key}.",
    )


def received(server):
    return [message_from_bytes(raw, policy=policy.default) for raw in server.messages]


def test_accepted_message_carries_the_rows_stable_message_id(smtp):
    record = queue("sample-accept")
    assert emails.deliver(record.pk) == Status.SENT
    [message] = received(smtp)
    expected = f"<{record.pk}@lab.example.org>"
    assert message["Message-ID"] == expected
    assert message["Subject"] == "Subject sample-accept"
    assert message.get_content().strip() == "Body of sample-accept."
    record.refresh_from_db()
    assert record.status == Status.SENT
    assert record.message_id == expected
    assert record.lease_until is None


def test_451_is_temporary_and_retried_later(smtp):
    smtp.mode = "451"
    record = queue("sample-451")
    now = timezone.now()
    assert emails.deliver(record.pk, now=now) == Status.RETRYING
    record.refresh_from_db()
    assert "451" in record.last_error
    assert record.next_attempt_at == now + timedelta(seconds=60)
    assert record.lease_until is None
    assert smtp.messages == []


@pytest.mark.parametrize("mode", ["550", "554-data"])
def test_permanent_refusal_fails_at_once_with_the_reason(smtp, mode):
    smtp.mode = mode
    record = queue(f"sample-{mode}")
    assert emails.deliver(record.pk) == Status.FAILED
    record.refresh_from_db()
    assert record.attempts == 1
    assert record.next_attempt_at is None
    assert mode[:3] in record.last_error
    # Failed is final for the queue: a batch does not pick it up again.
    assert emails.send_due(timezone.now() + timedelta(days=1)) == {}
    assert smtp.messages == []


@pytest.mark.parametrize("mode", ["hang", "drop", "down"])
def test_hung_dropped_or_absent_server_fails_the_attempt_quickly_and_retries(smtp, mode):
    smtp.mode = mode
    record = queue(f"sample-{mode}")
    started = time.monotonic()
    assert emails.deliver(record.pk) == Status.RETRYING
    assert time.monotonic() - started < 5  # the 1-second timeout, not forever
    record.refresh_from_db()
    assert record.status == Status.RETRYING
    assert record.lease_until is None
    assert record.last_error
    assert smtp.messages == []


def test_48_hour_outage_delivers_every_email_exactly_once(smtp):
    records = [queue(f"sample-outage-{n}") for n in range(5)]
    start = timezone.now()
    modes = ["451", "drop", "hang", "down"]
    now, batches = start, 0
    # Forty-eight hours of outage, changing how the server fails from batch to batch.
    while now < start + timedelta(hours=48):
        smtp.mode = modes[batches % len(modes)]
        emails.send_due(now)
        batches += 1
        pending = OutboundEmail.objects.filter(pk__in=[r.pk for r in records])
        assert not pending.filter(status__in=[Status.SENT, Status.FAILED]).exists()
        now = min(pending.values_list("next_attempt_at", flat=True))
    assert smtp.messages == []
    # The gaps grew to the cap and stayed there: about a dozen tries per email, not hundreds.
    tries = OutboundEmail.objects.get(pk=records[0].pk).attempts
    assert 12 <= tries <= 25

    smtp.mode = "accept"
    emails.send_due(now)
    emails.send_due(now + timedelta(hours=5))  # a later batch finds nothing left to send

    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}
    ids = [message["Message-ID"] for message in received(smtp)]
    assert sorted(ids) == sorted(f"<{r.pk}@lab.example.org>" for r in records)


def test_outage_past_the_window_fails_for_staff_to_requeue(smtp):
    smtp.mode = "451"
    record = queue("sample-long-outage")
    now = timezone.now()
    while True:
        status = emails.deliver(record.pk, now=now)
        if status != Status.RETRYING:
            break
        record.refresh_from_db()
        now = record.next_attempt_at
    assert status == Status.FAILED
    record.refresh_from_db()
    # Retries spanned the window: more than three days, never past four.
    assert timedelta(days=3) < now - record.queued_at <= timedelta(days=4)


def test_sender_dying_after_data_resends_once_with_the_same_message_id(smtp, monkeypatch):
    record = queue("sample-crash")
    now = timezone.now()
    real_record = emails._record
    # The server took the message, then the sender died before writing the result down.
    monkeypatch.setattr(emails, "_record", lambda *args, **kwargs: None)
    assert emails.deliver(record.pk, now=now) == Status.SENT
    monkeypatch.setattr(emails, "_record", real_record)
    record.refresh_from_db()
    assert record.status == Status.SENDING

    # While the lease runs, no batch touches it.
    assert emails.send_due(now + timedelta(minutes=5)) == {}
    assert len(smtp.messages) == 1

    # After it runs out, the sweeper returns it and the next batch sends it again.
    assert emails.send_due(now + timedelta(minutes=11)) == {Status.SENT: 1}
    record.refresh_from_db()
    assert record.status == Status.SENT
    assert record.attempts == 2
    ids = [message["Message-ID"] for message in received(smtp)]
    assert ids == [f"<{record.pk}@lab.example.org>"] * 2
    assert emails.send_due(now + timedelta(days=1)) == {}


def test_sender_dying_before_data_loses_nothing(smtp, monkeypatch):
    record = queue("sample-crash-early")
    now = timezone.now()

    def die(*args, **kwargs):
        raise SystemExit("worker killed while building")

    monkeypatch.setattr(emails, "build_message", die)
    with pytest.raises(SystemExit):
        emails.deliver(record.pk, now=now)
    monkeypatch.undo()
    record.refresh_from_db()
    assert record.status == Status.SENDING
    assert emails.send_due(now + timedelta(minutes=11)) == {Status.SENT: 1}
    assert len(smtp.messages) == 1


def test_sweeper_makes_email_tasks_of_a_dead_worker_ready_again(smtp):
    from django_tasks_db.models import DBTaskResult

    record = queue("sample-dead-worker")
    now = timezone.now()
    # A worker claimed the task and the row, then was killed: both say "running"/"sending".
    OutboundEmail.objects.filter(pk=record.pk).update(
        status=Status.SENDING, lease_until=now - timedelta(minutes=1), attempts=1
    )

    def task_row(path, started_minutes_ago):
        return DBTaskResult.objects.create(
            task_path=path,
            args_kwargs={"args": [str(record.pk)], "kwargs": {}},
            backend_name="default",
            run_after=now - timedelta(hours=1),
            status="RUNNING",
            started_at=now - timedelta(minutes=started_minutes_ago),
        )

    dead = task_row("community.tasks.send_outbound_email", 20)
    busy = task_row("community.tasks.send_outbound_email", 2)  # still within its lease
    other = task_row("wagtail.tasks.update_reference_index_task", 20)  # not known idempotent

    assert emails.send_due(now) == {Status.SENT: 1}
    for row in (dead, busy, other):
        row.refresh_from_db()
    assert (dead.status, busy.status, other.status) == ("READY", "RUNNING", "RUNNING")
    assert dead.started_at is None

    # The worker runs the reclaimed task again: the email is already sent, nothing goes twice.
    from community.tasks import send_outbound_email

    assert dead.task_path == send_outbound_email.module_path
    assert send_outbound_email.call(*dead.args_kwargs["args"]) == Status.SENT
    assert len(smtp.messages) == 1
