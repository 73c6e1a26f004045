"""The leak harness: restricted content never reaches a role that may not see it (issue 8,
point 18).

Every kind of restricted content carries a unique marker, ``LEAK-<audience>-<kind>``: an
event's title, summary and body, its join link, a document in its materials (title, file name
and bytes), a recording (title, file name and bytes) and a registration answer given by
someone else. For each role the harness signs in as that role (privileged roles in a session
that passed two-step verification, and an editor without it), registers wherever the role may,
then fetches every page, feed, token feed, export, file and every email rendered for that role,
and fails on any marker outside what the table below says the role may see.

The table is written out here, not derived from the policy, so a policy that opens too much
fails the harness; a control test plants a leak and checks the harness catches it.

Later features add their content kinds to ``CONTENT``, their channels to ``channels`` and their
expectations to ``may_see``: forum threads and posts, expert profiles' restricted fields,
resources, and the site-wide search page when it exists.
"""

import csv
import datetime as dt
import io
import re
import zipfile

from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.documents import get_document_model

import pytest
from wagtailmedia.models import get_media_model

from community import access
from community.models import Membership, OutboundEmail
from events import emails, services, tokens
from events.models import Registration, RegistrationStatus
from tests.factories import EventPageFactory, make_member
from tests.helpers import pass_mfa, published_event_index, site_home, verified

pytestmark = pytest.mark.django_db

AUDIENCES = ("public", "members", "law_enforcement", "staff")
ALL = frozenset(AUDIENCES)
# What each role may see: the audiences it sees, whether it reads other people's answers
# (exports), and the join links of events where it holds a confirmed seat.
VISIBLE = {
    "anon": {"public"},
    "pending": {"public"},
    "member": {"public", "members"},
    "le_member": {"public", "members", "law_enforcement"},
    "expert": {"public", "members"},
    # The moderator fixture is a law-enforcement member with the moderator role.
    "moderator": {"public", "members", "law_enforcement"},
    "editor": ALL,
    "admin": ALL,
    # An editor whose session has not passed two-step verification is a member.
    "editor_unverified": {"public", "members"},
}
READS_ANSWERS = {"editor", "admin"}
MARKER = re.compile(r"LEAK-(public|members|law_enforcement|staff)-([A-Z]+)")
# Content kinds seen by whoever sees the event; JOIN and ANSWER have their own rules.
CONTENT = ("TITLE", "SUMMARY", "BODY", "DOC", "REC")
EMAIL_KINDS = ("confirmed", "event_updated", "reminder_24h")


def marker(audience, kind):
    return f"LEAK-{audience}-{kind}"


@pytest.fixture
def site(db):
    home = site_home(slug="leak-home", hero_title="Lab")
    index = published_event_index(home)
    planters = {
        "public": make_member(kind=Membership.Kind.OTHER),
        "members": make_member(kind=Membership.Kind.OTHER),
        "law_enforcement": make_member(kind=Membership.Kind.LAW_ENFORCEMENT),
        "staff": verified(make_member(kind=Membership.Kind.OTHER, staff_role="editor")),
    }
    events = {}
    for audience in AUDIENCES:
        events[audience] = event = _event(index, audience)
        services.registration_create(
            planters[audience],
            event,
            {f"q_{event.questions[0].id}": marker(audience, "ANSWER")},
        )
    return {"home": home, "index": index, "events": events}


def _event(index, audience):
    day = (timezone.now() + dt.timedelta(days=10)).date()
    document = get_document_model().objects.create(
        title=marker(audience, "DOC"),
        file=ContentFile(
            f"%PDF-1.4 {marker(audience, 'DOC')}".encode(), name=f"brief-{audience}.pdf"
        ),
    )
    media = get_media_model()(
        title=marker(audience, "REC"),
        type="audio",
        duration=1,
        file=ContentFile(f"{marker(audience, 'REC')} ".encode() * 4, name=f"talk-{audience}.mp3"),
    )
    media.save()
    event = EventPageFactory(
        parent=index,
        title=f"{marker(audience, 'TITLE')} workshop",
        slug=f"leak-{audience.replace('_', '-')}",
        summary=f"Sample summary {marker(audience, 'SUMMARY')}.",
        body=[("rich_text", f"<p>Sample body {marker(audience, 'BODY')}.</p>")],
        start_date=day,
        online_join_url=f"https://meet.example.org/{marker(audience, 'JOIN')}",
        audience=audience,
        registration_audience="members" if audience == "public" else audience,
        questions=[("text", {"label": "Sample role", "help_text": "", "required": False})],
        materials=[
            {
                "type": "material",
                "value": {
                    "available_to": "public",
                    "members_from": None,
                    "public_from": None,
                    "title": "Sample slides",
                    "document": document.pk,
                    "url": "",
                },
            }
        ],
        recordings=[
            {
                "type": "recording",
                "value": {
                    "available_to": "public",
                    "members_from": None,
                    "public_from": None,
                    "title": "Sample recording",
                    "embed": "",
                    "media": media.pk,
                },
            }
        ],
    )
    event.leak_files = [
        document.url,
        f"/media-files/{media.pk}/{media.filename}",
    ]
    return event


