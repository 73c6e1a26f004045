"""Links that put events in people's calendars: .ics download, Google, Outlook.com, and the
public feed's subscribe links. Plain links the visitor follows; the server fetches nothing.
None of them ever carries a join link."""

import datetime as dt
import re

from django import template
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from community import links
from events import ical
from events.models import EventFormat, EventKind

register = template.Library()

GOOGLE_RENDER = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"
FEED_FILTERS = ("kind", "topic", "format")
_SLUG = re.compile(r"^[-\w]+$")


def link_times(event, now=None):
    """(start, end) for an add-to link: a series' next occurrence, else the event itself.

    Timed events give aware datetimes, all-day events dates with an exclusive end.
    """
    start, end = event.start, event.end
    if event.is_recurring:
        upcoming = event.next_occurrences(limit=1, now=now or timezone.now())
        if upcoming:
            start, end = upcoming[0].start, upcoming[0].end
    if event.all_day:
        first = start.astimezone(event.zone).date()
        last = end.astimezone(event.zone).date()
        return first, max(last, first + dt.timedelta(days=1))
    return start, end


def _details(event, url):
    lines = [event.summary.strip()] if event.summary else []
    lines.append(_("Event page: %(url)s") % {"url": url})
    return "\n\n".join(lines)


def google_url(event, url, now=None) -> str:
    start, end = link_times(event, now)
    if event.all_day:
        dates = f"{start:%Y%m%d}/{end:%Y%m%d}"
    else:
        dates = f"{start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}/{end.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    params = {
        "action": "TEMPLATE",
        "text": ical.summary_text(event),
        "dates": dates,
        "details": _details(event, url),
        "location": ical.location_text(event),
        "ctz": event.time_zone or "UTC",
    }
    return f"{GOOGLE_RENDER}?{urlencode(params)}"


def outlook_url(event, url, now=None) -> str:
    start, end = link_times(event, now)
    params = {"path": "/calendar/action/compose", "rru": "addevent"}
    params["subject"] = ical.summary_text(event)
    if event.all_day:
        params.update(startdt=start.isoformat(), enddt=end.isoformat(), allday="true")
    else:
        params.update(
            startdt=start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            enddt=end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    params.update(body=_details(event, url), location=ical.location_text(event))
    return f"{OUTLOOK_COMPOSE}?{urlencode(params)}"


@register.inclusion_tag("events/includes/calendar_links.html", takes_context=True)
def calendar_links(context, event):
    # With the request, Wagtail caches the site root paths once per request, so a listing
    # of many cards does not look them up per card.
    request = context.get("request")
    url = ical.event_url(event, request)
    return {
        "event": event,
        "ics_url": links.absolute_reverse("events:event_ics", event.pk),
        "google_url": google_url(event, url),
        "outlook_url": outlook_url(event, url),
    }


def feed_query(params) -> str:
    """The listing's kind/topic/format filters, as the feed accepts them."""
    if not params:
        return ""
    allowed = {"kind": set(EventKind.values), "format": set(EventFormat.values)}
    kept = []
    for key in FEED_FILTERS:
        for value in params.getlist(key) if hasattr(params, "getlist") else [params.get(key)]:
            for part in (value or "").split(","):
                part = part.strip()
                if not part:
                    continue
                if key in allowed and part not in allowed[key]:
                    continue
                if key == "topic" and not _SLUG.match(part):
                    continue
                kept.append((key, part))
    return urlencode(kept)


@register.inclusion_tag("events/includes/feed_links.html", takes_context=True)
def feed_links(context, params=None):
    if params is None:
        request = context.get("request")
        params = request.GET if request is not None else None
    query = feed_query(params)
    feed_url = links.absolute_reverse("events:feed") + (f"?{query}" if query else "")
    webcal_url = re.sub(r"^https?://", "webcal://", feed_url)
    return {
        "feed_url": feed_url,
        "webcal_url": webcal_url,
        "google_url": f"{GOOGLE_RENDER}?{urlencode({'cid': webcal_url})}",
    }
