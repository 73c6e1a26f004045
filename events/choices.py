"""Every fixed set of values the events app uses: model choices, and the states and kinds
code branches on. A typo in one of these is an ``AttributeError`` at import, not a branch that
silently never runs."""

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _

from community.access import Audience


class EventKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    WORKSHOP = "workshop", _("Workshop")
    PANEL = "panel", _("Panel discussion")
    WEBINAR = "webinar", _("Webinar")
    TRAINING = "training", _("Training")
    ROUNDTABLE = "roundtable", _("Roundtable")


class EventFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


class Repeat(models.TextChoices):
    NONE = "", _("Does not repeat")
    WEEKLY = "weekly", _("Every week (or every N weeks)")
    MONTHLY_WEEKDAY = "monthly_weekday", _("Every month on the same weekday, e.g. first Tuesday")
    MONTHLY_DATE = "monthly_date", _("Every month on the same date")


class RegistrationAudience(models.TextChoices):
    """Who may register. Always a subset of who may see the event."""

    NOBODY = "nobody", _("No registration")
    # Outside speakers, academia, industry and civil society: any account with a confirmed
    # email address, vetted or not. Only on public events.
    SIGNED_IN = "signed_in", _("Anyone signed in with a confirmed email address")
    MEMBERS = Audience.MEMBERS.value, _("Verified members")
    LAW_ENFORCEMENT = Audience.LAW_ENFORCEMENT.value, _("Law-enforcement members")
    STAFF = Audience.STAFF.value, _("Lab staff")


#: Which registration levels each visibility admits: registration is never wider than sight.
REGISTRATION_WITHIN_AUDIENCE = {
    Audience.PUBLIC: frozenset(RegistrationAudience.values) - {RegistrationAudience.NOBODY},
    Audience.MEMBERS: frozenset({"members", "law_enforcement", "staff"}),
    Audience.LAW_ENFORCEMENT: frozenset({"law_enforcement", "staff"}),
    Audience.STAFF: frozenset({"staff"}),
}


class Attendance(models.TextChoices):
    """How a registrant attends a hybrid event. Only in-person seats count for capacity."""

    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")
    ATTENDED = "attended", _("Attended")


#: A registration that still counts: one per member and event (a partial unique index).
ACTIVE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.ATTENDED,
)
#: A registration that holds a seat (at a hybrid event, online ones take none of the room's).
SEAT_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)
#: What a member may still cancel (before the deadline); staff may cancel the same.
CANCELLABLE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
)


class _TemplateSafe(enum.StrEnum):
    # Django templates call callables; an enum class must be looked up, not called.
    do_not_call_in_templates = enum.nonmember(True)


class RegistrationWindow(_TemplateSafe):
    """Why the registration form is shown or not (``EventPage.registration_window``)."""

    NONE = "none"  # the event takes no registrations
    NOT_SCHEDULED = "not_scheduled"  # postponed or cancelled
    STARTED = "started"  # no date left to begin
    NOT_OPEN = "not_open"  # before registration opens
    CLOSED = "closed"  # after registration closes
    OPEN = "open"


class Panel(_TemplateSafe):
    """Which registration panel the event page shows this viewer."""

    NONE = "none"
    REGISTERED = "registered"
    CLOSED = "closed"
    ANONYMOUS = "anonymous"
    PENDING = "pending"
    NOT_ALLOWED = "not_allowed"
    OPEN = "open"


class EmailKind(_TemplateSafe):
    """The registration emails; the value names the template under ``events/email/``."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    PROMOTED = "promoted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EVENT_UPDATED = "event_updated"
    EVENT_CANCELLED = "event_cancelled"
    REMINDER = "reminder"

    @classmethod
    def reminder(cls, hours: int) -> str:
        """The queued kind of a reminder ``hours`` before: "reminder_24h"."""
        return f"{cls.REMINDER}_{int(hours)}h"


#: Kinds that carry a METHOD:REQUEST invite (for seat holders) and may show the join link.
REQUEST_KINDS = frozenset(
    {
        EmailKind.CONFIRMED,
        EmailKind.PROMOTED,
        EmailKind.APPROVED,
        EmailKind.EVENT_UPDATED,
        EmailKind.REMINDER,
    }
)
CANCEL_KINDS = frozenset({EmailKind.CANCELLED, EmailKind.EVENT_CANCELLED})
#: Kinds only worth sending while the registration still holds its seat.
SEAT_KINDS = frozenset(
    {EmailKind.CONFIRMED, EmailKind.PROMOTED, EmailKind.APPROVED, EmailKind.REMINDER}
)
