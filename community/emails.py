"""Queue an email: render it, record it once, send it from a task after commit."""

import base64
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundEmail


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
        from .tasks import send_outbound_email

        pk = str(message.pk)
        transaction.on_commit(lambda: send_outbound_email.enqueue(pk))
    return message


def queue_email(
    *, key: str, to: list[str], template: str, context: dict, language=None, **kwargs
) -> OutboundEmail:
    """Render ``template`` (``_subject.txt``, ``.txt``, optional ``.html``) and queue it."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject, text, html = _render(template, context)
    return queue_message(key=key, to=to, subject=subject, body_text=text, body_html=html, **kwargs)


def build_message(record: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=record.subject,
        body=record.body_text,
        from_email=record.from_email,
        to=record.to,
        headers=record.headers or None,
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
    """Exponential backoff: base, 2×base, 4×base … capped at six hours."""
    seconds = settings.EMAIL_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, 6 * 3600))


def deliver(pk) -> str:
    """Send one recorded message at most once. Returns the record's resulting status."""
    with transaction.atomic():
        record = OutboundEmail.objects.select_for_update().filter(pk=pk).first()
        if record is None:
            return "missing"
        if record.status in (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED):
            return record.status
        if record.next_attempt_at and record.next_attempt_at > timezone.now():
            return record.status
        record.attempts += 1
        message = build_message(record)
        try:
            # The row stays locked while sending, so a second worker waits and then sees SENT.
            mailers.default.send_messages([message])
        except Exception as exc:  # noqa: BLE001 — any provider failure is retried
            record.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if record.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                record.status = OutboundEmail.Status.FAILED
                record.next_attempt_at = None
            else:
                record.status = OutboundEmail.Status.RETRYING
                record.next_attempt_at = timezone.now() + retry_delay(record.attempts)
            record.save()
            return record.status
        status = getattr(message, "anymail_status", None)
        provider_id = getattr(status, "message_id", "") or ""
        record.message_id = str(provider_id or message.extra_headers.get("Message-ID", ""))[:255]
        record.status = OutboundEmail.Status.SENT
        record.sent_at = timezone.now()
        record.next_attempt_at = None
        record.last_error = ""
        record.save()
        return record.status


def due_for_retry(now=None):
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.RETRYING],
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
