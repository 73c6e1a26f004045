"""Queue an email: render it, record it once, send it from a task after commit."""

import base64
import smtplib
from collections import Counter
from datetime import timedelta
from email.utils import parseaddr

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.tasks import TaskResultStatus
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused

from .models import OutboundEmail
from .tasks import send_outbound_email as send_outbound_email_task


def _render(template: str, context: dict) -> tuple[str, str, str]:
    ctx = {"site_name": settings.WAGTAIL_SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"{template}_subject.txt", ctx)
    subject = " ".join(subject.split())  # one line, whatever the template did
    text = render_to_string(f"{template}.txt", ctx)
    try:
        html = render_to_string(f"{template}.html", ctx)
    except TemplateDoesNotExist:
        html = ""
    return subject, text, html


def queue_message(
    *,
    key: str,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    attachments: list[dict] | None = None,
    headers: dict | None = None,
    from_email: str | None = None,
) -> OutboundEmail:
    """Record a message under ``key`` and send it after commit. A known key sends nothing new.

    ``attachments`` are dicts with ``filename``, ``content`` (str) and ``mimetype``.
    """
    defaults = {
        "to": list(to),
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "subject": subject[:255],
        "body_text": body_text,
        "body_html": body_html,
        "attachments": attachments or [],
        "headers": headers or {},
    }
    try:
        with transaction.atomic():
            message, created = OutboundEmail.objects.get_or_create(key=key, defaults=defaults)
    except IntegrityError:
        message, created = OutboundEmail.objects.get(key=key), False
    if created:
        pk = str(message.pk)
        transaction.on_commit(lambda: send_outbound_email_task.enqueue(pk))
    return message


def queue_email(
    *, key: str, to: list[str], template: str, context: dict, language=None, **kwargs
) -> OutboundEmail:
    """Render ``template`` (``_subject.txt``, ``.txt``, optional ``.html``) and queue it."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject, text, html = _render(template, context)
    return queue_message(key=key, to=to, subject=subject, body_text=text, body_html=html, **kwargs)


def message_id_for(record: OutboundEmail) -> str:
    """A Message-ID fixed by the outbox row: a resend after a crash is the same message."""
    domain = parseaddr(record.from_email or settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return f"<{record.pk}@{domain or 'localhost'}>"


def build_message(record: OutboundEmail) -> EmailMultiAlternatives:
    headers = {**(record.headers or {}), "Message-ID": message_id_for(record)}
    message = EmailMultiAlternatives(
        subject=record.subject,
        body=record.body_text,
        from_email=record.from_email,
        to=record.to,
        headers=headers,
    )
    if record.body_html:
        message.attach_alternative(record.body_html, "text/html")
    for item in record.attachments:
        content = item["content"]
        if item.get("base64"):
            content = base64.b64decode(content)
        message.attach(item["filename"], content, item["mimetype"])
    return message


def retry_delay(attempts: int) -> timedelta:
    """Capped exponential backoff: base, 2×base, 4×base … never more than the cap."""
    base = settings.EMAIL_RETRY_BASE_SECONDS
    exponent = min(max(attempts - 1, 0), 32)  # 2**32 × base is past any sane cap
    return timedelta(seconds=min(base * 2**exponent, settings.EMAIL_RETRY_MAX_SECONDS))


def permanent_failure(exc: Exception) -> bool:
    """Whether the receiving side refused for good (5xx for the recipient or the content).

    Everything else (4xx, refused connections, timeouts, provider outages) is temporary.
    A refused sender is retried too: it is our configuration, which staff can fix.
    """
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def delivery_check(record: OutboundEmail):
    """The check registered for the record's key prefix in ``EMAIL_DELIVERY_CHECKS``."""
    for prefix, path in settings.EMAIL_DELIVERY_CHECKS.items():
        if record.key.startswith(prefix):
            return import_string(path)
    return None


