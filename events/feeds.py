"""Calendar feeds: the public feed, one file per event, and a member's token feeds.

Views gather rows (a constant number of queries), answer conditional GETs from a cheap
signature of those rows, and hand the rows to ``ical.build_feed`` (a pure function).
Visibility is decided here, at request time, through ``visible_to`` for the feed's owner:
a member who loses access stops seeing restricted events on the next fetch.
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from community import access
from community import links as site_links
from community.models import Membership

from . import ical, links, tokens
from .filters import EventFilters, FilterError
from .models import EventPage, Registration, Topic

# Past events stay this long, so a subscriber's calendar keeps recent history.
PAST_WINDOW = dt.timedelta(days=90)
PUBLIC_MAX_AGE = 3600
PRIVATE_MAX_AGE = 900
ONE_TIME_TOKEN_KEY = "events_calendar_token_once"  # noqa: S105 (a session key name)


def window_start(now=None) -> dt.datetime:
    """Oldest end kept in feeds: midnight UTC 90 days ago (constant within a day)."""
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - PAST_WINDOW


def _in_window(prefix=""):
    since = window_start()
    return Q(**{f"{prefix}last_end__gte": since}) | Q(
        **{f"{prefix}last_end__isnull": True, f"{prefix}end__gte": since}
    )


FEED_CACHE_SECONDS = 3600


def _signature(rows, *extra) -> tuple[str, dt.datetime | None]:
    """ETag and Last-Modified from rows of (ids, sequences, change times)."""
    digest = hashlib.sha256()
    latest = None
    for part in extra:
        digest.update(f"{part}\x1e".encode())
    for row in rows:
        digest.update("\x1f".join(str(v) for v in row).encode())
        digest.update(b"\x1e")
        for value in row:
            if isinstance(value, dt.datetime) and (latest is None or value > latest):
                latest = value
    return f'"{digest.hexdigest()[:32]}"', latest


def _conditional(request, etag, last_modified, cache_control, build, filename, robots=False):
    """304 when the client's copy is current, else the built calendar with its headers."""
    stamp = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=stamp)
    if response is None:
        # The ETag covers everything the body depends on (event ids, sequences, change times,
        # language, window, and the owner for personal feeds), so a body built once is
        # shared by every subscriber who would get the same bytes.
        key = f"events:ics:{filename}:{etag.strip(chr(34))}"
        body = cache.get(key)
        if body is None:
            body = ical.calendar_bytes(build())
            cache.set(key, body, FEED_CACHE_SECONDS)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    if request.method == "HEAD" and response.status_code == 200:
        # Calendar apps probe with HEAD: the GET's headers, its length, and no body (the
        # handler in front may not strip it).
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(stamp)
    response["Cache-Control"] = cache_control
    if robots:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _site_name():
    return getattr(settings, "WAGTAIL_SITE_NAME", "") or _("Events")


# --- event feeds --------------------------------------------------------------------------


SIGNATURE_FIELDS = (
    "pk",
    "calendar_state__sequence",
    "calendar_state__changed_at",
    "last_published_at",
)


def _events_feed(request, owner, *, name, filename, cache_control, robots, extra=()):
    try:
        filters = EventFilters.parse(
            request.GET, topics=Topic.objects.values_list("slug", flat=True)
        )
    except FilterError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    qs = filters.apply(EventPage.objects.live().visible_to(owner).filter(_in_window()))
    qs = qs.order_by("start", "pk")
    # The day is part of the signature: the 90-day window moves at midnight.
    etag, latest = _signature(
        qs.values_list(*SIGNATURE_FIELDS), get_language(), window_start(), *extra
    )
    last_modified = max(m for m in (latest, window_start(), *extra) if isinstance(m, dt.datetime))

    def build():
        events = list(qs.select_related("calendar_state"))
        return ical.build_feed(
            events,
            name=name,
            description=_("Events of the %(site)s community.") % {"site": _site_name()},
            urls=links.event_urls(events),
        )

    return _conditional(request, etag, last_modified, cache_control, build, filename, robots)


@require_safe
def public_feed(request):
    return _events_feed(
        request,
        AnonymousUser(),
        name=_("%(site)s events") % {"site": _site_name()},
        filename="events.ics",
        cache_control=f"public, max-age={PUBLIC_MAX_AGE}",
        robots=False,
    )


@require_safe
def event_file(request, page_id):
    """One event's .ics, for whoever may see the event (the session's user)."""
    qs = EventPage.objects.live().visible_to(request.user).filter(pk=page_id)
    rows = list(qs.values_list(*SIGNATURE_FIELDS))
    if not rows:
        raise Http404
    etag, last_modified = _signature(rows, get_language())

    def build():
        events = list(qs.select_related("calendar_state"))
        return ical.build_feed(
            events,
            name=events[0].title,
            description=events[0].summary,
            urls=links.event_urls(events),
        )

    response = _conditional(
        request,
        etag,
        last_modified,
        f"private, max-age={PRIVATE_MAX_AGE}",
        build,
        f"event-{page_id}.ics",
    )
    patch_vary_headers(response, ["Cookie"])
    return response


