"""How the audit trail shows the events app's actions: a label per action and a line per
entry, written from the entry's data (never from the objects, which may have changed or gone
since). Registered with Wagtail's log-action registry in ``wagtail_hooks.py``."""

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from community import audit

from .choices import RegistrationStatus


class EventAction(audit.AuditFormatter):
    # Whoever manages registrations reads what happened to them and to the events.
    capability = "events.manage_registrations"

    @staticmethod
    def status(value) -> str:
        if value in RegistrationStatus.values:
            return str(RegistrationStatus(value).label)
        return str(value or "")

    def change(self, data) -> str:
        return gettext("%(old)s → %(new)s") % {
            "old": self.status(data.get("old_status")),
            "new": self.status(data.get("new_status")),
        }


class RegistrationCreated(EventAction):
    label = _("Registration: registered")

    def describe(self, data):
        return gettext("Registered (%(status)s)") % {"status": self.status(data.get("new_status"))}


class RegistrationApproved(EventAction):
    label = _("Registration: approved")

    def describe(self, data):
        return gettext("Approved the registration (%(change)s)") % {"change": self.change(data)}


class RegistrationRejected(EventAction):
    label = _("Registration: rejected")

    def describe(self, data):
        return gettext("Rejected the registration (%(change)s): %(reason)s") % {
            "change": self.change(data),
            "reason": self.short(data.get("reason")),
        }


class RegistrationAttended(EventAction):
    label = _("Registration: marked attended")
    message = _("Marked as attended")


class RegistrationCancelled(EventAction):
    label = _("Registration: cancelled")

    def describe(self, data):
        if data.get("by") == "member":
            text = gettext("Cancelled their own registration (%(change)s)")
        else:
            text = gettext("Cancelled the registration for the member (%(change)s)")
        return text % {"change": self.change(data)}


class RegistrationPromoted(EventAction):
    label = _("Registration: promoted from the waitlist")
    message = _("Promoted from the waitlist: a seat became free")


class AttendeesMessaged(EventAction):
    label = _("Event: message to attendees")

    def describe(self, data):
        count = data.get("count", 0)
        return ngettext(
            "Sent “%(subject)s” to %(count)s registrant",
            "Sent “%(subject)s” to %(count)s registrants",
            count,
        ) % {"subject": self.short(data.get("subject")), "count": count}


class EventCancelled(EventAction):
    label = _("Event: cancelled")

    def describe(self, data):
        count = data.get("notified", 0)
        if data.get("with_message"):
            text = ngettext(
                "Cancelled the event; %(count)s registrant notified, with a message",
                "Cancelled the event; %(count)s registrants notified, with a message",
                count,
            )
        else:
            text = ngettext(
                "Cancelled the event; %(count)s registrant notified",
                "Cancelled the event; %(count)s registrants notified",
                count,
            )
        return text % {"count": count}


class CalendarLinkIssued(EventAction):
    label = _("Calendar link: created")

    def describe(self, data):
        if data.get("replaced"):
            return gettext("Created a new calendar link, replacing the previous one")
        return gettext("Created a calendar link")


class CalendarLinkRevoked(EventAction):
    label = _("Calendar link: revoked")

    def describe(self, data):
        if data.get("replaced_by"):
            return gettext("Revoked: replaced by a new calendar link")
        return gettext("Revoked the calendar link")


EVENT_ACTIONS = {
    "events.registration.create": RegistrationCreated,
    "events.registration.approve": RegistrationApproved,
    "events.registration.reject": RegistrationRejected,
    "events.registration.attended": RegistrationAttended,
    "events.registration.cancel": RegistrationCancelled,
    "events.registration.promote": RegistrationPromoted,
    "events.message_attendees": AttendeesMessaged,
    "events.event.cancel": EventCancelled,
    "events.calendar_token.issue": CalendarLinkIssued,
    "events.calendar_token.revoke": CalendarLinkRevoked,
}
