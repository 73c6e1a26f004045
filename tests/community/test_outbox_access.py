"""Access is asked again when a queued email is finally sent, not only when it was built."""

from datetime import timedelta
from email import message_from_bytes, policy

from django.utils import timezone

import pytest

from community import emails, services
from community.models import OutboundEmail
from events import services as event_services
from events.emails import message_key, queue_attendee_message
from events.models import Registration
from tests.community import smtp_fake

pytestmark = pytest.mark.django_db

# The fake SMTP server's fixture, made available here by name.
smtp = smtp_fake.smtp

Status = OutboundEmail.Status


def register_during_outage(smtp, user, event, capture):
    """The confirmation (with the join link) is built, then the first try meets a 451."""
    smtp.mode = "451"
    with capture(execute=True):
        event_services.registration_create(user, event, {})
    [record] = OutboundEmail.objects.filter(key__startswith="event:")
    assert record.status == Status.RETRYING
    assert event.online_join_url in record.body_text
    smtp.mode = "accept"
    return record


def retry(record):
    return emails.send_due(record.next_attempt_at + timedelta(seconds=1))


def test_suspended_member_gets_no_queued_join_link(
    smtp, make_event, le_member, editor, django_capture_on_commit_callbacks
):
    event = make_event(audience="law_enforcement", registration_audience="law_enforcement")
    record = register_during_outage(smtp, le_member, event, django_capture_on_commit_callbacks)
    services.membership_suspend(le_member.membership, by=editor)

    assert retry(record) == {Status.WITHHELD: 1}
    record.refresh_from_db()
    assert record.status == Status.WITHHELD
    assert "may no longer see this event" in record.last_error
    assert smtp.messages == []
    # Withheld is final: later batches do not send it.
    assert emails.send_due(timezone.now() + timedelta(days=2)) == {}


def test_narrowed_audience_withholds_the_queued_email(
    smtp, make_event, member, django_capture_on_commit_callbacks
):
    event = make_event()
    record = register_during_outage(smtp, member, event, django_capture_on_commit_callbacks)
    page = event.get_latest_revision_as_object()
    page.audience = page.registration_audience = "law_enforcement"
    page.save_revision().publish()

    assert retry(record) == {Status.WITHHELD: 1}
    assert smtp.messages == []


def test_cancelled_seat_withholds_a_queued_join_link(
    smtp, make_event, le_member, django_capture_on_commit_callbacks
):
    event = make_event()
    record = register_during_outage(smtp, le_member, event, django_capture_on_commit_callbacks)
    # The seat is gone (the event stays visible): the join link may no longer go out.
    Registration.objects.filter(user=le_member).update(status="cancelled")
    assert retry(record) == {Status.WITHHELD: 1}
    record.refresh_from_db()
    assert "join link" in record.last_error
    assert smtp.messages == []


def test_member_who_keeps_access_gets_the_retried_email(
    smtp, make_event, le_member, django_capture_on_commit_callbacks
):
    event = make_event(audience="law_enforcement", registration_audience="law_enforcement")
    record = register_during_outage(smtp, le_member, event, django_capture_on_commit_callbacks)
    assert retry(record) == {Status.SENT: 1}
    [raw] = smtp.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert message["To"] == le_member.email
    assert event.online_join_url in message.get_body(preferencelist=("plain",)).get_content()


def test_editors_message_is_withheld_from_a_member_who_lost_the_event(
    smtp, make_event, le_member, editor, django_capture_on_commit_callbacks
):
    event = make_event(audience="law_enforcement", registration_audience="law_enforcement")
    with django_capture_on_commit_callbacks(execute=True):
        event_services.registration_create(le_member, event, {})
    registration = Registration.objects.get(user=le_member)
    smtp.messages.clear()
    smtp.mode = "451"
    with django_capture_on_commit_callbacks(execute=True):
        queue_attendee_message(
            event, [registration], subject="Room change", message="Sample text.", batch="b1"
        )
    record = OutboundEmail.objects.get(key=message_key("b1", registration))
    assert record.status == Status.RETRYING
    smtp.mode = "accept"
    services.membership_suspend(le_member.membership, by=editor)
    assert retry(record) == {Status.WITHHELD: 1}
    assert smtp.messages == []
