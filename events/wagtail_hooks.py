"""Events in the Wagtail admin: per-event registration screens and the home page section.

Topic is registered as a snippet in events/models.py (``@register_snippet``); a second
registration here would clash with it.
"""

from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem

from community import access

from . import admin_views
from .models import EventPage

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


@hooks.register("register_admin_urls")
def register_event_admin_urls():
    return [
        path(
            "events/<int:event_id>/registrations/",
            include((admin_urlpatterns, "events_admin"), namespace="events_admin"),
        )
    ]


class RegistrationsButton(PageMenuItem):
    label = _("Registrations")
    icon_name = "group"
    url_name = "events_admin:registrations"

    def is_shown(self, user):
        return access.can(user, "events.manage_registrations", self.page)


def _is_event(page) -> bool:
    # specific_class reads the content type from cache: no query per listed page.
    return page.specific_class is not None and issubclass(page.specific_class, EventPage)


@hooks.register("register_page_listing_more_buttons")
def registrations_listing_button(page, user, next_url=None):
    if _is_event(page):
        yield RegistrationsButton(page=page, priority=15)


@hooks.register("register_page_header_buttons")
def registrations_header_button(page, user, view_name, next_url=None):
    if _is_event(page):
        yield RegistrationsButton(page=page, priority=12)


@hooks.register("home_page_sections")
def upcoming_events_section(request):
    # Imported late: the views module pulls in page models and templates the admin's
    # startup does not need.
    from . import views

    section = getattr(views, "home_upcoming_section", None)
    return section(request) if section is not None else None
