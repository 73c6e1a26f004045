"""The events admin as Wagtail viewsets: their URLs, menu item and breadcrumbs.

Two viewsets, because Wagtail gives each one URL namespace: ``events_overview`` (the Events
menu item, ``/admin/events/``) and ``events_admin`` (one event's registration screens,
``/admin/events/<id>/registrations/``). The views live in :mod:`events.admin_views`; who may
open them is :mod:`events.permissions`. Registered from ``events/wagtail_hooks.py``.
"""

from django.urls import path, reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.pages import PageViewSet

from . import admin_views
from .models import EventIndexPage, EventPage
from .permissions import registration_policy


class EventsViewSet(ViewSet):
    """Admin menu "Events": the events overview and its results-only listing."""

    name = "events_overview"
    url_prefix = "events"
    icon = "date"
    menu_label = _("Events")
    menu_name = "events"
    #: Right below Pages (100): where an editor running an event looks first.
    menu_order = 110
    add_to_admin_menu = True
    #: Asked by the views and by the menu item: only lab staff see any of it.
    permission_policy = registration_policy
    #: The first breadcrumb of every events screen.
    breadcrumbs_items = WagtailAdminTemplateMixin.breadcrumbs_items

    @cached_property
    def menu_item_class(self):
        policy = self.permission_policy

        class EventsMenuItem(MenuItem):
            def is_shown(self, request):
                return policy.user_has_permission(request.user, "view")

        return EventsMenuItem

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            header_icon=self.icon,
            breadcrumbs_items=self.breadcrumbs_items,
            index_url_name=self.get_url_name("index"),
            index_results_url_name=self.get_url_name("index_results"),
            **kwargs,
        )

    def get_urlpatterns(self):
        view = admin_views.EventsOverviewView
        return [
            path("", self.construct_view(view), name="index"),
            path("results/", self.construct_view(view, results_only=True), name="index_results"),
        ]


class RegistrationsViewSet(ViewSet):
    """One event's screens: its registrations (with exports), bulk decisions, a message to
    attendees, cancelling the event. No menu item of its own: they are reached from the
    Events screen, the dashboard and the event's page."""

    name = "events_admin"
    # Wagtail includes a viewset's URLs under "<url_prefix>/"; the event is part of it.
    url_prefix = "events/<id:event_id>/registrations"
    icon = "date"
    permission_policy = registration_policy
    #: Home › Events, then each view adds the event and itself.
    breadcrumbs_items = [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse_lazy("events_overview:index"), "label": _("Events")},
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            header_icon=self.icon, breadcrumbs_items=self.breadcrumbs_items, **kwargs
        )

    def get_urlpatterns(self):
        listing = admin_views.RegistrationIndexView
        return [
            path("", self.construct_view(listing), name="registrations"),
            path(
                "results/",
                self.construct_view(listing, results_only=True),
                name="registrations_results",
            ),
            path("bulk/", self.construct_view(admin_views.BulkActionView), name="bulk"),
            path("message/", self.construct_view(admin_views.MessageAttendeesView), name="message"),
            path("cancel/", self.construct_view(admin_views.CancelEventView), name="cancel"),
        ]


class EventPageViewSet(PageViewSet):
    model = EventPage
    # The events index holds only events: its explorer listing is this viewset's.
    parent_models = [EventIndexPage]
    icon = "date"
    edit_view_class = admin_views.EventPageEditView
    list_display = [
        *PageViewSet.columns[:2],
        Column("when", label=_("When (event's time zone)"), accessor=admin_views.event_when),
        *PageViewSet.columns[2:],
    ]
