"""Staff send failed mail again (admin bulk action, command) and hear of it daily."""

from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO

from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community.models import OutboundEmail

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status
BULK = "/admin/bulk/community/outboundemail/requeue/"


def failed(key, queued_days_ago=0):
    return OutboundEmail.objects.create(
        key=key,
        to=[f"{key}@example.org"],
        from_email="Lab <no-reply@lab.example.org>",
        subject=f"Subject {key}",
        body_text=f"Body of {key}.",
        status=Status.FAILED,
        attempts=20,
        last_error="SMTPRecipientsRefused: 451 Try again later",
        queued_at=timezone.now() - timedelta(days=queued_days_ago),
    )


def sent_ids():
    return sorted(
        message_from_bytes(m.message().as_bytes(), policy=policy.default)["Message-ID"]
        for m in mail.outbox
    )


def command(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_command_requeues_failed_mail_with_a_fresh_window_and_sends_it(
    django_capture_on_commit_callbacks,
):
    old, recent = failed("sample-old", queued_days_ago=5), failed("sample-recent")
    sent = OutboundEmail.objects.create(
        key="sample-sent", to=["x@example.org"], subject="s", body_text="b", status=Status.SENT
    )
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        assert "Re-queued 2 failed email(s)." in command("requeue_failed_emails")
    for record in (old, recent):
        record.refresh_from_db()
        assert record.status == Status.SENT
        assert record.attempts == 1  # counted afresh
        assert timezone.now() - record.queued_at < timedelta(minutes=1)
    assert sent_ids() == sorted(f"<{r.pk}@lab.example.org>" for r in (old, recent))
    sent.refresh_from_db()
    assert sent.status == Status.SENT  # a sent email is never queued again


def test_command_since_limits_to_recent_failures(django_capture_on_commit_callbacks):
    old, recent = failed("sample-old", queued_days_ago=5), failed("sample-recent")
    with django_capture_on_commit_callbacks(execute=True):
        assert "Re-queued 1 failed" in command("requeue_failed_emails", "--since", "3d")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Status.FAILED
    assert recent.status == Status.SENT


def test_command_refuses_an_unreadable_since_and_changes_nothing():
    record = failed("sample-old")
    with pytest.raises(CommandError, match="--since 'yesterday'"):
        command("requeue_failed_emails", "--since", "yesterday")
    record.refresh_from_db()
    assert record.status == Status.FAILED
    assert record.attempts == 20


def test_editor_requeues_failed_mail_from_the_email_log(
    editor, client_for, django_capture_on_commit_callbacks
):
    client = client_for(editor, mfa=True)
    one, other = failed("sample-one"), failed("sample-two")
    listing = BeautifulSoup(client.get("/admin/email-log/").content, "html5lib")
    boxes = {box["data-object-id"] for box in listing.select("input[data-bulk-action-checkbox]")}
    assert boxes == {str(one.pk), str(other.pk)}
    footer = listing.select_one("[data-bulk-action-footer]")
    assert footer is not None
    assert footer.select_one(f"a[href^='{BULK}']") is not None
    subject = listing.select_one(f"#outboundemail_{one.pk}_title")
    assert subject is not None and "Subject sample-one" in subject.get_text()

    confirm = client.get(BULK, {"id": [one.pk], "next": "/admin/email-log/"})
    assert confirm.status_code == 200
    page = BeautifulSoup(confirm.content, "html5lib")
    assert "Subject sample-one" in page.get_text()
    assert "Subject sample-two" not in page.get_text()

    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BULK}?id={one.pk}&next=/admin/email-log/")
    assert response.status_code == 302
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.status == Status.SENT
    assert other.status == Status.FAILED
    assert sent_ids() == [f"<{one.pk}@lab.example.org>"]


@pytest.mark.parametrize("role", ["le_member", "expert", "moderator"])
def test_roles_without_the_email_log_cannot_requeue(
    role, request, client_for, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(role)
    record = failed("sample-one")
    client = client_for(user, mfa=role == "moderator")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BULK}?id={record.pk}&next=/admin/email-log/")
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"] != "/admin/email-log/"
    record.refresh_from_db()
    assert record.status == Status.FAILED


def test_daily_report_lists_failed_mail_once_a_day(settings, django_capture_on_commit_callbacks):
    settings.STAFF_NOTIFICATION_EMAILS = ["staff@example.org"]
    assert "0 failed email(s); no report sent." in command("report_failed_emails")
    failed("sample-one")
    failed("sample-two")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        command("report_failed_emails")
        command("report_failed_emails")  # a second run the same day sends nothing new
    assert len(mail.outbox) == 1
    report = message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    assert report["To"] == "staff@example.org"
    assert "2 failed emails" in report["Subject"]
    body = report.get_content()
    assert "Subject sample-one" in body and "Subject sample-two" in body
    assert "451 Try again later" in body
    assert "requeue_failed_emails" in body
    assert "/admin/email-log/?status=failed" in body
