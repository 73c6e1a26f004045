"""Every absolute link the site hands out works: fetched from a running server.

Emails of every kind, the feeds and calendar files, and the event page's "add to calendar"
links are read outside the browser, so their links are absolute. They must all point at
SITE_URL (here the live server, on a port that is not 80) and answer 200, or 302 to the
sign-in page for private ones.
"""

import datetime as dt
import email
import email.policy
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from community import links
from community import services as membership_services
from community.models import Membership
from events import tokens
from events.choices import EmailKind
from events.models import Registration
from events.tasks import send_registration_email
from tests.factories import EventPageFactory, make_member
from tests.helpers import logged_in_client, published_event_index, site_home, verified

pytestmark = pytest.mark.django_db(transaction=True)

URL_RE = re.compile(r"""(?:https?|webcal)://[^\s"'<>)\]]+""")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url, session=""):
    """(status, Location) of a GET on ``url`` without following redirects."""
    url = re.sub(r"^webcal://", "http://", url)
    request = urllib.request.Request(url)  # noqa: S310
    if session:
        request.add_header("Cookie", f"sessionid={session}")
    try:
        with OPENER.open(request, timeout=20) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def parse_mail(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def urls_in_text(text):
    return {u.rstrip(".,;") for u in URL_RE.findall(text)}


def urls_in_html(html):
    soup = BeautifulSoup(html, "html5lib")
    return {a["href"] for a in soup.find_all("a", href=True) if "://" in a["href"]}


def urls_in_calendar(data):
    found = set()
    for component in Calendar.from_ical(data).walk():
        for name in ("URL", "DESCRIPTION", "SOURCE", "X-ORIGINAL-URL"):
            value = component.get(name)
            if value is not None:
                found |= urls_in_text(str(value))
    return found


def urls_in_email(message):
    parsed = parse_mail(message)
    found = set()
    for part in parsed.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        content = content if isinstance(content, str) else content.decode()
        kind = part.get_content_type()
        if kind == "text/html":
            found |= urls_in_html(content)
        elif kind == "text/calendar":
            found |= urls_in_calendar(content)
        else:
            found |= urls_in_text(content)
    return found


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    home = site_home(slug="links-home")
    links.sync_default_site()
    index = published_event_index(home)
    return index


@pytest.fixture
def stale_site(site):
    """The Site record left at Wagtail's default (localhost:80): links must not care."""
    from wagtail.models import Site

    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)
    return site


def make_event(index, **values):
    day = timezone.localdate() + dt.timedelta(days=10)
    defaults = {
        "title": "Sample links workshop",
        "slug": "sample-links-workshop",
        "summary": "Sample event for the link test.",
        "start_date": day,
        "end_time": dt.time(11, 0),
        "online_join_url": "https://meet.example.org/sample-room",
    }
    return EventPageFactory(parent=index, **{**defaults, **values})


def session_of(user):
    return logged_in_client(user).cookies["sessionid"].value


def assert_all_answer(urls, live_server, reader):
    """Each link answers 200, or 302 to sign-in; a link to a restricted page (404 to
    strangers, by policy) must answer 200 to ``reader``, the person it was sent to."""
    assert urls, "no links were collected"
    own = {u for u in urls if not u.startswith(("https://meet.example.org",))}
    foreign = {
        u for u in own if not re.sub(r"^webcal://", "http://", u).startswith(live_server.url)
    }
    # Only the "add to Google/Outlook" links leave the site; everything else is ours.
    assert all(
        urlsplit(u).hostname in {"calendar.google.com", "outlook.live.com", "outlook.office.com"}
        for u in foreign
    ), f"links not on SITE_URL: {sorted(foreign)}"
    failures = []
    session = session_of(reader)
    for url in sorted(own - foreign):
        status, location = fetch(url)
        if status == 404:
            status, location = fetch(url, session)
        if status == 200:
            continue
        if status == 302 and "/accounts/login/" in location:
            continue
        failures.append((url, status, location))
    assert failures == [], failures


def test_site_record_follows_site_url(site, live_server):
    from wagtail.models import Site

    default = Site.objects.get(is_default_site=True)
    parts = urlsplit(live_server.url)
    assert (default.hostname, default.port) == (parts.hostname, parts.port)
    assert default.root_url == live_server.url


def test_every_link_in_every_email_kind_answers(stale_site, live_server, mailoutbox):
    event = make_event(stale_site)
    member = make_member(kind=Membership.Kind.OTHER)
    registration = Registration.objects.create(
        event=event, user=member, status="confirmed", country="FR"
    )
    for kind in sorted(EmailKind):
        base = "reminder_24h" if kind == "reminder" else kind
        status = {"waitlisted": "waitlisted", "pending": "pending", "rejected": "rejected"}
        Registration.objects.filter(pk=registration.pk).update(
            status=status.get(kind, "cancelled" if kind == "cancelled" else "confirmed")
        )
        result = send_registration_email.enqueue(registration.pk, base, f"links:{kind}", True)
        assert result.return_value in {"queued", "skipped"}, (kind, result.return_value)
    assert len(mailoutbox) >= len(EmailKind) - 2, [m.subject for m in mailoutbox]

    # Membership emails too: received, approved (and the editors' "to vet" notice).
    applicant = make_member(kind=Membership.Kind.OTHER, status=Membership.Status.PENDING)
    editor = verified(make_member(kind=Membership.Kind.OTHER, staff_role="editor"))
    membership_services.membership_approve(applicant.membership, by=editor)

    found = set()
    for message in mailoutbox:
        found |= urls_in_email(message)
    assert any("/events/" in u for u in found), found
    assert_all_answer(found, live_server, member)


def test_every_link_in_feeds_and_add_to_calendar_links_answers(stale_site, live_server):
    site = stale_site
    event = make_event(site)
    make_event(
        site, title="Sample members meeting", slug="sample-members-meeting", audience="members"
    )
    member = make_member(kind=Membership.Kind.OTHER)
    Registration.objects.create(event=event, user=member, status="confirmed", country="FR")
    _token, secret = tokens.issue(member)

    found = set()
    feeds = [
        f"{live_server.url}/events/feed.ics",
        f"{live_server.url}/events/{event.pk}/event.ics",
        links.absolute_reverse("events:calendar_events", secret),
        links.absolute_reverse("events:calendar_my_events", secret),
    ]
    for feed in feeds:
        with urllib.request.urlopen(feed, timeout=20) as response:  # noqa: S310
            assert response.status == 200
            found |= urls_in_calendar(response.read())
    assert links.page_url(event) in found

    with urllib.request.urlopen(links.page_url(event), timeout=20) as response:  # noqa: S310
        page = response.read().decode()
    page_links = urls_in_html(page)
    for url in list(page_links):
        host = urlsplit(url).hostname or ""
        if "google" in host or "outlook" in host:
            query = parse_qs(urlsplit(url).query)
            for values in query.values():
                for value in values:
                    found |= urls_in_text(value)
    found |= page_links
    assert any(u.startswith("webcal://") for u in found)
    assert_all_answer(found, live_server, member)


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        ("http://127.0.0.1:8001", ("127.0.0.1", 8001)),
        ("https://lab.example.org", ("lab.example.org", 443)),
        ("http://lab.example.org", ("lab.example.org", 80)),
        ("https://lab.example.org:8443", ("lab.example.org", 8443)),
    ],
)
def test_site_host_and_port_from_site_url(site_url, expected):
    assert links.site_host_and_port(site_url) == expected
