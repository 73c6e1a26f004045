"""Registration emails: parsed back with Python's email parser and their .ics with icalendar."""

import datetime as dt
import email
import email.policy
import zoneinfo

import pytest
from icalendar import Calendar

from community.models import OutboundEmail
from events import services
from events.models import Registration
from events.tasks import send_registration_email

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def parse_mail(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def leaf_texts(parsed) -> str:
    """Every decoded leaf part plus the subject: where a join link could hide."""
    texts = [str(parsed["Subject"])]
    for part in parsed.walk():
        if not part.is_multipart():
            texts.append(part.get_content())
    return "\n".join(t if isinstance(t, str) else t.decode() for t in texts)


def calendar_part(parsed):
    """(part, parsed calendar) of the single text/calendar part, or (None, None)."""
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) <= 1
    if not parts:
        return None, None
    return parts[0], Calendar.from_ical(parts[0].get_content())


def body_text(parsed) -> str:
    return parsed.get_body(preferencelist=("plain",)).get_content()


def send(registration, kind, invite, capture, key=None):
    key = key or f"test:{registration.pk}:{kind}"
    with capture(execute=True):
        result = send_registration_email.enqueue(registration.pk, kind, key, invite)
    return result.return_value


# kind, registration status, event status, invite flag → METHOD expected, join link expected
CASES = [
    ("confirmed", "confirmed", "scheduled", True, "REQUEST", True),
    ("promoted", "confirmed", "scheduled", True, "REQUEST", True),
    ("approved", "confirmed", "scheduled", True, "REQUEST", True),
    ("event_updated", "confirmed", "scheduled", True, "REQUEST", True),
    ("reminder_24h", "confirmed", "scheduled", True, "REQUEST", True),
    ("reminder_1h", "confirmed", "scheduled", True, "REQUEST", True),
    ("waitlisted", "waitlisted", "scheduled", True, None, False),
    ("pending", "pending", "scheduled", False, None, False),
    ("rejected", "rejected", "scheduled", False, None, False),
    ("cancelled", "cancelled", "scheduled", True, "CANCEL", False),
    ("cancelled", "cancelled", "scheduled", False, None, False),
    ("event_cancelled", "confirmed", "cancelled", True, "CANCEL", False),
    ("event_updated", "waitlisted", "scheduled", False, None, False),
    ("event_updated", "pending", "postponed", False, None, False),
    ("event_cancelled", "waitlisted", "cancelled", False, None, False),
]


@pytest.mark.parametrize(("kind", "status", "event_status", "invite", "method", "join"), CASES)
def test_every_kind(
    kind,
    status,
    event_status,
    invite,
    method,
    join,
    make_event,
    le_member,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    event = make_event(status=event_status)
    registration = Registration.objects.create(
        event=event,
        user=le_member,
        status=status,
        decision_reason="Sample reason: the room is for analysts." if status == "rejected" else "",
    )
    assert send(registration, kind, invite, django_capture_on_commit_callbacks) == "queued"

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [le_member.email]
    parsed = parse_mail(mailoutbox[0])
    assert event.title in str(parsed["Subject"])
    text = body_text(parsed)
    assert event.title in text
    assert event.url in text
    assert "/me/events/" in text
    assert (event.online_join_url in leaf_texts(parsed)) is join
    if kind == "rejected":
        assert "Sample reason: the room is for analysts." in text
    if kind.startswith("reminder_"):
        hours = int(kind.removeprefix("reminder_").removesuffix("h"))
        assert "within the hour" in text if hours == 1 else f"{hours} hours" in text

    part, cal = calendar_part(parsed)
    if method is None:
        assert part is None
        return
    assert part.get_param("method") == method == cal["METHOD"]
    assert part.get_content_charset() == "utf-8"
    assert part.get_filename() == ("cancel.ics" if method == "CANCEL" else "invite.ics")
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["UID"]) == event.calendar.ical_uid
    assert str(vevent["ORGANIZER"]).startswith("mailto:")
    assert str(vevent["ATTENDEE"]) == f"mailto:{le_member.email}"
    assert vevent["DTSTART"].dt.astimezone(UTC) == event.start
    assert vevent["DTEND"].dt.astimezone(UTC) == event.end
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [event.time_zone]
    if method == "CANCEL":
        assert vevent["STATUS"] == "CANCELLED"
    if join:
        assert str(vevent["CONFERENCE"]) == event.online_join_url


