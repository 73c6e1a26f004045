"""Event pages, registration and "My events". Views stay thin: the service decides."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from community import access, timezones

from . import services
from .forms import RegistrationForm
from .models import (
    EventFormat,
    EventIndexPage,
    EventKind,
    EventPage,
    Registration,
    RegistrationStatus,
    Topic,
    seat_q,
)

PAGE_SIZE = 12
CANCELLABLE = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
)


# --- shared helpers ---------------------------------------------------------------------


def viewer_zone_info(request) -> tuple[str, bool]:
    """(zone, fixed): see community.timezones.viewer_zone_info, the one place that reads it."""
    return timezones.viewer_zone_info(request)


def viewer_zone(request) -> str:
    """The viewer's zone: their membership's, else UTC."""
    return viewer_zone_info(request)[0]


def visible_events(user, parent=None):
    """Live events this viewer may see; the one road to event rows for listings."""
    qs = EventPage.objects.live().visible_to(user)
    if parent is not None:
        qs = qs.child_of(parent)
    return qs


def with_seat_counts(qs):
    return qs.annotate(seats_taken=Count("registrations", filter=seat_q("registrations__")))


def seats_left(event, taken):
    if event.capacity is None:
        return None
    return max(event.capacity - taken, 0)


def released(user, event, stream, registration):
    """Items of a materials/recordings stream this viewer may see, per the release rule."""
    return [
        block
        for block in stream
        if access.can(user, "events.view_release", (event, block.value, registration))
    ]


def waitlist_position(registration) -> int | None:
    if registration is None or registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        event_id=registration.event_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(created_at__lt=registration.created_at)
        | Q(created_at=registration.created_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def mark_viewer_state(user, events) -> None:
    """Set ``event.viewer_registration`` (the viewer's active registration, with its
    ``waitlist_position``) on each listed event: two queries for the whole list, none per card."""
    events = list(events)
    for event in events:
        event.viewer_registration = None
    if user is None or not user.is_authenticated or not events:
        return
    registrations = list(
        Registration.objects.visible_to(user)
        .active()
        .filter(user=user, event_id__in=[event.pk for event in events])
    )
    positions = _waitlist_positions(registrations)
    by_event = {}
    for registration in registrations:
        registration.waitlist_position = positions.get(registration.pk)
        by_event[registration.event_id] = registration
    for event in events:
        event.viewer_registration = by_event.get(event.pk)


def may_cancel(registration, event, now=None) -> bool:
    now = now or timezone.now()
    return (
        registration is not None and registration.status in CANCELLABLE and event.may_cancel_at(now)
    )


def panel_state(user, page, registration, state, may_register) -> str:
    """Which registration panel the viewer gets; the order matters (most specific first)."""
    if state == "none":
        return "none"
    if registration is not None:
        return "registered"
    if state != "open":
        return "closed"
    user_roles = access.roles(user)
    if access.Role.ANONYMOUS in user_roles:
        return "anonymous"
    if not may_register and access.Role.PENDING in user_roles:
        return "pending"
    if not may_register:
        return "not_allowed"
    return "open"


# --- page contexts ----------------------------------------------------------------------


def event_page_context(request, page):
    user = request.user
    registration = services.active_registration(user, page)
    state = page.registration_state()
    may_register = access.can(user, "events.register", page)
    panel = panel_state(user, page, registration, state, may_register)
    taken = services.seats_taken(page) if page.capacity is not None else 0
    join_url = ""
    if registration is not None and access.can(user, "events.see_join_link", registration):
        join_url = page.online_join_url
    return {
        "registration": registration,
        "may_register": may_register,
        "registration_state": state,
        "panel": panel,
        "form": RegistrationForm(page) if panel == "open" else None,
        "viewer_zone": viewer_zone(request),
        "viewer_zone_fixed": viewer_zone_info(request)[1],
        "materials": released(user, page, page.materials, registration),
        "recordings": released(user, page, page.recordings, registration),
        "waitlist_position": waitlist_position(registration),
        "seats_left": seats_left(page, taken),
        "may_cancel": may_cancel(registration, page),
        "join_url": join_url,
        "series_dates": page.next_occurrences(limit=6) if page.is_recurring else [],
        "login_url": f"{reverse('account_login')}?{urlencode({'next': page.get_url(request)})}",
    }


def _choice(value, allowed):
    return value if value in allowed else ""


def event_index_context(request, page):
    user = request.user
    now = timezone.now()
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    qs = visible_events(user, page)
    if when == "past":
        qs = qs.filter(last_end__lte=now).order_by("-start", "pk")
    else:
        qs = qs.filter(last_end__gt=now).order_by("start", "pk")

    topics = list(Topic.objects.all())
    allowed_audiences = [
        (value, label)
        for value, label in access.Audience.choices
        if value in access.audiences(user)
    ]
    filters = {
        "kind": _choice(request.GET.get("kind"), EventKind.values),
        "format": _choice(request.GET.get("format"), EventFormat.values),
        "audience": _choice(request.GET.get("audience"), [v for v, _label in allowed_audiences]),
        "topic": _choice(request.GET.get("topic"), [t.slug for t in topics]),
    }
    if filters["kind"]:
        qs = qs.filter(kind=filters["kind"])
    if filters["format"]:
        qs = qs.filter(format=filters["format"])
    if filters["audience"]:
        qs = qs.filter(audience=filters["audience"])
    if filters["topic"]:
        qs = qs.filter(topics__slug=filters["topic"])

    qs = with_seat_counts(qs).prefetch_related("topics")
    events_page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    mark_viewer_state(user, events_page)
    for event in events_page:
        event.seats_left = seats_left(event, event.seats_taken)
        event.is_full = event.seats_left == 0
        # A series shows its next dates on the card (computed in Python: no query).
        event.upcoming_dates = (
            event.next_occurrences(limit=3, now=now) if event.is_recurring else []
        )
    return {
        "when": when,
        "events_page": events_page,
        "filters": filters,
        "has_filters": any(filters.values()),
        "kind_choices": EventKind.choices,
        "format_choices": EventFormat.choices,
        "audience_choices": allowed_audiences if len(allowed_audiences) > 1 else [],
        "topics": topics,
        "viewer_zone": viewer_zone(request),
        **withheld_summary(user, page, when, now),
    }


def withheld_summary(user, page, when, now):
    """How many more events under ``page`` a verified membership would show: a count only,
    through the policy, never with titles. Filters are ignored on purpose: counting hidden
    events per kind or topic would tell more about them than "there are more"."""
    withheld = access.withheld_audiences(user)
    if not withheld:
        return {"withheld_count": 0}
    qs = EventPage.objects.live().child_of(page).withheld_from(user)
    qs = qs.filter(last_end__lte=now) if when == "past" else qs.filter(last_end__gt=now)
    count = qs.count()
    return {
        "withheld_count": count,
        # Members who are not police can see everything but law-enforcement events.
        "withheld_to": "members" if access.Audience.MEMBERS in withheld else "law_enforcement",
        "viewer_is_anonymous": access.Role.ANONYMOUS in access.roles(user),
    }


# --- registration -----------------------------------------------------------------------


def _render_event(request, event, status, **extra):
    context = event.get_context(request)
    context.update(extra)
    return TemplateResponse(request, event.get_template(request), context, status=status)


def _refusal_message(user, event) -> str:
    if event.registration_audience == "signed_in":
        return _("Please confirm your email address before registering.")
    if access.Role.PENDING in access.roles(user):
        return _("You can register for events once your membership is verified.")
    return _("Registration for this event is reserved for: %(audience)s.") % {
        "audience": event.get_registration_audience_display()
    }


def _summary_errors(form, *messages_without_field):
    """The error summary's items: (anchor or "", message), fields first in form order."""
    items = [("", message) for message in messages_without_field if message]
    if form is not None and form.is_bound:
        for name in form.fields:
            bound = form[name]
            # Radio buttons label their fieldset, not one input: link to the first choice.
            anchor = bound.id_for_label or f"{bound.auto_id}_0"
            for message in form.errors.get(name, []):
                items.append((f"#{anchor}", message))
        for message in form.non_field_errors():
            items.append(("", message))
    return items


