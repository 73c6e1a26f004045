"""What registrants read from an editor: the message to attendees (previewed exactly, no
greeting added, sent once) and the message that goes with a cancelled event's emails."""

import email
import email.policy

from django.core import mail
from django.urls import reverse

import pytest
from bs4 import BeautifulSoup

from community.models import OutboundEmail
from events import services
from events.models import EventCalendarState, EventPage
from tests.events.test_admin import register_members

pytestmark = pytest.mark.django_db

BATCH = "0c3a6a52-0000-4000-8000-00000000000a"
TEXT = "Dear participants,\n\nWe meet in room B <b>(not A)</b> & bring ID.\n\nSee you there."
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


@pytest.fixture(autouse=True)
def _empty_outbox():
    mail.outbox = []


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


def url(name, event):
    return reverse(f"events_admin:{name}", args=[event.pk])


def parse_html(response):
    return BeautifulSoup(response.content, "html5lib")


def parse_mail(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def text_part(parsed):
    return parsed.get_body(preferencelist=("plain",)).get_content()


def html_part(parsed):
    part = parsed.get_body(preferencelist=("html",))
    assert part is not None and part.get_content_type() == "text/html"
    return BeautifulSoup(part.get_content(), "html5lib")


def message_form(**overrides):
    return {
        "batch": BATCH,
        "recipients": "confirmed",
        "subject": "Sample: room change",
        "message": TEXT.replace("\n", "\r\n"),  # as browsers send a textarea
        **overrides,
    }


# --- Message attendees: preview -----------------------------------------------------------


def test_preview_shows_the_exact_email_and_sends_nothing(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event(capacity=2)
    confirmed = register_members(event, 2)
    register_members(event, 1)  # waitlisted: not a recipient of "confirmed"

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("message", event), message_form(preview="1"))
    assert response.status_code == 200
    assert mail.outbox == []
    # Registration emails exist; no message to attendees does.
    assert not OutboundEmail.objects.filter(key__startswith="event-message:").exists()

    page = parse_html(response)
    assert page.find("h1").get_text(strip=True) == f"Preview the message: {event.title}"
    preview_body = page.select_one("[data-body]").get_text()
    headers = {
        dd["data-header"]: dd.get_text(" ", strip=True) for dd in page.select("dd[data-header]")
    }
    assert headers["subject"] == "Sample: room change"
    assert headers["to"] == (
        f"{confirmed[0].user.email} and 1 other registrant, each in their own email"
    )
    # The preview's form carries the same values, batch included, and offers to send.
    form = page.select_one("form.events-email-preview__actions")
    hidden = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert hidden["batch"] == BATCH
    assert hidden["recipients"] == "confirmed"
    assert hidden["message"] == TEXT
    send = form.find("button", attrs={"name": "send"})
    assert send.get_text(strip=True) == "Send 2 emails"
    assert form.find("button", attrs={"name": "edit"}) is not None

    # Sending from the preview: each recipient gets exactly what the preview showed.
    data = {**hidden, "send": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("message", event), data)
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.user.email for r in confirmed)
    for message in mail.outbox:
        parsed = parse_mail(message)
        assert str(parsed["Subject"]) == headers["subject"]
        assert str(parsed["From"]) == headers["from"]
        assert text_part(parsed).replace("\r\n", "\n") == preview_body