def test_seat_email_for_someone_without_a_seat_is_not_sent(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event()
    registration = Registration.objects.create(event=event, user=member, status="waitlisted")
    for kind in ("confirmed", "promoted", "approved", "reminder_24h"):
        assert send(registration, kind, True, django_capture_on_commit_callbacks) == "skipped"
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


def test_unknown_kind_is_refused(make_event, member, django_capture_on_commit_callbacks):
    event = make_event()
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    from events.emails import build_registration_email as render

    with pytest.raises(ValueError, match="Unknown"):
        render(registration.pk, "surprise", "test:x", True)
    assert not OutboundEmail.objects.exists()


def test_times_in_event_zone_and_recipient_zone(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    member.membership.time_zone = "Asia/Singapore"
    member.membership.save()
    event = make_event()
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    send(registration, "confirmed", True, django_capture_on_commit_callbacks)
    text = body_text(parse_mail(mailoutbox[0]))
    paris = event.start.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    singapore = event.start.astimezone(zoneinfo.ZoneInfo("Asia/Singapore"))
    assert paris.strftime("%H:%M") == "09:00"
    assert "09:00–12:00 · Paris (UTC+" in text
    assert f"{singapore:%H:%M}–" in text and " · Singapore (UTC+8)" in text
    assert "Your time:" in text


@pytest.mark.parametrize("zone", ["", "Europe/Paris", "Not/AZone"])
def test_single_zone_when_recipient_zone_is_unset_same_or_invalid(
    zone, make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    member.membership.time_zone = zone
    member.membership.save()
    event = make_event()
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    send(registration, "confirmed", True, django_capture_on_commit_callbacks)
    text = body_text(parse_mail(mailoutbox[0]))
    assert "09:00–12:00 · Paris (UTC+" in text
    assert "Your time:" not in text


def test_same_key_sends_once(make_event, member, mailoutbox, django_capture_on_commit_callbacks):
    event = make_event()
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    assert send(registration, "confirmed", True, django_capture_on_commit_callbacks, "k1") == (
        "queued"
    )
    assert send(registration, "confirmed", True, django_capture_on_commit_callbacks, "k1") == (
        "duplicate"
    )
    assert OutboundEmail.objects.filter(key="k1").count() == 1
    assert OutboundEmail.objects.count() == 1
    assert len(mailoutbox) == 1


def test_registrant_who_lost_access_gets_nothing(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(audience="members")
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    # Narrowed without a publish signal: only the delivery-time check stands in the way.
    type(event).objects.filter(pk=event.pk).update(audience="staff")
    for kind in ("confirmed", "event_updated", "reminder_24h", "event_cancelled", "cancelled"):
        assert send(registration, kind, True, django_capture_on_commit_callbacks) == "skipped"
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


def test_register_sends_confirmation_with_join_link(
    make_event, le_member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(le_member, event, {})
    [message] = mailoutbox
    parsed = parse_mail(message)
    part, cal = calendar_part(parsed)
    assert part.get_param("method") == "REQUEST"
    assert event.online_join_url in body_text(parsed)


def test_reschedule_updates_seat_holders_and_tells_the_waitlist(
    make_event, member, le_member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(member, event, {})
        services.registration_create(le_member, event, {})
    assert Registration.objects.get(user=le_member).status == "waitlisted"
    _, first = calendar_part(parse_mail(mailoutbox[0]))
    [first_vevent] = first.walk("VEVENT")
    mailoutbox.clear()

    page = event.get_latest_revision_as_object()
    page.start_date = page.start_date + dt.timedelta(days=1)
    page.end_date = page.end_date + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    event.refresh_from_db()

    by_recipient = {m.to[0]: parse_mail(m) for m in mailoutbox}
    assert set(by_recipient) == {member.email, le_member.email}
    part, cal = calendar_part(by_recipient[member.email])
    assert part.get_param("method") == cal["METHOD"] == "REQUEST"
    [vevent] = cal.walk("VEVENT")
    assert vevent["UID"] == first_vevent["UID"]
    assert vevent["SEQUENCE"] == first_vevent["SEQUENCE"] + 1
    assert vevent["DTSTART"].dt.astimezone(UTC) == event.start
    assert event.online_join_url in leaf_texts(by_recipient[member.email])

    waitlisted = by_recipient[le_member.email]
    assert calendar_part(waitlisted) == (None, None)
    assert event.online_join_url not in leaf_texts(waitlisted)
    assert "waiting list" in body_text(waitlisted)


def test_cancelling_the_event_sends_cancel_to_seat_holders(
    make_event, member, le_member, editor, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(member, event, {})
        services.registration_create(le_member, event, {})
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event, by=editor)

    by_recipient = {m.to[0]: parse_mail(m) for m in mailoutbox}
    assert set(by_recipient) == {member.email, le_member.email}
    part, cal = calendar_part(by_recipient[member.email])
    assert part.get_param("method") == cal["METHOD"] == "CANCEL"
    [vevent] = cal.walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED"
    assert str(vevent["SUMMARY"]).startswith("Cancelled: ")
    assert event.online_join_url not in leaf_texts(by_recipient[member.email])
    assert calendar_part(by_recipient[le_member.email]) == (None, None)


def test_non_ascii_title_survives_mime_and_ics(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(title="Sample atelier: données & café — 東京")
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    send(registration, "confirmed", True, django_capture_on_commit_callbacks)
    parsed = parse_mail(mailoutbox[0])
    assert event.title in str(parsed["Subject"])
    assert event.title in body_text(parsed)  # not HTML-escaped in the plain text
    _, cal = calendar_part(parsed)
    assert cal.walk("VEVENT")[0]["SUMMARY"] == event.title


def test_no_update_email_for_an_event_that_is_over(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    day = (dt.datetime.now(UTC) - dt.timedelta(days=3)).date()
    event = make_event(start_date=day, end_date=day)
    registration = Registration.objects.create(event=event, user=member, status="attended")
    assert send(registration, "event_updated", True, django_capture_on_commit_callbacks) == (
        "skipped"
    )
    assert mailoutbox == []