def sweep_expired_leases(now=None) -> int:
    """Return rows whose sender died mid-send (lease run out) to the queue, due at once."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING, lease_until__lt=now
    ).update(status=OutboundEmail.Status.QUEUED, lease_until=None, next_attempt_at=now)


def reclaim_dead_email_tasks(now=None) -> int:
    """Make email tasks whose worker died (still "running" past the lease) ready to run again.

    Only for the database task backend, and only for tasks listed as idempotent in
    ``EMAIL_IDEMPOTENT_TASKS``: running one twice writes or sends nothing twice.
    """
    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        task_path__in=settings.EMAIL_IDEMPOTENT_TASKS,
        started_at__lt=cutoff,
    ).update(status=TaskResultStatus.READY, started_at=None)  # run_after already passed


def _claim(pk, now) -> OutboundEmail | None:
    """Mark the row "sending" with a lease, in its own short transaction; None if not ours."""
    lease_until = now + timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    with transaction.atomic():
        # A conditional UPDATE is the claim: of two senders, exactly one matches the row.
        claimed = (
            OutboundEmail.objects.filter(
                pk=pk, status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.RETRYING]
            )
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(
                status=OutboundEmail.Status.SENDING,
                lease_until=lease_until,
                attempts=F("attempts") + 1,
            )
        )
        if not claimed:
            return None
        record = OutboundEmail.objects.get(pk=pk)
        check = delivery_check(record)
        reason = check(record) if check else None
        if reason:
            record.status = OutboundEmail.Status.WITHHELD
            record.lease_until = None
            record.next_attempt_at = None
            record.last_error = str(reason)[:2000]
            record.save(update_fields=["status", "lease_until", "next_attempt_at", "last_error"])
    return record


def _record(record: OutboundEmail, **fields) -> None:
    # Only the holder of the lease records; if the lease was swept meanwhile, the row is
    # someone else's now, except that a success always wins (the message is out).
    rows = OutboundEmail.objects.filter(pk=record.pk)
    if fields["status"] != OutboundEmail.Status.SENT:
        rows = rows.filter(status=OutboundEmail.Status.SENDING, lease_until=record.lease_until)
    rows.update(lease_until=None, **fields)


def deliver(pk, now=None) -> str:
    """Send one recorded message at most once. Returns the record's resulting status.

    No database transaction is open while talking to the mail server: the claim commits
    first, the result is written after.
    """
    now = now or timezone.now()
    record = _claim(pk, now)
    if record is None:
        current = OutboundEmail.objects.filter(pk=pk).values_list("status", flat=True).first()
        return current or "missing"
    if record.status == OutboundEmail.Status.WITHHELD:
        return record.status
    message = build_message(record)
    try:
        mailers.default.send_messages([message])
    except Exception as exc:  # noqa: BLE001 — every provider failure is classified below
        error = f"{type(exc).__name__}: {exc}"[:2000]
        next_at = now + retry_delay(record.attempts)
        give_up_at = record.queued_at + timedelta(seconds=settings.EMAIL_GIVE_UP_AFTER_SECONDS)
        if permanent_failure(exc) or next_at > give_up_at:
            status, next_at = OutboundEmail.Status.FAILED, None
        else:
            status = OutboundEmail.Status.RETRYING
        _record(record, status=status, next_attempt_at=next_at, last_error=error)
        return status
    anymail_status = getattr(message, "anymail_status", None)
    provider_id = getattr(anymail_status, "message_id", "") or ""
    _record(
        record,
        status=OutboundEmail.Status.SENT,
        message_id=str(provider_id or message.extra_headers["Message-ID"])[:255],
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
    )
    return OutboundEmail.Status.SENT


def due_for_retry(now=None):
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.RETRYING],
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def send_due(now=None) -> Counter:
    """One send batch: reclaim dead senders' rows, then try every message that is due."""
    now = now or timezone.now()
    sweep_expired_leases(now)
    reclaim_dead_email_tasks(now)
    statuses = Counter()
    # Listed up front: deliver() commits per message, so no cursor stays open meanwhile.
    for pk in list(due_for_retry(now).values_list("pk", flat=True)):
        statuses[deliver(pk, now=now)] += 1
    return statuses


def requeue(queryset, now=None) -> int:
    """Put failed messages back in the queue with a fresh retry window; send after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        pks = [
            str(pk)
            for pk in queryset.filter(status=OutboundEmail.Status.FAILED).values_list(
                "pk", flat=True
            )
        ]
        OutboundEmail.objects.filter(pk__in=pks, status=OutboundEmail.Status.FAILED).update(
            status=OutboundEmail.Status.QUEUED,
            attempts=0,
            queued_at=now,
            next_attempt_at=None,
            lease_until=None,
        )
        for pk in pks:
            transaction.on_commit(lambda pk=pk: send_outbound_email_task.enqueue(pk))
    return len(pks)
