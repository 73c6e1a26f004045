"""The events app's Wagtail hooks: its admin viewsets (events/viewsets.py) and their
permission policy (events/permissions.py), the dashboard panel, the buttons on event pages,
the sections it adds to the home page and the account page, and the labels of its actions in
the audit trail (events/audit_actions.py).

Topic is registered as a snippet in events/models.py (``@register_snippet``); a second
registration here would clash with it.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from community import audit
from community.accounts import AccountLink

from . import admin_views, sections
from .audit_actions import EVENT_ACTIONS
from .models import EventPage, Registration
from .permissions import registration_policy
from .viewsets import EventPageViewSet, EventsViewSet, RegistrationsViewSet

# Registered before any view asks, so Wagtail never builds its model-permission fallback
# for registrations: the access policy alone decides who manages them.
register_permission_policy(Registration, registration_policy)


@hooks.register("register_admin_viewset")
def register_events_viewsets():
    return [EventsViewSet(), RegistrationsViewSet(), EventPageViewSet()]


@hooks.register("construct_homepage_panels")
def add_events_dashboard_panel(request, panels):
    if registration_policy.user_has_permission(request.user, "view"):
        panels.append(admin_views.EventsDashboardPanel(request))


@hooks.register("insert_global_admin_css")
def events_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/events-admin.css"))


def _is_event(page) -> bool:
    # specific_class reads the content type from cache: no query per listed page.
    return page.specific_class is not None and issubclass(page.specific_class, EventPage)


@hooks.register("register_page_listing_buttons")
def registrations_listing_button(page, user, next_url=None):
    # A button of its own on each event's row in the page explorer, not inside the "…" menu.
    if _is_event(page):
        yield admin_views.RegistrationsButton(page=page, priority=15)


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


@hooks.register("register_log_actions")
def register_event_log_actions(actions):
    for name, formatter in EVENT_ACTIONS.items():
        audit.register(actions, name, formatter)
