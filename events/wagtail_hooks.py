"""Events in the Wagtail admin: the Events menu item and dashboard panel, per-event
registration screens, their buttons on event pages, the home page section, and the event
actions the audit trail records.

Topic is registered as a snippet in events/models.py (``@register_snippet``); a second
registration here would clash with it.
"""

from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.admin.widgets.button import HeaderButton

from community import access, audit
from community.accounts import AccountLink

from . import admin_views, sections
from .models import EventIndexPage, EventPage, RegistrationStatus

admin_urlpatterns = [
    path("", admin_views.RegistrationIndexView.as_view(), name="registrations"),
    path(
        "results/",
        admin_views.RegistrationIndexView.as_view(results_only=True),
        name="registrations_results",
    ),
    path("bulk/", admin_views.BulkActionView.as_view(), name="bulk"),
    path("message/", admin_views.MessageAttendeesView.as_view(), name="message"),
    path("cancel/", admin_views.CancelEventView.as_view(), name="cancel"),
]

overview_urlpatterns = [
    path("", admin_views.EventsOverviewView.as_view(), name="index"),
    path(
        "results/", admin_views.EventsOverviewView.as_view(results_only=True), name="index_results"
    ),
]


@hooks.register("register_admin_urls")
def register_event_admin_urls():
    return [
        path(
            "events/",
            include((overview_urlpatterns, "events_overview"), namespace="events_overview"),
        ),
        path(
            "events/<id:event_id>/registrations/",
            include((admin_urlpatterns, "events_admin"), namespace="events_admin"),
        ),
    ]


# --- Menu item and dashboard --------------------------------------------------------------


class EventsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can(request.user, "events.manage_registrations")


@hooks.register("register_admin_menu_item")
def register_events_menu_item():
    # Right below Pages (order 100): where an editor running an event looks first.
    return EventsMenuItem(
        _("Events"), reverse("events_overview:index"), name="events", icon_name="date", order=110
    )


@hooks.register("construct_homepage_panels")
def add_events_dashboard_panel(request, panels):
    if access.can(request.user, "events.manage_registrations"):
        panels.append(admin_views.EventsDashboardPanel(request))


@hooks.register("insert_global_admin_css")
def events_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/events-admin.css"))


# --- Buttons on event pages ---------------------------------------------------------------


class RegistrationsButton(PageMenuItem):
    label = _("Registrations")
    icon_name = "group"
    url_name = "events_admin:registrations"

    def is_shown(self, user):
        return access.can(user, "events.manage_registrations", self.page)


def _is_event(page) -> bool:
    # specific_class reads the content type from cache: no query per listed page.
    return page.specific_class is not None and issubclass(page.specific_class, EventPage)


@hooks.register("register_page_listing_buttons")
def registrations_listing_button(page, user, next_url=None):
    # A button of its own on each event's row in the page explorer, not inside the "…" menu.
    if _is_event(page):
        yield RegistrationsButton(page=page, priority=15)


class EventPageEditView(EditView):
    """The event page's editor, with "Registrations" and "Download CSV" in its header
    (Wagtail puts every hooked header button into the "…" menu)."""

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if access.can(self.request.user, "events.manage_registrations", self.page):
            url = reverse("events_admin:registrations", args=[self.page.pk])
            buttons += [
                HeaderButton(_("Registrations"), url=url, icon_name="group", priority=10),
                HeaderButton(
                    _("Download CSV"),
                    url=f"{url}?export=csv",
                    icon_name="download",
                    priority=20,
                    attrs={"download": ""},
                ),
            ]
        return buttons


class EventPageViewSet(PageViewSet):
    model = EventPage
    # The events index holds only events: its explorer listing is this viewset's.
    parent_models = [EventIndexPage]
    icon = "date"
    edit_view_class = EventPageEditView
    list_display = [
        *PageViewSet.columns[:2],
        Column("when", label=_("When (event's time zone)"), accessor=admin_views.event_when),
        *PageViewSet.columns[2:],
    ]


@hooks.register("register_admin_viewset")
def register_event_page_viewset():
    return EventPageViewSet()


@hooks.register("home_page_sections")
def upcoming_events_section(request):
    return sections.home_upcoming_section(request)


@hooks.register("account_dashboard_sections")
def account_upcoming_section(request):
    return sections.account_upcoming_section(request)


@hooks.register("account_links")
def account_links(request):
    return [
        AccountLink(
            _("My events"),
            reverse("events:my_events"),
            _("Every event you registered for, upcoming and past."),
            160,
        ),
        AccountLink(
            _("Calendar link"),
            reverse("events:calendar_token"),
            _("A private link that puts your events in your calendar app."),
            170,
        ),
    ]


# --- Audit trail --------------------------------------------------------------------------


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


@hooks.register("register_log_actions")
def register_event_log_actions(actions):
    for name, formatter in EVENT_ACTIONS.items():
        audit.register(actions, name, formatter)
