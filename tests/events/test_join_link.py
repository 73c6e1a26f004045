"""The online join link reaches confirmed registrants only, in every channel at once:
home page, event listing, event page, "My events" and every email each person received."""

import email
from email import policy

from django.core import mail
from django.urls import reverse

import pytest

from events import services
from events.models import Registration
from tests.factories import make_member

pytestmark = pytest.mark.django_db

CANARY = "https://meet.example.org/canary-join-7f3a"


def _email_text(message) -> str:
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    texts = []
    for part in parsed.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        texts.append(payload.decode("utf-8", "replace"))
    return "\n".join(texts)


def _channels(client, event, index) -> dict[str, str]:
    pages = {
        "home": "/",
        "listing": index.url,
        "event page": event.url,
        "my events": reverse("events:my_events"),
    }
    seen = {}
    for name, url in pages.items():
        response = client.get(url)
        seen[name] = response.content.decode() if response.status_code == 200 else ""
    return seen


def test_join_link_only_for_confirmed_registrants_in_every_channel(
    make_event,
    event_index,
    client_for,
    django_capture_on_commit_callbacks,
    anon,
    pending,
    member,
    expert,
    moderator,
    editor,
    admin_user,
):
    event = make_event(capacity=1, online_join_url=CANARY, registration_audience="members")
    approval_event = make_event(approval_required=True, online_join_url=CANARY)
    confirmed = make_member(email="confirmed@example.org")
    waitlisted = make_member(email="waitlisted@example.org")
    awaiting = make_member(email="awaiting@example.org")
    withdrawn = make_member(email="withdrawn@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(confirmed, event, {})
        services.registration_create(waitlisted, event, {})
        services.registration_create(awaiting, approval_event, {})
        second = make_event(online_join_url=CANARY)
        registration = services.registration_create(withdrawn, second, {})
        services.registration_cancel(registration, by=withdrawn)
    assert Registration.objects.get(user=confirmed).status == "confirmed"
    assert Registration.objects.get(user=waitlisted).status == "waitlisted"

    people = {
        "anonymous": anon,
        "pending": pending,
        "member": member,
        "expert": expert,
        "moderator": moderator,
        "editor": editor,
        "admin": admin_user,
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "awaiting approval": awaiting,
        "withdrawn": withdrawn,
    }
    for label, person in people.items():
        client = client_for(person)
        channels = _channels(client, event, event_index)
        channels["event page (approval)"] = client.get(approval_event.url).content.decode()
        if person is not None:
            inbox = [m for m in mail.outbox if person.email in m.to]
            channels["emails"] = "\n".join(_email_text(m) for m in inbox)
        leaked = sorted(name for name, text in channels.items() if CANARY in text)
        if label == "confirmed":
            assert {"event page", "my events", "emails"} <= set(leaked), leaked
            assert "listing" not in leaked and "home" not in leaked
        else:
            assert leaked == [], f"{label} sees the join link in {leaked}"
