"""The join link is one capability, asked anew on every channel (issue 8, point 7).

Every holder in the table of docs/access.md ("Join links") holds a confirmed online
registration made while they could register, on four kinds of event; each channel — the event
page, "My events", the personal my-events feed, and the confirmation, update and reminder
emails — must show the link exactly where the table says yes. Roles are changed through the
membership services, and every check uses a fresh user object (roles are cached per object).
"""

import datetime as dt
import email
import email.policy
from pathlib import Path

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from community import access
from community import services as community_services
from community.models import Membership
from events import links, services, tokens
from events.models import EventPage, Registration, RegistrationStatus
from events.tasks import send_registration_email
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

CANARY = "https://meet.example.org/join-capability-5c1e"
DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
EVENT_KINDS = {
    "open": {"audience": "public", "registration_audience": "signed_in"},
    "members": {"audience": "public", "registration_audience": "members"},
    "members_only": {"audience": "members", "registration_audience": "members"},
    "le_only": {"audience": "law_enforcement", "registration_audience": "law_enforcement"},
}
EMAIL_KINDS = ("confirmed", "event_updated", "reminder_24h")
LE = Membership.Kind.LAW_ENFORCEMENT


def documented() -> dict[str, dict[str, bool]]:
    section = DOC.read_text(encoding="utf-8").split("## Join links", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    table = {}
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert all(c in ("yes", "no") for c in cells[1:]), row
        table[cells[0]] = dict(zip(EVENT_KINDS, [c == "yes" for c in cells[1:]], strict=True))
    return table


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def _expire(user, editor):
    membership = Membership.objects.get(user=user)
    Membership.objects.filter(pk=membership.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert community_services.membership_expire_due() == 1


def _lapse(user, editor):
    # Past its date, before the daily job: no save, so nothing but the clock changed.
    Membership.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(hours=1))


def _suspend(user, editor):
    community_services.membership_suspend(
        Membership.objects.get(user=user), by=editor, reason="Sample"
    )


def _deactivate(user, editor):
    type(user).objects.filter(pk=user.pk).update(is_active=False)


# How each holder is made, and what happens to them after registering.
HOLDERS = {
    "pending": (lambda: UserFactory(), None),
    "suspended": (lambda: make_member(kind=LE), _suspend),
    "expired": (lambda: make_member(kind=LE), _expire),
    "lapsed": (lambda: make_member(kind=LE), _lapse),
    "deactivated": (lambda: make_member(kind=LE), _deactivate),
    "member": (lambda: make_member(kind=Membership.Kind.OTHER), None),
    "law_enforcement": (lambda: make_member(kind=LE), None),
    "expert": (lambda: make_member(kind=Membership.Kind.EXPERT), None),
    "moderator": (lambda: make_member(kind=LE, staff_role="moderator"), None),
    "editor": (lambda: make_member(kind=LE, staff_role="editor"), None),
    "admin": (lambda: make_member(kind=LE, superuser=True), None),
}


def test_the_table_lists_every_holder_and_nothing_else():
    assert set(documented()) == set(HOLDERS)


# --- channels -----------------------------------------------------------------------------


def html_links(response) -> tuple[bool, bool]:
    """(a link to the canary is on the page, the canary appears anywhere in the HTML)."""
    if response.status_code != 200:
        return False, False
    html = response.content.decode()
    soup = BeautifulSoup(html, "html5lib")
    return bool(soup.find("a", href=CANARY)), CANARY in html


def feed_links(client, token) -> dict[int, bool]:
    """For each event id in the my-events feed: whether its VEVENT carries the canary."""
    response = client.get(reverse("events:calendar_my_events", args=[token]))
    if response.status_code == 404:
        return {}
    assert response.status_code == 200
    cal = Calendar.from_ical(response.content)
    by_url = {}
    for vevent in cal.walk("VEVENT"):
        values = [str(value) for value in vevent.values()]
        by_url[str(vevent.get("URL", ""))] = any(CANARY in v for v in values)
    # Nothing outside the VEVENTs (a calendar description, a stray property) may carry it.
    assert CANARY not in "".join(str(v) for v in cal.values())
    return by_url


def email_links(registration, capture, mailoutbox) -> dict[str, bool]:
    """For each email kind: whether the email sent now (body or invite) carries the canary."""
    seen = {}
    for kind in EMAIL_KINDS:
        mailoutbox.clear()
        key = f"capability:{registration.pk}:{kind}"
        with capture(execute=True):
            result = send_registration_email.enqueue(registration.pk, kind, key, True)
        if result.return_value == "skipped":  # the holder may no longer see the event at all
            assert mailoutbox == []
            seen[kind] = False
            continue
        assert result.return_value == "queued"
        assert len(mailoutbox) == 1, f"{kind}: {len(mailoutbox)} emails"
        parsed = email.message_from_bytes(
            mailoutbox[0].message().as_bytes(), policy=email.policy.default
        )
        texts = [str(parsed["Subject"])]
        for part in parsed.walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            texts.append(content if isinstance(content, str) else content.decode())
            if part.get_content_type() == "text/calendar":
                [vevent] = Calendar.from_ical(part.get_content()).walk("VEVENT")
                texts.extend(str(value) for value in vevent.values())
        seen[kind] = any(CANARY in text for text in texts)
    return seen


# --- the matrix ---------------------------------------------------------------------------


@pytest.fixture
def events(make_event):
    return {
        name: make_event(online_join_url=CANARY, **fields) for name, fields in EVENT_KINDS.items()
    }


def hold_registrations(user, events):
    """A confirmed online registration on every event, as if made while they could register."""
    return {
        name: Registration.objects.create(
            event=event, user=user, status=RegistrationStatus.CONFIRMED, confirmed_at=timezone.now()
        )
        for name, event in events.items()
    }


@pytest.mark.parametrize("holder", list(HOLDERS))
def test_every_holder_on_every_channel_matches_the_table(
    holder,
    events,
    editor,
    client_for,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    expected = documented()[holder]
    make, afterwards = HOLDERS[holder]
    user = make()
    registrations = hold_registrations(user, events)
    _row, token = tokens.issue(user)
    privileged = access.is_privileged(fresh(user))
    client = client_for(fresh(user), mfa=privileged)
    if afterwards:
        afterwards(fresh(user), editor)

    my_events = client.get(reverse("events:my_events"))
    my_events_html = my_events.content.decode() if my_events.status_code == 200 else ""
    my_events_soup = BeautifulSoup(my_events_html, "html5lib")
    feed = feed_links(client_for(None), token)
    seen = {}
    for name, event in events.items():
        registration = registrations[name]
        page_link, page_anywhere = html_links(client.get(event.url))
        mine = my_events_soup.find(
            lambda tag, e=event: (
                tag.name == "a" and tag.get("href") == CANARY and e.title in tag.get_text()
            )
        )
        seen[name] = {
            "rule": access.can(fresh(user), "events.see_join_link", registration),
            "page": page_link,
            "my events": bool(mine),
            "feed": feed.get(links.event_url(event), False),
            **{
                f"email {k}": v
                for k, v in email_links(
                    Registration.objects.get(pk=registration.pk),
                    django_capture_on_commit_callbacks,
                    mailoutbox,
                ).items()
            },
        }
        if not expected[name]:
            assert not page_anywhere, f"{holder}: the canary is in the page of {name}"
    if not any(expected.values()):
        assert CANARY not in my_events_html
    for name, channels in seen.items():
        wrong = sorted(c for c, shown in channels.items() if shown is not expected[name])
        assert wrong == [], f"{holder} at {name}: expected {expected[name]}, wrong in {wrong}"


# --- how the rule decides ---------------------------------------------------------------


def test_every_channel_asks_the_one_rule(
    events, client_for, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """Swap the rule for one that refuses and records: no channel shows the link any more,
    and the page, My events, the feed and every email asked it about this registration."""
    user = make_member(kind=LE)
    registration = hold_registrations(user, {"members": events["members"]})["members"]
    _row, token = tokens.issue(user)
    asked = []

    def refuse(viewer, obj):
        asked.append((viewer.pk, obj.pk))
        return False

    monkeypatch.setitem(access._rules, "events.see_join_link", refuse)
    client = client_for(fresh(user))
    event = events["members"]
    assert html_links(client.get(event.url)) == (False, False)
    page_asks = len(asked)
    assert CANARY not in client.get(reverse("events:my_events")).content.decode()
    my_events_asks = len(asked) - page_asks
    assert feed_links(client_for(None), token) == {links.event_url(event): False}
    feed_asks = len(asked) - page_asks - my_events_asks
    emails = email_links(registration, django_capture_on_commit_callbacks, mailoutbox)
    assert emails == dict.fromkeys(EMAIL_KINDS, False)
    email_asks = len(asked) - page_asks - my_events_asks - feed_asks
    assert page_asks >= 1 and my_events_asks >= 1 and feed_asks >= 1
    assert email_asks == len(EMAIL_KINDS)
    assert set(asked) == {(user.pk, registration.pk)}


def test_a_renewed_membership_gets_the_link_back_at_once(events):
    user = make_member(kind=LE)
    registration = hold_registrations(user, {"le_only": events["le_only"]})["le_only"]
    _lapse(user, None)
    assert access.can(fresh(user), "events.see_join_link", registration) is False
    Membership.objects.filter(user=user).update(expires_at=timezone.now() + dt.timedelta(days=1))
    assert access.can(fresh(user), "events.see_join_link", registration) is True


def test_narrowing_who_may_register_takes_the_link_from_those_it_no_longer_admits(
    make_event, member, le_member
):
    event = make_event(online_join_url=CANARY, registration_audience="members")
    mine = services.registration_create(member, event, {})
    theirs = services.registration_create(le_member, event, {})
    EventPage.objects.filter(pk=event.pk).update(registration_audience="law_enforcement")
    assert access.can(fresh(member), "events.see_join_link", fresh_registration(mine)) is False
    assert access.can(fresh(le_member), "events.see_join_link", fresh_registration(theirs))


def test_switching_registration_off_takes_nobodys_link(make_event, pending, member):
    open_event = make_event(online_join_url=CANARY, registration_audience="signed_in")
    members_only = make_event(
        online_join_url=CANARY, audience="members", registration_audience="members"
    )
    held = [
        services.registration_create(pending, open_event, {}),
        services.registration_create(member, open_event, {}),
        services.registration_create(member, members_only, {}),
    ]
    EventPage.objects.filter(pk__in=[open_event.pk, members_only.pk]).update(
        registration_audience="nobody"
    )
    for registration in held:
        current = fresh_registration(registration)
        assert access.can(fresh(current.user), "events.see_join_link", current)


def test_hybrid_in_person_seat_never_carries_the_link(make_event, member):
    event = make_event(online_join_url=CANARY, format="hybrid", venue_name="Sample Hall")
    in_person = services.registration_create(member, event, {}, attendance="in_person")
    assert access.can(fresh(member), "events.see_join_link", in_person) is False
    services.registration_cancel(in_person, by=member)
    online = services.registration_create(fresh(member), event, {}, attendance="online")
    assert access.can(fresh(member), "events.see_join_link", online) is True


@pytest.mark.parametrize("status", ["waitlisted", "pending", "cancelled", "rejected"])
def test_no_seat_no_link_even_for_staff(make_event, editor, status):
    event = make_event(online_join_url=CANARY)
    registration = Registration.objects.create(event=event, user=editor, status=status)
    assert access.can(fresh(editor), "events.see_join_link", registration) is False


def test_nobody_sees_anothers_link(make_event, member, editor, admin_user):
    event = make_event(online_join_url=CANARY)
    registration = services.registration_create(member, event, {})
    for other in (editor, admin_user, make_member(kind=LE)):
        assert access.can(fresh(other), "events.see_join_link", registration) is False
    assert access.can(None, "events.see_join_link", registration) is False
    assert access.can(fresh(member), "events.see_join_link", None) is False


def fresh_registration(registration):
    return Registration.objects.select_related("event", "user").get(pk=registration.pk)


def test_a_lapsed_member_loses_the_link_in_a_feed_already_fetched(events, client_for):
    """The feed's cached body and ETag must not outlive the capability: the clock passing
    ``expires_at`` changes no row, yet the next fetch carries no link."""
    user = make_member(kind=LE)
    hold_registrations(user, {"members": events["members"]})
    _row, token = tokens.issue(user)
    client = client_for(None)
    url = reverse("events:calendar_my_events", args=[token])
    first = client.get(url)
    assert feed_links(client_for(None), token) == {links.event_url(events["members"]): True}
    _lapse(user, None)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200, "a 304 would keep the old feed with the link"
    assert feed_links(client_for(None), token) == {links.event_url(events["members"]): False}


def test_channels_without_a_registration_never_carry_it(
    events, event_index, client_for, django_capture_on_commit_callbacks
):
    """Even for a holder who may see it, the listing, the public feed, the token's all-events
    feed and the event's own .ics are no place for a join link."""
    user = make_member(kind=LE)
    registrations = hold_registrations(user, events)
    assert all(access.can(fresh(user), "events.see_join_link", r) for r in registrations.values())
    _row, token = tokens.issue(user)
    client = client_for(fresh(user))
    addresses = [
        event_index.url,
        reverse("events:feed"),
        reverse("events:calendar_events", args=[token]),
        *(reverse("events:event_ics", args=[e.pk]) for e in events.values()),
    ]
    for address in addresses:
        response = client.get(address)
        assert response.status_code == 200, address
        assert CANARY not in response.content.decode(), address
    assert CANARY not in client.get("/").content.decode()