def test_the_message_adds_no_greeting_of_its_own(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event()
    registration = register_members(event, 1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(url("message", event), message_form(send="1"))

    [message] = mail.outbox
    body = text_part(parse_mail(message)).replace("\r\n", "\n")
    # The editor's words come first, exactly as typed; the site adds only a closing line.
    assert body.startswith(TEXT + "\n\n-- \n")
    assert "Hello" not in body
    assert registration.user.membership.display_name not in body
    closing = body.split("\n-- \n", 1)[1]
    assert f"You receive this message because you registered for “{event.title}”." in closing
    assert event.url_path.split("/")[-2] in closing  # the event's address


def test_preview_escapes_what_the_editor_typed(editor_client, make_event):
    event = make_event()
    register_members(event, 1)
    response = editor_client.post(
        url("message", event), message_form(subject=EVIL, message=EVIL, preview="1")
    )
    page = parse_html(response)
    main = page.find("main") or page
    assert not main.select("script:not([src]):not([type]), img[onerror]")
    assert EVIL in page.select_one("[data-body]").get_text()
    assert page.select_one("dd[data-header=subject]").get_text(strip=True) == EVIL


def test_change_the_message_returns_to_the_filled_form(editor_client, make_event):
    event = make_event()
    register_members(event, 1)
    response = editor_client.post(
        url("message", event), message_form(recipients="active", edit="1")
    )
    page = parse_html(response)
    assert page.find("h1").get_text(strip=True) == f"Message attendees: {event.title}"
    assert page.select_one("textarea[name=message]").get_text().strip("\n") == TEXT
    assert page.select_one("input[name=recipients][checked]")["value"] == "active"
    assert page.select_one("input[name=batch]")["value"] == BATCH
    assert page.find("button", attrs={"name": "preview"}) is not None
    # Registration emails exist; no message to attendees does.
    assert not OutboundEmail.objects.filter(key__startswith="event-message:").exists()


def test_a_fresh_form_has_a_new_batch_and_only_a_preview_button(editor_client, make_event):
    event = make_event()
    first = parse_html(editor_client.get(url("message", event)))
    second = parse_html(editor_client.get(url("message", event)))
    batch = first.select_one("input[name=batch]")["value"]
    assert batch != second.select_one("input[name=batch]")["value"]
    buttons = [b.get("name") for b in first.select("main form button[type=submit]")]
    assert buttons == ["preview"]


def test_sending_the_previewed_form_twice_sends_once(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event()
    register_members(event, 2)
    data = message_form(send="1")
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(url("message", event), data)
        editor_client.post(url("message", event), data)  # a double click on "Send"
    assert len(mail.outbox) == 2
    assert OutboundEmail.objects.filter(key__startswith=f"event-message:{BATCH}:").count() == 2


def test_nobody_to_send_to_previews_with_no_send_button(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event(approval_required=True)
    register_members(event, 1)  # pending: not "confirmed"
    response = editor_client.post(url("message", event), message_form(preview="1"))
    page = parse_html(response)
    assert page.find("button", attrs={"name": "send"}) is None
    assert "no email would be sent" in page.get_text(" ", strip=True)

    # Forcing "send" anyway still writes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("message", event), message_form(send="1"))
    assert response.status_code == 200
    # Registration emails exist; no message to attendees does.
    assert not OutboundEmail.objects.filter(key__startswith="event-message:").exists()
    assert mail.outbox == []


# --- Cancel event with a message ----------------------------------------------------------


def test_cancel_message_goes_into_the_text_and_html_parts_escaped(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    confirmed, waitlisted = register_members(event, 2)
    mail.outbox = []
    words = f"The venue flooded.\nWe will announce a new date.\n{EVIL}"

    page = parse_html(editor_client.get(url("cancel", event)))
    field = page.select_one("textarea[name=message]")
    assert field is not None
    assert page.find("label", attrs={"for": field["id"]}) is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("cancel", event), {"message": words})
    assert response.status_code == 302
    assert EventPage.objects.get(pk=event.pk).status == "cancelled"

    by_recipient = {m.to[0]: parse_mail(m) for m in mail.outbox}
    assert set(by_recipient) == {confirmed.user.email, waitlisted.user.email}
    for parsed in by_recipient.values():
        text = text_part(parsed).replace("\r\n", "\n")
        assert "A message from the organisers:\n\n" + words in text
        html = html_part(parsed)
        quoted = html.select_one("[data-message]")
        assert quoted.get_text("\n", strip=True) == words
        # Escaped: the editor's markup is text, never elements.
        assert not html.select("script, img")
        assert html.find("html")["lang"] == "en"
        assert event.title in html.get_text(" ", strip=True)


def test_cancelling_without_a_message_has_no_message_section(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event()
    register_members(event, 1)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(url("cancel", event), {"message": "   "})
    [message] = mail.outbox
    parsed = parse_mail(message)
    assert "message from the organisers" not in text_part(parsed)
    assert html_part(parsed).select_one("[data-message]") is None
    assert f"“{event.title}” is cancelled" in text_part(parsed)


def test_too_long_a_cancel_message_cancels_nothing(
    editor_client, make_event, enqueued_tasks, django_capture_on_commit_callbacks
):
    event = make_event()
    register_members(event, 1)
    sequence = EventCalendarState.objects.get(pk=event.pk).sequence
    enqueued_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            url("cancel", event), {"message": "x" * (services.CANCEL_MESSAGE_MAX + 1)}
        )
    assert response.status_code == 400
    page = parse_html(response)
    assert page.select(".error-message, .w-field__errors")
    assert EventPage.objects.get(pk=event.pk).status == "scheduled"
    assert EventCalendarState.objects.get(pk=event.pk).sequence == sequence
    assert enqueued_tasks == []


def test_the_service_refuses_a_second_cancellation_and_too_long_a_message(make_event, editor):
    event = make_event()
    with pytest.raises(services.RegistrationError) as too_long:
        services.event_cancel(event, by=editor, message="x" * (services.CANCEL_MESSAGE_MAX + 1))
    assert too_long.value.code == "message"
    assert EventPage.objects.get(pk=event.pk).status == "scheduled"

    services.event_cancel(event, by=editor)
    with pytest.raises(services.RegistrationError) as again:
        services.event_cancel(event, by=editor, message="Sample")
    assert again.value.code == "state"


def test_the_message_travels_only_with_that_cancellation(
    make_event, editor, enqueued_tasks, django_capture_on_commit_callbacks
):
    event = make_event()
    registration = register_members(event, 1)[0]
    enqueued_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event, by=editor, message="  Sample reason  ")
    assert [(args[1], args[5:]) for args in enqueued_tasks] == [
        ("event_cancelled", ("Sample reason",))
    ]
    assert enqueued_tasks[0][0] == registration.pk

    # An editor reinstating and re-cancelling from the page editor sends no old message.
    enqueued_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = EventPage.objects.get(pk=event.pk)
        page.status = "scheduled"
        page.save_revision().publish()
        page = EventPage.objects.get(pk=event.pk)
        page.status = "cancelled"
        page.save_revision().publish()
    kinds = [(args[1], args[5:]) for args in enqueued_tasks]
    assert kinds == [("event_updated", ()), ("event_cancelled", ())]


@pytest.fixture
def enqueued_tasks(monkeypatch):
    """Registration-email tasks as queued on commit (their arguments only)."""
    import events.notifications

    calls = []

    class Fake:
        @staticmethod
        def enqueue(*args):
            calls.append(args)

    monkeypatch.setattr(events.notifications, "send_registration_email_task", Fake)
    return calls
