"""iCalendar output for events: no request, and no writes of its own.

Most functions here read only their arguments. Three read the database, and say so in their
docstrings: ``earlier_registrations_offset`` (a registrant's earlier registrations, for
SEQUENCE), ``invite_calendar`` (through it, and through ``event.calendar``, which creates the
event's calendar-state row when one is missing — the only write reachable from here, for rows
made outside the publish path) and ``build_feed`` (``private_for``'s join-link capability, asked
of the access policy for each of their registrations).

Invites (one VEVENT with ORGANIZER/ATTENDEE, METHOD:REQUEST or CANCEL) and feeds (many
VEVENTs, no METHOD or METHOD:PUBLISH) share ``build_vevent`` and ``add_timezones``, so a
calendar client sees the same UID, SEQUENCE, times and text whichever channel it came from.

Everything an editor typed is set as a property *value*: the library escapes commas,
semicolons and line breaks, so a title can never start a new property or component.
"""

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from icalendar import Calendar, Conference, Event, vCalAddress, vDuration, vRecur

from community import access

from . import links, recurrence
from .choices import SEAT_STATUSES, EventStatus
from .records import Registration

PRODID = "-//Responsible AI Lab//Community events//EN"

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
METHOD_PUBLISH = "PUBLISH"

STATUS_MAP = {
    EventStatus.SCHEDULED: "CONFIRMED",
    EventStatus.POSTPONED: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
}


def last_change(event, state, registration=None, now=None) -> dt.datetime:
    """When this calendar object last changed, in UTC.

    ``state.changed_at`` moves only on significant changes (time, place, status), but a
    published edit of the summary or description changes the VEVENT too, so clients that
    compare LAST-MODIFIED should see the later of the two. A registrant's own change (their
    cancellation) also changes their copy. ``now`` is only the fallback when nothing is known;
    using it otherwise would make every feed fetch look like a change.
    """
    moments = [state.changed_at, getattr(event, "last_published_at", None)]
    if registration is not None and registration.sequence:
        moments.append(registration.cancelled_at or registration.updated_at)
    moments = [m for m in moments if m is not None]
    moment = max(moments) if moments else (now or timezone.now())
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _times(event):
    if event.all_day:
        # VALUE=DATE with an exclusive end: a one-day event ends the next day.
        return event.start_date, event.end_date + dt.timedelta(days=1)
    zone = event.zone
    return event.start.astimezone(zone), event.end.astimezone(zone)


def _instant(event, moment):
    """A rule start as DTSTART/RECURRENCE-ID/EXDATE want it: a date for all-day events."""
    if event.all_day:
        return moment.date()
    return moment.astimezone(event.zone)


def _occurrence_times(event, occurrence):
    if event.all_day:
        start = occurrence.start.date()
        end = occurrence.end.date()
        return start, max(end, start + dt.timedelta(days=1))
    return occurrence.start.astimezone(event.zone), occurrence.end.astimezone(event.zone)


def _add_rule(vevent, event):
    parts = recurrence.rule_parts(event)
    if event.all_day and "UNTIL" in parts:
        # RFC 5545: UNTIL takes DTSTART's value type, a DATE for all-day series.
        parts["UNTIL"] = event.repeat_until
    vevent.add("rrule", vRecur(parts))
    skipped = [_instant(event, start) for start in recurrence.skipped_starts(event)]
    if skipped:
        vevent.add("exdate", skipped)


def build_vevents(event, state, **kwargs) -> list[Event]:
    """The master VEVENT, then one override per moved occurrence of a series."""
    vevents = [build_vevent(event, state, **kwargs)]
    if recurrence.is_recurring(event):
        for occurrence in recurrence.moved_occurrences(event):
            vevents.append(build_vevent(event, state, occurrence=occurrence, **kwargs))
    return vevents