def register_on_page(request, event):
    """A registration POSTed to the event page itself, so the address stays the page's:
    success redirects back to it (post/redirect/get), a refusal renders it with one error
    summary at the top."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(event.get_url(request))
    if not access.can(user, "events.register", event):
        # The event is visible, so a 404 would only confuse: say why, write nothing.
        message = _refusal_message(user, event)
        return _render_event(request, event, 403, error_summary=_summary_errors(None, message))
    form = RegistrationForm(event, data=request.POST)
    if not form.is_valid():
        return _render_event(
            request, event, 400, form=form, panel="open", error_summary=_summary_errors(form)
        )
    try:
        registration = services.registration_create(
            user, event, form.answers(), attendance=form.attendance()
        )
    except services.NotAllowed as exc:
        raise Http404 from exc
    except services.Busy as exc:
        # Nothing was written; the answers stay in the form for a second try.
        response = _render_event(
            request,
            event,
            503,
            form=form,
            panel="open",
            error_summary=_summary_errors(None, exc.message),
        )
        response["Retry-After"] = "2"
        return response
    except services.RegistrationError as exc:
        for key, message in exc.field_errors.items():
            if key in form.fields:
                form.add_error(key, message)
        extra = {}
        if exc.field_errors:
            extra.update(form=form, panel="open")
            summary = _summary_errors(form)
        else:
            summary = _summary_errors(None, exc.message)
        return _render_event(request, event, 400, error_summary=summary, **extra)

    title = event.title
    if registration.status == RegistrationStatus.CONFIRMED:
        text = _("You are registered for “%(title)s”. Your seat is confirmed.") % {"title": title}
    elif registration.status == RegistrationStatus.WAITLISTED:
        text = _(
            "“%(title)s” is full. You are on the waitlist at position %(position)s; "
            "we will email you if a seat frees up."
        ) % {"title": title, "position": waitlist_position(registration)}
    else:
        text = _(
            "Your registration for “%(title)s” is pending approval. We will email you "
            "when the organisers have decided."
        ) % {"title": title}
    messages.success(request, text)
    return redirect(event.get_url(request))


def register(request, event_id):
    """The former form address: a GET (a reopened tab, a bookmark) goes to the event page,
    a POST from a page loaded before the form moved is handled like one on the page."""
    user = request.user
    event = visible_events(user).filter(pk=event_id).first()
    if event is None:
        if not user.is_authenticated and request.method == "POST":
            return redirect_to_login(reverse("events:my_events"))
        raise Http404
    if request.method != "POST":
        return redirect(event.get_url(request))
    return register_on_page(request, event)


def _cancel_target(request, event):
    target = request.POST.get("next") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if access.can(request.user, "view", event) and event.live:
        return event.get_url(request)
    return reverse("events:my_events")


def _waiting_count(event) -> int:
    return Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED).count()


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
        return TemplateResponse(
            request,
            "events/cancel_registration.html",
            {
                "registration": registration,
                "event": event,
                "may_cancel": may_cancel(registration, event),
                "waiting": _waiting_count(event) if registration.holds_seat else 0,
                "waitlist_position": waitlist_position(registration),
                "next": target,
                "viewer_zone": viewer_zone(request),
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


# --- My events --------------------------------------------------------------------------


def _waitlist_positions(registrations) -> dict[int, int]:
    """Positions of the viewer's waitlisted registrations, in one query."""
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    if not waiting:
        return {}
    queue = Registration.objects.filter(
        event_id__in={r.event_id for r in waiting}, status=RegistrationStatus.WAITLISTED
    ).order_by("event_id", "created_at", "pk")
    positions, counter = {}, {}
    for event_id, pk in queue.values_list("event_id", "pk"):
        counter[event_id] = counter.get(event_id, 0) + 1
        positions[pk] = counter[event_id]
    return {r.pk: positions.get(r.pk) for r in waiting}


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
    registrations = list(
        Registration.objects.visible_to(user)
        .filter(user=user, event__live=True)
        # An event the member may no longer see is skipped outright: not even its title.
        .filter(access.audience_filter(user, "event__audience"))
        .select_related("event")
        .order_by("event__start", "created_at", "pk")
    )
    positions = _waitlist_positions(registrations)
    upcoming, past = [], []
    for registration in registrations:
        event = registration.event
        if not access.can(user, "view", event):
            continue
        registration.may_cancel = may_cancel(registration, event, now)
        registration.join_url = (
            event.online_join_url
            if event.last_end > now and access.can(user, "events.see_join_link", registration)
            else ""
        )
        registration.waitlist_position = positions.get(registration.pk)
        if event.last_end > now:
            upcoming.append(registration)
        else:
            registration.released_recordings = _released_recordings(user, event, registration)
            past.append(registration)
    past.reverse()
    return TemplateResponse(
        request,
        "events/my_events.html",
        {
            "upcoming": upcoming,
            "past": past,
            "viewer_zone": viewer_zone(request),
            # Time zones: without a profile zone the page says the browser's zone is used.
            "viewer_zone_fixed": viewer_zone_info(request)[1],
        },
    )


