"""The events app's sections on pages other apps own: the home page's "Upcoming events" and
the account dashboard's "Your upcoming events". Gathered through Wagtail hooks
(``home_page_sections``, ``account_dashboard_sections``), so ``home`` and ``community``
never import the events app."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.viewer_zone import viewer_zone_info

from .models import EventIndexPage, EventPage, Registration
from .models.pages import mark_viewer_registrations

HOME_SECTION_SIZE = 3
ACCOUNT_SECTION_SIZE = 5


def home_upcoming_section(request):
    events = list(EventPage.objects.listed_for(request.user).upcoming()[:HOME_SECTION_SIZE])
    if not events:
        # An empty section is noise on the home page; it reappears with the next event.
        return None
    mark_viewer_registrations(request.user, events)
    index = EventIndexPage.objects.live().first()
    return {
        "title": _("Upcoming events"),
        "template": "events/includes/home_section.html",
        "items": events,
        "more_url": index.get_url(request) if index else None,
        "viewer_zone": viewer_zone_info(request)[0],
    }


def account_upcoming_section(request):
    """The member's next registrations, for the dashboard sign-in lands on."""
    user = request.user
    if not user.is_authenticated:
        return None
    registrations = (
        # visible_to() gives staff everyone's rows: keep the viewer's own.
        Registration.objects.visible_to(user)
        .cancellable()
        .filter(user=user, event__live=True, event__last_end__gt=timezone.now())
        .filter(access.audience_filter(user, "event__audience"))
        .select_related("event")
        .order_by("event__start", "pk")[:ACCOUNT_SECTION_SIZE]
        .with_positions()
    )
    return {
        "title": _("Your upcoming events"),
        "template": "events/includes/account_upcoming.html",
        "registrations": registrations,
        "more_url": reverse("events:my_events"),
        "viewer_zone": viewer_zone_info(request)[0],
    }