def build_vevent(
    event,
    state,
    *,
    method=None,
    private=False,
    registration=None,
    now=None,
    url=None,
    sequence_offset=0,
    status=None,
    occurrence=None,
):
    """One VEVENT for ``event``. Join details only when ``private`` (the caller decides who).

    ``method`` is the iTIP method of the calendar it goes into: a CANCEL marks it CANCELLED.
    ``url`` lets a feed pass a precomputed page address (avoids a lookup per event).
    ``sequence_offset`` comes from ``earlier_registrations_offset`` for a registrant's copy.
    ``status`` overrides the STATUS (a feed's copy of a waitlisted or cancelled registration).
    A series' master carries RRULE and EXDATE; ``occurrence`` (a moved one) makes the
    override instead: same UID and SEQUENCE, RECURRENCE-ID = where the rule put it.
    """
    if occurrence is not None:
        start, end = _occurrence_times(event, occurrence)
    else:
        start, end = _times(event)
    changed = last_change(event, state, registration, now)
    url = url or links.event_url(event)
    sequence = state.sequence + (registration.sequence if registration is not None else 0)
    sequence += sequence_offset

    vevent = Event()
    vevent.add("uid", state.ical_uid)
    vevent.add("dtstamp", changed)
    vevent.add("last-modified", changed)
    vevent.add("sequence", sequence)
    if occurrence is not None:
        vevent.add("recurrence-id", _instant(event, occurrence.original_start))
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    if occurrence is None and recurrence.is_recurring(event):
        _add_rule(vevent, event)
    effective = status or (
        "CANCELLED" if method == METHOD_CANCEL else STATUS_MAP.get(event.status, "CONFIRMED")
    )
    if status == "CANCELLED" and event.status != "cancelled":
        # A registration cancelled in a feed: the client removes it, and the title says why.
        vevent.add("summary", _("Cancelled: %(title)s") % {"title": event.title})
    else:
        vevent.add("summary", event.summary_text())

    lines = [event.summary.strip()] if event.summary else []
    join_url = event.online_join_url if private and event.format != "in_person" else ""
    if join_url:
        lines.append(_("Join online: %(url)s") % {"url": join_url})
    if url:  # an event under no site has no public page to point at
        lines.append(_("Event page: %(url)s") % {"url": url})
    vevent.add("description", "\n\n".join(lines))

    if url:
        vevent.add("url", url)
    location = event.location_text()
    if location:
        vevent.add("location", location)
    vevent.add("status", effective)
    vevent.add("transp", "TRANSPARENT" if effective == "CANCELLED" else "OPAQUE")
    if join_url:
        # RFC 7986 CONFERENCE (VALUE=URI); clients without it still find the link above.
        vevent.conferences = [Conference(join_url, feature="VIDEO", label=_("Join online"))]
    return vevent


def organizer_address() -> vCalAddress:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    return vCalAddress.new(address, cn=settings.WAGTAIL_SITE_NAME)


def attendee_address(registration, method) -> vCalAddress:
    user = registration.user
    membership = getattr(user, "membership", None)
    name = (membership.full_name if membership else "") or user.get_full_name() or user.email
    if method == METHOD_CANCEL and registration.status not in SEAT_STATUSES:
        partstat = "DECLINED"
    elif registration.status in SEAT_STATUSES:
        partstat = "ACCEPTED"
    else:
        partstat = "NEEDS-ACTION"
    return vCalAddress.new(
        user.email, cn=name, role="REQ-PARTICIPANT", partstat=partstat, rsvp=False
    )


