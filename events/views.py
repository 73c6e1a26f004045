"""The events app's HTTP views that are not pages: the former registration address, cancelling
a registration, and "My events". Views stay thin: the models read, the services decide."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from community import access
from community.viewer_zone import viewer_zone_info

from . import services
from .choices import RegistrationStatus
from .models import EventPage, Registration


def register(request, event_id):
    """The former form address: a GET (a reopened tab, a bookmark) goes to the event page,
    a POST from a page loaded before the form moved is handled like one on the page."""
    user = request.user
    event = EventPage.objects.listed_for(user).filter(pk=event_id).first()
    if event is None:
        if not user.is_authenticated and request.method == "POST":
            return redirect_to_login(reverse("events:my_events"))
        raise Http404
    if request.method != "POST":
        return redirect(event.get_url(request))
    return event.serve_registration(request)


def _cancel_target(request, event):
    target = request.POST.get("next") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if access.can(request.user, "view", event) and event.live:
        return event.get_url(request)
    return reverse("events:my_events")


def cancel(request, pk):
    """Cancelling asks first: GET (or a POST without ``confirm``) shows what will happen to
    the seat; a POST with ``confirm`` cancels. A second confirm (a double click) finds the
    registration already cancelled and says so."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    registration = get_object_or_404(
        Registration.objects.visible_to(user).filter(user=user).select_related("event"), pk=pk
    )
    event = registration.event
    if not access.can(user, "view", event):
        raise Http404
    target = _cancel_target(request, event)
    if registration.status == RegistrationStatus.CANCELLED:
        if request.method == "POST":
            text = _("Your registration for “%(title)s” is already cancelled.")
            messages.info(request, text % {"title": event.title})
            return redirect(target)
        raise Http404
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        waiting = 0
        if registration.holds_seat:
            waiting = Registration.objects.filter(event=event).waitlisted().count()
        return TemplateResponse(
            request,
            "events/cancel_registration.html",
            {
                "registration": registration,
                "event": event,
                "may_cancel": registration.member_may_cancel(),
                "waiting": waiting,
                "waitlist_position": Registration.objects.waitlist_position(registration),
                "next": target,
                "viewer_zone": viewer_zone_info(request)[0],
            },
        )
    try:
        services.registration_cancel(registration, by=user)
    except services.NotAllowed as exc:
        raise Http404 from exc
    except services.RegistrationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your registration for “%(title)s” is cancelled.") % {"title": event.title}
        )
    return redirect(target)


def _released_recordings(user, event, registration):
    # The raw stream: titles and release dates only, so no media rows load per event.
    items = []
    for item in event.recordings.raw_data:
        value = item.get("value") or {}
        if access.can(user, "events.view_release", (event, value, registration)):
            items.append({"title": value.get("title", ""), "anchor": f"recording-{item.get('id')}"})
    return items


@require_GET
def my_events(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    now = timezone.now()
    registrations = (
        Registration.objects.visible_to(user)
        .filter(user=user, event__live=True)
        # An event the member may no longer see is skipped outright: not even its title.
        .filter(access.audience_filter(user, "event__audience"))
        .select_related("event")
        .order_by("event__start", "created_at", "pk")
        .with_positions()
    )
    upcoming, past = [], []
    for registration in registrations:
        event = registration.event
        if not access.can(user, "view", event):
            continue
        registration.may_cancel = registration.member_may_cancel(now)
        registration.join_url = (
            event.online_join_url
            if not event.is_over_at(now) and access.can(user, "events.see_join_link", registration)
            else ""
        )
        if not event.is_over_at(now):
            upcoming.append(registration)
        else:
            registration.released_recordings = _released_recordings(user, event, registration)
            past.append(registration)
    past.reverse()
    zone, fixed = viewer_zone_info(request)
    return TemplateResponse(
        request,
        "events/my_events.html",
        # Time zones: without a profile zone the page says the browser's zone is used.
        {"upcoming": upcoming, "past": past, "viewer_zone": zone, "viewer_zone_fixed": fixed},
    )
