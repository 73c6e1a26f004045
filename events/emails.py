"""Registration emails and reminders, rendered at delivery time from the current state.

Everything here runs inside a task. Access is checked again when the email is rendered, not
when it was queued: a member who lost access in between gets nothing that shows the event.
"""

import datetime as dt
import re
import zoneinfo
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import lazy

from community import access, links, timeformat
from community.emails import queue_email, queue_message
from community.models import OutboundEmail

from . import ical
from . import links as event_links
from .choices import (
    CANCEL_KINDS,
    REQUEST_KINDS,
    SEAT_KINDS,
    SEAT_STATUSES,
    EmailKind,
    EventFormat,
    EventStatus,
)
from .records import Registration

REMINDER_RE = re.compile(r"^reminder_(\d+)h$")


def parse_kind(kind: str) -> tuple[EmailKind, int | None]:
    """``"reminder_24h"`` → ``(EmailKind.REMINDER, 24)``; other kinds as themselves. An
    unknown kind raises ``ValueError``."""
    match = REMINDER_RE.match(kind)
    if match:
        return EmailKind.REMINDER, int(match.group(1))
    return EmailKind(kind), None


def format_span(event, zone_name: str) -> str:
    """The event's time in ``zone_name``, written as on the pages:
    "Friday, Dec. 4, 2026, 09:00–12:00 · Paris (UTC+1)"."""
    text = timeformat.format_span(event.start, event.end, zone_name)
    return timeformat.with_zone(text, zone_name, event.start)


def format_dates(event) -> str:
    """An all-day event's dates (they are the same everywhere: no zone conversion)."""
    return timeformat.format_dates(event.start_date, event.end_date)


_format_span = lazy(format_span, str)
_format_dates = lazy(format_dates, str)


def recipient_zone(user, event) -> str:
    """The member's own zone when they set one and it differs from the event's."""
    membership = getattr(user, "membership", None)
    name = (membership.time_zone if membership else "") or ""
    if not name or name == event.time_zone:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return name


def _recipient(registration):
    """The registrant as an email's recipient: the policy sees a mailbox, not a session."""
    return access.assure(registration.user, access.Assurance.MAILBOX)


def may_receive_details(registration) -> bool:
    """Whether the registrant may still see the event right now."""
    event = registration.event
    return event.live and access.can(_recipient(registration), "view", event)


def delivery_refusal(record) -> str | None:
    """Why a queued registration email may no longer go to its recipient, or None.

    Asked by the outbox when it sends (see ``EMAIL_DELIVERY_CHECKS``): a member suspended,
    expired or outside a narrowed audience since the email was built gets nothing.
    """
    # Keys are "event:<registration>:…" and "event-message:<batch>:<registration>".
    parts = record.key.split(":")
    raw_pk = parts[1] if parts[0] == "event" else parts[2] if len(parts) > 2 else ""
    registration = (
        Registration.objects.select_related("event", "user", "user__membership")
        .filter(pk=int(raw_pk) if raw_pk.isdigit() else None)
        .first()
    )
    if registration is None:
        return "The registration no longer exists."
    if not may_receive_details(registration):
        return "The recipient may no longer see this event."
    join_url = registration.event.online_join_url
    if (
        join_url
        and join_url in (record.body_text + record.body_html + str(record.attachments))
        and not access.can(_recipient(registration), "events.see_join_link", registration)
    ):
        return "The recipient may no longer see this event's join link."
    return None


def next_occurrence(event, now=None):
    """The occurrence an email is about: the event itself, or a series' next date.

    Returns an object with aware ``start`` and ``end``, or None when nothing is left."""
    now = now or timezone.now()
    if not event.is_recurring:
        return event if event.end > now else None
    upcoming = event.next_occurrences(limit=1, now=now)
    if not upcoming:
        return None
    return SimpleNamespace(start=upcoming[0].start, end=upcoming[0].end)


def _occurrence_at(event, start: dt.datetime):
    for occurrence in event.next_occurrences(limit=2, now=start - dt.timedelta(seconds=1)):
        if occurrence.start == start:
            return SimpleNamespace(start=occurrence.start, end=occurrence.end)
    return None


def build_context(registration, kind, *, hours=None, show_join=False, occurrence=None) -> dict:
    event, user = registration.event, registration.user
    membership = getattr(user, "membership", None)
    own_zone = "" if event.all_day else recipient_zone(user, event)
    timing = event
    if event.is_recurring:
        timing = (occurrence and _occurrence_at(event, occurrence)) or next_occurrence(event)
        timing = timing or event
    return {
        "kind": kind,
        "hours": hours,
        "registration": registration,
        "event": event,
        "title": event.title,
        "name": (membership.display_name if membership else "") or user.get_username(),
        "all_day": event.all_day,
        # Written when the email is rendered, in the language it is rendered in.
        "when": _format_dates(event) if event.all_day else _format_span(timing, event.time_zone),
        "when_yours": _format_span(timing, own_zone) if own_zone else "",
        "recurring": event.is_recurring,
        "attendance": registration.attendance if event.format == EventFormat.HYBRID else "",
        "place": event.location_text(),
        "event_url": event_links.event_url(event),
        "my_events_url": links.absolute_reverse("events:my_events"),
        "join_url": event.online_join_url if show_join else "",
        "reason": registration.decision_reason if kind == EmailKind.REJECTED else "",
        "event_status": event.status,
    }


