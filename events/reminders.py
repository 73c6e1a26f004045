"""Reminder scheduling: which confirmed registrants are due a reminder now, and queueing them.

A reminder goes once per registration, window and start (``reminder_key``): moving the
event, or a series reaching its next date, earns a fresh one. The email itself is rendered
at delivery by ``events.emails.build_registration_email``, like every registration email."""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from community.models import OutboundEmail

from .choices import EmailKind, EventStatus, RegistrationStatus
from .records import Registration
from .tasks import send_registration_email as send_registration_email_task


def reminder_key(registration, hours: int, start=None) -> str:
    # The start is part of the key: moving the event (or a series' next date) earns a fresh
    # reminder.
    start = start or registration.event.start
    return f"event:{registration.pk}:{EmailKind.reminder(hours)}:{start.isoformat()}"


def due_reminders(now=None) -> list[tuple[Registration, int, str]]:
    """(registration, hours, key) due now: confirmed seats of scheduled, live events that
    start within the smallest configured window they fall into and have not started.
    """
    now = now or timezone.now()
    windows = sorted({int(h) for h in settings.EVENT_REMINDER_HOURS if int(h) > 0})
    if not windows:
        return []
    horizon = now + dt.timedelta(hours=windows[-1])
    registrations = (
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            event__live=True,
            event__status=EventStatus.SCHEDULED,
        )
        .filter(
            Q(event__start__gt=now, event__start__lte=horizon)
            # A series whose first date is past may still have one coming up.
            | Q(event__repeat__gt="", event__start__lte=horizon, event__last_end__gt=now)
        )
        .select_related("event")
    )
    due = []
    for registration in registrations:
        start = registration.event.next_start_after(now)
        if start is None or start > horizon:
            continue
        # Only the closest window: a late registrant 30 minutes before gets the 1 h one.
        hours = next(h for h in windows if start - now <= dt.timedelta(hours=h))
        due.append((registration, hours, reminder_key(registration, hours, start)))
    if not due:
        return []
    sent = set(
        OutboundEmail.objects.filter(key__in=[key for _r, _h, key in due]).values_list(
            "key", flat=True
        )
    )
    return [(r, h, key) for r, h, key in due if key not in sent]


def enqueue_due_reminders(now=None) -> dict[int, int]:
    """Queue every due reminder (in the caller's transaction, like ``notify``). Returns
    {hours: count queued}."""
    now = now or timezone.now()
    counts = {int(h): 0 for h in settings.EVENT_REMINDER_HOURS}
    for registration, hours, key in due_reminders(now):
        start = registration.event.next_start_after(now)
        args = (registration.pk, EmailKind.reminder(hours), key, True, start.isoformat())
        send_registration_email_task.enqueue(*args)
        counts[hours] = counts.get(hours, 0) + 1
    return counts