def new_calendar(*, method=None, name=None, description=None, refresh=None) -> Calendar:
    """An empty VCALENDAR. Feeds pass ``name`` (NAME + X-WR-CALNAME) and ``refresh``."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
    if description:
        cal.add("description", description)
        cal.add("x-wr-caldesc", description)
    if refresh:
        # RFC 7986 REFRESH-INTERVAL must say VALUE=DURATION; Outlook reads X-PUBLISHED-TTL.
        cal.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(refresh))
    return cal


def add_timezones(cal: Calendar) -> Calendar:
    """Add one VTIMEZONE for every TZID the calendar's events use, before the events.

    The rules cover a year either side of the events (DST rules are fixed yearly, so this
    keeps the block short while a client expanding nearby dates still finds them).
    """
    years = []
    for vevent in cal.walk("VEVENT"):
        for prop in ("DTSTART", "DTEND"):
            value = vevent.get(prop)
            if value is not None:
                years.append(value.dt.year)
        # A series needs the zone's rules until its last occurrence, not just its first.
        rule = vevent.get("RRULE")
        until = rule.get("UNTIL") if rule is not None else None
        if until:
            # A parsed rule holds a list, one built here the value itself.
            years.append((until[0] if isinstance(until, list) else until).year)
    if not years:
        return cal
    cal.add_missing_timezones(
        first_date=dt.date(min(years) - 1, 1, 1), last_date=dt.date(max(years) + 2, 1, 1)
    )
    return cal


def earlier_registrations_offset(registration) -> int:
    """SEQUENCE a re-registration must add to outrank what earlier ones sent.

    A member who cancelled received a CANCEL at (event + registration) sequence; their new
    registration starts again at 0, and a REQUEST with a lower or equal SEQUENCE for the same
    UID is ignored by calendar clients. Each earlier registration adds its own bumps plus one.
    One query.
    """
    if registration.pk is None:
        return 0
    totals = Registration.objects.filter(
        event_id=registration.event_id, user_id=registration.user_id, pk__lt=registration.pk
    ).aggregate(bumps=Sum("sequence"), count=Count("pk"))
    return (totals["bumps"] or 0) + totals["count"]


def invite_calendar(registration, method, *, private=False, now=None) -> Calendar:
    """The iTIP message for one registrant: METHOD ``method``, one VEVENT, its VTIMEZONE.

    Reads the database: the event's calendar state (created if missing) and the registrant's
    earlier registrations.

    The caller passes sequences already bumped (services.registration_cancel bumps the
    registration's, event_record_change the event's), so a CANCEL always outranks the invite
    it replaces.
    """
    event = registration.event
    state = event.calendar
    cal = new_calendar(method=method)
    vevents = build_vevents(
        event,
        state,
        method=method,
        private=private,
        registration=registration,
        now=now,
        sequence_offset=earlier_registrations_offset(registration),
    )
    for vevent in vevents:
        vevent.add("organizer", organizer_address())
        vevent.add("attendee", attendee_address(registration, method))
        cal.add_component(vevent)
    return add_timezones(cal)


def calendar_bytes(cal: Calendar) -> bytes:
    return cal.to_ical()


FEED_REFRESH = dt.timedelta(hours=1)
TENTATIVE_REGISTRATIONS = {"pending", "waitlisted"}


def _state(event):
    """The event's calendar state, as a feed's queryset loaded it (select_related)."""
    try:
        return event.calendar_state
    except ObjectDoesNotExist:
        # Published events always have one; this covers rows made outside the publish path.
        return event.calendar


def registration_status(event, registration) -> str | None:
    """STATUS for a registrant's copy in a feed; None keeps the event's own."""
    if registration is None or event.status == "cancelled":
        return None
    if registration.status in SEAT_STATUSES:
        return None
    if registration.status in TENTATIVE_REGISTRATIONS:
        return "TENTATIVE"
    # Cancelled or rejected: kept with STATUS:CANCELLED so subscribed calendars remove it.
    return "CANCELLED"


def build_feed(
    events,
    *,
    name,
    description,
    private_for=None,
    now=None,
    registrations=None,
    urls=None,
) -> Calendar:
    """A subscribable calendar (METHOD:PUBLISH) of ``events``.

    Join details appear only for ``private_for``'s own confirmed registrations (from
    ``registrations``, keyed by event id) and only when the access policy allows it; every
    other channel gets none. ``urls`` maps event ids to page addresses, so building the feed
    runs no query per event.
    """
    registrations = registrations or {}
    urls = urls or {}
    cal = new_calendar(
        method=METHOD_PUBLISH, name=name, description=description, refresh=FEED_REFRESH
    )
    for event in events:
        registration = registrations.get(event.pk)
        private = bool(
            private_for is not None
            and registration is not None
            and access.can(private_for, "events.see_join_link", registration)
        )
        for vevent in build_vevents(
            event,
            _state(event),
            private=private,
            registration=registration,
            now=now,
            url=urls.get(event.pk),
            status=registration_status(event, registration),
        ):
            cal.add_component(vevent)
    return add_timezones(cal)