def build_registration_email(
    registration_id: int,
    kind: str,
    key: str,
    invite: bool,
    occurrence: str | None = None,
    *,
    message: str = "",
) -> str:
    """Render and queue one registration email under ``key``. Returns what happened:
    "queued", "duplicate" (key already used), "missing", or "skipped" (nothing to send).

    ``message`` is the editor's text for an ``event_cancelled`` email (other kinds ignore it).
    """
    try:
        base_kind, hours = parse_kind(kind)
    except ValueError as exc:
        raise ValueError(f"Unknown registration email kind: {kind!r}") from exc
    if OutboundEmail.objects.filter(key=key).exists():
        return "duplicate"
    registration = (
        Registration.objects.select_related("event", "user", "user__membership")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not registration.user.email:
        return "missing"
    event = registration.event
    if not may_receive_details(registration):
        return "skipped"
    holds_seat = registration.status in SEAT_STATUSES
    if base_kind in SEAT_KINDS and not holds_seat:
        return "skipped"  # cancelled since this was queued; the cancellation says so
    now = timezone.now()
    if base_kind == EmailKind.REMINDER and (
        event.status != EventStatus.SCHEDULED
        or (occurrence is None and event.next_start_after(now) is None)
    ):
        return "skipped"
    if base_kind == EmailKind.EVENT_UPDATED and event.is_over_at(now):
        return "skipped"  # a correction to a past event's page is no news to attendees

    if base_kind in REQUEST_KINDS:
        method = ical.METHOD_REQUEST if invite and holds_seat else None
    elif base_kind in CANCEL_KINDS:
        method = ical.METHOD_CANCEL if invite else None
    else:
        method = None  # waitlisted, pending, rejected: nothing goes into a calendar
    show_join = (
        base_kind in REQUEST_KINDS
        and holds_seat
        and bool(event.online_join_url)
        and event.status == EventStatus.SCHEDULED
        and access.can(_recipient(registration), "events.see_join_link", registration)
    )

    attachments = []
    if method:
        cal = ical.invite_calendar(registration, method, private=show_join)
        attachments.append(
            {
                "filename": "cancel.ics" if method == ical.METHOD_CANCEL else "invite.ics",
                "content": ical.calendar_bytes(cal).decode("utf-8"),
                # The MIME method= must equal the file's METHOD, or Outlook and Gmail show
                # a plain attachment instead of an invitation.
                "mimetype": f"text/calendar; method={method}",
            }
        )
    context = build_context(
        registration,
        base_kind,
        hours=hours,
        show_join=show_join,
        occurrence=dt.datetime.fromisoformat(occurrence) if occurrence else None,
    )
    context["has_invite"] = bool(method)
    # Plain text from the editor: the text template prints it as typed, the HTML one escapes it.
    context["message"] = message.strip() if base_kind == EmailKind.EVENT_CANCELLED else ""
    queue_email(
        key=key,
        to=[registration.user.email],
        template=f"events/email/{base_kind}",
        context=context,
        attachments=attachments,
    )
    return "queued"


# --- editors' messages to registrants -------------------------------------------------


def attendee_message(event, *, subject: str, message: str) -> dict:
    """The email an editor's message becomes, the same for every recipient.

    The editor's text comes first and as typed: it carries its own greeting, so the site adds
    none. The preview shows exactly this; sending queues exactly this.
    """
    body = render_to_string(
        "events/email/message.txt",
        {
            "message": message,
            "title": event.title,
            "event_url": event_links.event_url(event),
            "site_name": settings.WAGTAIL_SITE_NAME,
        },
    )
    return {
        "subject": " ".join(subject.split()),
        "body_text": body,
        "from_email": settings.DEFAULT_FROM_EMAIL,
    }


def message_key(batch, registration) -> str:
    # One key per form and recipient: the same form sent twice queues nothing new.
    return f"event-message:{batch}:{registration.pk}"


def queue_attendee_message(event, registrations, *, subject: str, message: str, batch) -> int:
    """Queue the message once per registrant under this form's ``batch``; returns how many
    emails are new (0 when this form was already sent)."""
    email = attendee_message(event, subject=subject, message=message)
    keys = {registration.pk: message_key(batch, registration) for registration in registrations}
    already = set(OutboundEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    queued = 0
    with transaction.atomic():
        for registration in registrations:
            key = keys[registration.pk]
            if key in already or not registration.user.email:
                continue
            # queue_message sends nothing new for a key a parallel submit took meanwhile.
            queue_message(key=key, to=[registration.user.email], **email)
            queued += 1
    return queued