def _owner(token):
    """The feed's owner as a capability link sees them: never more than a member, whatever
    their staff role (a calendar link travels further than a verified session)."""
    row = tokens.lookup(token)
    return access.assure(row.user, access.Assurance.LINK) if row is not None else None


def _no_such_feed():
    # One fixed answer for never-issued, revoked and malformed tokens: nothing to compare.
    return HttpResponseNotFound(_("Not found."), content_type="text/plain; charset=utf-8")


def _membership_changed(owner):
    changed = Membership.objects.filter(user=owner).values_list("updated_at", flat=True).first()
    return changed or owner.date_joined


@require_safe
def token_events_feed(request, token):
    owner = _owner(token)
    if owner is None:
        return _no_such_feed()
    return _events_feed(
        request,
        owner,
        name=_("%(site)s events") % {"site": _site_name()},
        filename="events.ics",
        cache_control=f"private, max-age={PRIVATE_MAX_AGE}",
        robots=True,
        extra=(owner.pk, _membership_changed(owner)),
    )


@require_safe
def token_my_events_feed(request, token):
    """The owner's registrations: private detail only for their confirmed seats."""
    owner = _owner(token)
    if owner is None:
        return _no_such_feed()
    qs = (
        Registration.objects.visible_to(owner)
        .filter(user=owner, event__live=True)
        .filter(access.audience_filter(owner, "event__audience"))
        .filter(_in_window("event__"))
        .select_related("event", "event__calendar_state")
        .order_by("event__start", "event_id", "-created_at", "-pk")
    )
    registrations = list(qs)
    chosen = {}
    for registration in registrations:
        current = chosen.get(registration.event_id)
        # One VEVENT per event (one UID): the active registration, else the latest one.
        if current is None or (registration.is_active and not current.is_active):
            chosen[registration.event_id] = registration
    rows = [
        (
            r.pk,
            r.status,
            r.sequence,
            r.updated_at,
            r.event_id,
            ical._state(r.event).sequence,
            ical._state(r.event).changed_at,
            r.event.last_published_at,
            # A membership lapsing by date changes no row, yet takes the join link away:
            # the decision itself is part of what the cached body and the ETag depend on.
            access.can(owner, "events.see_join_link", r),
        )
        for r in chosen.values()
    ]
    membership_changed = _membership_changed(owner)
    etag, latest = _signature(rows, get_language(), window_start(), owner.pk, membership_changed)
    last_modified = max(
        m for m in (latest, window_start(), membership_changed) if isinstance(m, dt.datetime)
    )

    def build():
        events = [r.event for r in chosen.values()]
        return ical.build_feed(
            events,
            name=_("%(site)s: my events") % {"site": _site_name()},
            description=_("Events you registered for."),
            private_for=owner,
            registrations={r.event_id: r for r in chosen.values()},
            urls=links.event_urls(events),
        )

    return _conditional(
        request,
        etag,
        last_modified,
        f"private, max-age={PRIVATE_MAX_AGE}",
        build,
        "my-events.ics",
        robots=True,
    )


# --- the member's calendar-link page ------------------------------------------------------


def feed_addresses(token) -> dict[str, str]:
    """The https and webcal addresses of a token's two feeds."""
    mine = site_links.absolute_reverse("events:calendar_my_events", token)
    everything = site_links.absolute_reverse("events:calendar_events", token)
    return {
        "my_events_url": mine,
        "my_events_webcal": links.webcal(mine),
        "events_url": everything,
        "events_webcal": links.webcal(everything),
    }


def _is_current(token, active) -> bool:
    # A token regenerated in another tab since must not be shown as if it still worked.
    return bool(token and active and tokens.hash_token(token) == active.token_hash)


@require_http_methods(["GET", "POST"])
def calendar_token(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "regenerate"):
            _row, token = tokens.issue(user)
            # Shown on the next page only; the session forgets it on that GET.
            request.session[ONE_TIME_TOKEN_KEY] = token
            messages.success(request, _("Your calendar link is ready. Copy it now."))
        elif action == "revoke":
            if tokens.revoke(user):
                messages.success(request, _("Your calendar link no longer works."))
        else:
            return HttpResponseBadRequest(_("Unknown action."), content_type="text/plain")
        return redirect("events:calendar_token")

    token = request.session.pop(ONE_TIME_TOKEN_KEY, None)
    active = tokens.active_token(user)
    context = {
        "active": active,
        "addresses": feed_addresses(token) if _is_current(token, active) else None,
        "public_url": site_links.absolute_reverse("events:feed"),
    }
    response = TemplateResponse(request, "events/calendar_token.html", context)
    # The page may carry the token: never cache it anywhere.
    response["Cache-Control"] = "no-store"
    return response