def _user(request, role):
    if role == "anon":
        return None
    if role == "editor_unverified":
        user = make_member(kind=Membership.Kind.OTHER, staff_role="editor")
        return access.assure(user, access.Assurance.UNVERIFIED_SESSION)
    return request.getfixturevalue("admin_user" if role == "admin" else role)


def _client(user, role):
    client = Client()
    if user is not None:
        client.force_login(user)
        if role in ("moderator", "editor", "admin"):
            pass_mfa(client, user)
    return client


def _register_where_allowed(user, events):
    """The role's own seats: each event it may register for, through the service."""
    seats = set()
    for audience, event in events.items():
        if user is not None and access.can(user, "events.register", event):
            registration = services.registration_create(user, event, {})
            if registration.status == RegistrationStatus.CONFIRMED:
                seats.add(audience)
    return seats


def may_see(role, seats, channel):
    """The markers ``role`` may meet on ``channel``."""
    allowed = {marker(a, kind) for a in VISIBLE[role] for kind in CONTENT}
    allowed |= {marker(a, "JOIN") for a in seats}
    if role in READS_ANSWERS:
        allowed |= {marker(a, "ANSWER") for a in VISIBLE[role]}
    return allowed


def channels(client, user, site):
    """Every place the role can read: (name, text)."""
    events = site["events"]
    urls = [
        "/",
        site["index"].url,
        site["index"].url + "?kind=workshop",
        reverse("my_account"),
        reverse("events:my_events"),
        reverse("events:calendar_token"),
        reverse("membership"),
        reverse("events:feed"),
        # The audit trail names registrations by member and event title (issue 9, point 8).
        reverse("audit_trail:index"),
        reverse("audit_trail:index") + "?export=csv",
    ]
    for event in events.values():
        urls += [event.url, reverse("events:event_ics", args=[event.pk]), *event.leak_files]
        admin = reverse("events_admin:registrations", args=[event.pk])
        urls += [admin, admin + "?export=csv", admin + "?export=xlsx"]
    if user is not None:
        _row, token = tokens.issue(user)
        urls += [f"/calendar/{token}/events.ics", f"/calendar/{token}/my-events.ics"]
    for url in urls:
        response = client.get(url)
        yield url, _text(response)
    # Every email rendered for this role: the kinds a registrant receives, for each of their
    # registrations, then whatever else the outbox holds for them.
    if user is not None:
        for registration in Registration.objects.filter(user=user):
            for kind in EMAIL_KINDS:
                key = f"event:{registration.pk}:leak-{kind}"
                emails.build_registration_email(registration.pk, kind, key, True)
        for record in OutboundEmail.objects.order_by("pk"):
            if user.email not in record.to:
                continue
            if record.key.startswith("event") and emails.delivery_refusal(record):
                continue  # withheld at delivery: never sent
            yield (
                f"email {record.key}",
                " ".join(
                    [record.subject, record.body_text, record.body_html, str(record.attachments)]
                ),
            )


def _text(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # XLSX: read every cell back
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    text = content.decode("utf-8", "replace")
    if "text/csv" in response.get("Content-Type", ""):
        return " ".join(" ".join(row) for row in csv.reader(io.StringIO(text)))
    return text


def leaks(role, user, client, site):
    """(markers found where the role may not see them, the role's seats, all text read)."""
    seats = _register_where_allowed(user, site["events"])
    found, read = [], []
    for channel, text in channels(client, user, site):
        read.append((channel, text))
        allowed = may_see(role, seats, channel)
        for match in MARKER.finditer(text):
            if match.group(0) not in allowed:
                found.append((channel, match.group(0)))
    return sorted(set(found)), seats, read


@pytest.mark.parametrize("role", list(VISIBLE))
def test_no_role_meets_a_marker_it_may_not_see(request, site, role):
    user = _user(request, role)
    found, seats, read = leaks(role, user, _client(user, role), site)
    assert found == []
    # Sanity: the harness really reads the channels (what may be seen is seen).
    everything = " ".join(text for _channel, text in read)
    for audience in VISIBLE[role]:
        for kind in CONTENT:
            assert marker(audience, kind) in everything, (audience, kind)
    mail = " ".join(text for channel, text in read if channel.startswith("email"))
    for audience in seats:
        assert marker(audience, "JOIN") in everything, audience
        assert marker(audience, "TITLE") in mail, audience
    if role in READS_ANSWERS:
        assert marker("staff", "ANSWER") in everything


def test_the_harness_catches_a_leak(request, site, monkeypatch):
    """Control: a policy that lets members see law-enforcement events must fail it."""
    original = access.audiences

    def leaky(user):
        found = original(user)
        return found | {"law_enforcement"} if "members" in found else found

    monkeypatch.setattr(access, "audiences", leaky)
    user = _user(request, "member")
    found, _seats, _read = leaks("member", user, _client(user, "member"), site)
    assert ("/events/leak-law-enforcement/", marker("law_enforcement", "TITLE")) in found
    assert any(m == marker("law_enforcement", "DOC") for _c, m in found)