# --- home page ----------------------------------------------------------------------------


def home_upcoming_section(request):
    events = list(
        visible_events(request.user).filter(last_end__gt=timezone.now()).order_by("start", "pk")[:3]
    )
    if not events:
        # An empty section is noise on the home page; it reappears with the next event.
        return None
    mark_viewer_state(request.user, events)
    index = EventIndexPage.objects.live().first()
    return {
        "title": _("Upcoming events"),
        "template": "events/includes/home_section.html",
        "items": events,
        "more_url": index.get_url(request) if index else None,
        "viewer_zone": viewer_zone(request),
    }


# --- "Your account" -----------------------------------------------------------------------


def account_upcoming_section(request):
    """The member's next registrations, for the dashboard sign-in lands on (community's
    ``account_dashboard_sections`` hook)."""
    user = request.user
    if not user.is_authenticated:
        return None
    now = timezone.now()
    registrations = list(
        # visible_to() gives staff everyone's rows: keep the viewer's own.
        Registration.objects.visible_to(user)
        .filter(user=user, event__live=True, event__last_end__gt=now, status__in=CANCELLABLE)
        .filter(access.audience_filter(user, "event__audience"))
        .select_related("event")
        .order_by("event__start", "pk")[:5]
    )
    positions = _waitlist_positions(registrations)
    for registration in registrations:
        registration.waitlist_position = positions.get(registration.pk)
    return {
        "title": _("Your upcoming events"),
        "template": "events/includes/account_upcoming.html",
        "registrations": registrations,
        "more_url": reverse("events:my_events"),
        "viewer_zone": viewer_zone(request),
    }
