"""Every address the events app hands out: event pages, their .ics files, "add to calendar"
links for Google and Outlook.com, and the feed's subscribe links (https, webcal, Google).

All absolute, from ``SITE_URL`` (``community.links``): they are read in emails, calendar apps
and other sites, never only in the browser that asked. Plain links the visitor follows; the
server fetches nothing. None of them ever carries a join link."""

import datetime as dt
import re
from types import SimpleNamespace

from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from community import links

GOOGLE_RENDER = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"


def event_url(event, request=None) -> str:
    """The event page's public address (``SITE_URL`` + the page's path). ``request``: a
    request or any object Wagtail may cache site roots on."""
    return links.page_url(event, request)


def event_urls(events) -> dict[int, str]:
    """Page addresses for ``events`` with one site-root lookup shared by all of them."""
    cache_object = SimpleNamespace()
    return {event.pk: event_url(event, cache_object) for event in events}


def ics_url(event) -> str:
    """The event's own .ics file (public events and whoever may see the event)."""
    return links.absolute_reverse("events:event_ics", event.pk)


def webcal(url: str) -> str:
    """The same feed for calendar apps that subscribe by ``webcal://``."""
    return re.sub(r"^https?://", "webcal://", url)


# --- "add to calendar" ----------------------------------------------------------------


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


def _utc(value) -> dt.datetime:
    return value.astimezone(dt.UTC)


def google_url(event, url, now=None) -> str:
    start, end = link_times(event, now)
    if event.all_day:
        dates = f"{start:%Y%m%d}/{end:%Y%m%d}"
    else:
        dates = f"{_utc(start):%Y%m%dT%H%M%SZ}/{_utc(end):%Y%m%dT%H%M%SZ}"
    params = {
        "action": "TEMPLATE",
        "text": event.summary_text(),
        "dates": dates,
        "details": _details(event, url),
        "location": event.location_text(),
        "ctz": event.time_zone or "UTC",
    }
    return f"{GOOGLE_RENDER}?{urlencode(params)}"


def outlook_url(event, url, now=None) -> str:
    start, end = link_times(event, now)
    params = {"path": "/calendar/action/compose", "rru": "addevent"}
    params["subject"] = event.summary_text()
    if event.all_day:
        params.update(startdt=start.isoformat(), enddt=end.isoformat(), allday="true")
    else:
        params.update(
            startdt=_utc(start).strftime("%Y-%m-%dT%H:%M:%SZ"),
            enddt=_utc(end).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    params.update(body=_details(event, url), location=event.location_text())
    return f"{OUTLOOK_COMPOSE}?{urlencode(params)}"


def calendar_links(event, request=None) -> dict:
    """The .ics, Google and Outlook.com links of one event."""
    url = event_url(event, request)
    return {
        "ics_url": ics_url(event),
        "google_url": google_url(event, url),
        "outlook_url": outlook_url(event, url),
    }


# --- subscribing to the public feed -------------------------------------------------------


def feed_links(filters=None) -> dict:
    """The public feed's addresses, narrowed by ``filters`` (an ``EventFilters``)."""
    query = filters.feed_query() if filters is not None else ""
    feed_url = links.absolute_reverse("events:feed") + (f"?{query}" if query else "")
    webcal_url = webcal(feed_url)
    return {
        "feed_url": feed_url,
        "webcal_url": webcal_url,
        "google_url": f"{GOOGLE_RENDER}?{urlencode({'cid': webcal_url})}",
    }
