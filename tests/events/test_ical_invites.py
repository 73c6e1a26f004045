"""events.ical: invites parsed back with icalendar, checked against the event."""

import datetime as dt
import email
import email.policy

import pytest
from icalendar import Calendar

from events import ical, services
from events.models import EventCalendarState, Registration

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def parse(cal) -> Calendar:
    return Calendar.from_ical(ical.calendar_bytes(cal))


def only_vevent(parsed):
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def invite_from_mail(message):
    """The text/calendar part of a sent message: (MIME method param, parsed calendar)."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    return part.get_param("method"), Calendar.from_ical(part.get_content())


def register(user, event, capture):
    with capture(execute=True):
        return services.registration_create(user, event, {})


@pytest.fixture
def confirmed(make_event, member):
    event = make_event()
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    return Registration.objects.select_related("event", "user__membership").get(pk=registration.pk)


def test_invite_has_method_organizer_attendee_and_times(confirmed, settings):
    parsed = parse(ical.invite_calendar(confirmed, "REQUEST"))
    event = confirmed.event

    assert parsed["METHOD"] == "REQUEST"
    assert parsed["VERSION"] == "2.0"
    assert parsed["PRODID"]
    vevent = only_vevent(parsed)
    assert str(vevent["UID"]) == event.calendar.ical_uid
    assert event.url not in str(vevent["UID"])
    assert vevent["SEQUENCE"] == 0
    assert str(vevent["ORGANIZER"]) == "mailto:no-reply@example.org"
    assert vevent["ORGANIZER"].params["CN"] == settings.WAGTAIL_SITE_NAME
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == f"mailto:{confirmed.user.email}"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["RSVP"] == "FALSE"
    assert vevent["DTSTART"].dt.astimezone(UTC) == event.start
    assert vevent["DTEND"].dt.astimezone(UTC) == event.end
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["URL"].endswith(event.url)
    assert vevent["URL"].startswith("http")
    assert vevent["LOCATION"] == "Online"
    assert "Sample event for tests." in vevent["DESCRIPTION"]
    assert event.online_join_url not in ical.calendar_bytes(parsed).decode()


def test_dtstamp_and_last_modified_are_the_last_change_not_now(confirmed):
    state = confirmed.event.calendar
    EventCalendarState.objects.filter(pk=state.pk).update(
        changed_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    confirmed.event.last_published_at = dt.datetime(2026, 1, 1, tzinfo=UTC)
    state.refresh_from_db()
    vevent = ical.build_vevent(confirmed.event, state)
    assert vevent["DTSTAMP"].dt == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert vevent["LAST-MODIFIED"].dt == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # A later publish (e.g. a corrected summary) is a change of the calendar object too.
    confirmed.event.last_published_at = dt.datetime(2026, 2, 1, tzinfo=UTC)
    assert ical.build_vevent(confirmed.event, state)["LAST-MODIFIED"].dt == dt.datetime(
        2026, 2, 1, tzinfo=UTC
    )


def test_uid_stable_and_sequence_increasing_through_update_and_cancel(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event()
    registration = register(member, event, django_capture_on_commit_callbacks)
    method, first = invite_from_mail(mailoutbox[-1])
    assert method == first["METHOD"] == "REQUEST"

    page = event.get_latest_revision_as_object()
    page.start_time = dt.time(10, 0)
    page.end_time = dt.time(13, 0)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    event.refresh_from_db()
    method, updated = invite_from_mail(mailoutbox[-1])
    assert method == updated["METHOD"] == "REQUEST"

    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration, by=member)
    method, cancelled = invite_from_mail(mailoutbox[-1])
    assert method == cancelled["METHOD"] == "CANCEL"

    vevents = [only_vevent(c) for c in (first, updated, cancelled)]
    assert len({str(v["UID"]) for v in vevents}) == 1
    sequences = [v["SEQUENCE"] for v in vevents]
    assert sequences == sorted(set(sequences)) and sequences[0] < sequences[1] < sequences[2]
    assert vevents[1]["DTSTART"].dt.astimezone(UTC) == event.start
    assert vevents[1]["DTSTART"].dt.hour == 10
    assert vevents[2]["STATUS"] == "CANCELLED"
    assert vevents[2]["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_all_day_event_uses_dates_with_exclusive_end(make_event):
    day = dt.date(2027, 5, 10)
    event = make_event(
        start_date=day, start_time=None, end_date=day + dt.timedelta(days=2), end_time=None
    )
    cal = ical.new_calendar()
    cal.add_component(ical.build_vevent(event, event.calendar))
    raw = ical.calendar_bytes(ical.add_timezones(cal))
    assert b"DTSTART;VALUE=DATE:20270510" in raw
    parsed = Calendar.from_ical(raw)
    vevent = only_vevent(parsed)
    assert vevent["DTSTART"].dt == day
    assert not isinstance(vevent["DTSTART"].dt, dt.datetime)
    assert vevent["DTEND"].dt == dt.date(2027, 5, 13)  # exclusive: the day after the last
    assert parsed.walk("VTIMEZONE") == []


def test_cancelled_event_is_marked_in_status_and_summary(make_event):
    event = make_event(status="cancelled")
    vevent = ical.build_vevent(event, event.calendar)
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SUMMARY"] == f"Cancelled: {event.title}"
    postponed = make_event(status="postponed")
    assert ical.build_vevent(postponed, postponed.calendar)["STATUS"] == "TENTATIVE"


def test_join_url_only_when_private(make_event):
    event = make_event()
    public = ical.build_vevent(event, event.calendar)
    private = ical.build_vevent(event, event.calendar, private=True)
    assert event.online_join_url not in public.to_ical().decode()
    assert "CONFERENCE" not in public
    assert event.online_join_url in private["DESCRIPTION"]
    conference = private["CONFERENCE"]
    assert str(conference) == event.online_join_url
    assert conference.params["VALUE"] == "URI"
    in_person = make_event(format="in_person", venue_name="Sample Hall", venue_city="Lyon")
    assert "CONFERENCE" not in ical.build_vevent(in_person, in_person.calendar, private=True)


def test_location_lists_venue_parts(make_event):
    event = make_event(
        format="hybrid",
        venue_name="Sample Hall",
        venue_address="1 Sample Street\nBuilding B",
        venue_city="Lyon",
        venue_country="FR",
    )
    location = ical.build_vevent(event, event.calendar)["LOCATION"]
    assert location == "Sample Hall, 1 Sample Street Building B, Lyon, France (and online)"


def test_line_breaks_in_title_stay_one_summary(make_event):
    event = make_event(title="Sample\r\nBEGIN:VEVENT\r\nSUMMARY:Injected; x, y")
    cal = ical.new_calendar(method="PUBLISH")
    cal.add_component(ical.build_vevent(event, event.calendar))
    raw = ical.calendar_bytes(ical.add_timezones(cal))
    lines = raw.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 1
    assert not any(line.startswith(b"SUMMARY:Injected") for line in lines)
    parsed = Calendar.from_ical(raw)
    vevent = only_vevent(parsed)
    # The text survives whole (line breaks normalised to LF by the round trip).
    assert vevent["SUMMARY"] == event.title.replace("\r\n", "\n")
    assert [name for name, _ in vevent.property_items(recursive=False)].count("SUMMARY") == 1


def test_dst_day_paris_morning_is_0700_utc(make_event):
    day = dt.date(2027, 3, 28)  # clocks go forward at 02:00 in Paris
    event = make_event(start_date=day, start_time=dt.time(9), end_date=day, end_time=dt.time(11))
    cal = ical.new_calendar()
    cal.add_component(ical.build_vevent(event, event.calendar))
    parsed = Calendar.from_ical(ical.calendar_bytes(ical.add_timezones(cal)))
    vevent = only_vevent(parsed)
    assert vevent["DTSTART"].dt.astimezone(UTC) == dt.datetime(2027, 3, 28, 7, tzinfo=UTC)
    assert vevent["DTEND"].dt.astimezone(UTC) == dt.datetime(2027, 3, 28, 9, tzinfo=UTC)
    # The VTIMEZONE alone (as a client without tz data reads it) gives the same offset.
    timezone_component = parsed.walk("VTIMEZONE")[0]
    zone = timezone_component.to_tz()
    wall = dt.datetime(2027, 3, 28, 9, tzinfo=zone)
    assert wall.astimezone(UTC) == dt.datetime(2027, 3, 28, 7, tzinfo=UTC)
    winter = dt.datetime(2027, 3, 27, 9, tzinfo=zone)
    assert winter.astimezone(UTC) == dt.datetime(2027, 3, 27, 8, tzinfo=UTC)


def test_feed_of_several_zones_has_a_vtimezone_for_each(make_event):
    paris = make_event()
    tokyo = make_event(time_zone="Asia/Tokyo")
    utc = make_event(time_zone="UTC")
    cal = ical.new_calendar(name="Sample feed")
    for event in (paris, tokyo, utc):
        cal.add_component(ical.build_vevent(event, event.calendar))
    parsed = Calendar.from_ical(ical.calendar_bytes(ical.add_timezones(cal)))
    assert "METHOD" not in parsed
    assert sorted(tz["TZID"] for tz in parsed.walk("VTIMEZONE")) == ["Asia/Tokyo", "Europe/Paris"]
    assert parsed["X-WR-CALNAME"] == "Sample feed"
    by_uid = {str(v["UID"]): v for v in parsed.walk("VEVENT")}
    for event in (paris, tokyo, utc):
        assert by_uid[event.calendar.ical_uid]["DTSTART"].dt.astimezone(UTC) == event.start


def test_url_is_site_url_whatever_the_site_record_says(make_event, settings):
    from wagtail.models import Site

    event = make_event()
    Site.objects.update(hostname="localhost", port=80)
    Site.clear_site_root_paths_cache()
    settings.SITE_URL = "https://community.example.org:8443"
    vevent = ical.build_vevent(event, event.calendar)
    assert vevent["URL"] == f"https://community.example.org:8443/events/{event.slug}/"
    assert f"Event page: {vevent['URL']}" in str(vevent["DESCRIPTION"])


def test_event_under_no_site_carries_no_broken_url(make_event):
    from wagtail.models import Site

    event = make_event()
    Site.objects.all().delete()
    Site.clear_site_root_paths_cache()
    vevent = ical.build_vevent(event, event.calendar)
    assert "URL" not in vevent
    assert "Event page" not in str(vevent["DESCRIPTION"])


def test_re_registration_outranks_the_earlier_cancel(
    make_event, member, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event()
    first = register(member, event, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(first, by=member)
    _, cancel = invite_from_mail(mailoutbox[-1])
    register(member, event, django_capture_on_commit_callbacks)
    method, again = invite_from_mail(mailoutbox[-1])
    assert method == "REQUEST"
    cancel_vevent, again_vevent = only_vevent(cancel), only_vevent(again)
    assert again_vevent["UID"] == cancel_vevent["UID"]
    assert again_vevent["SEQUENCE"] > cancel_vevent["SEQUENCE"]


def test_feed_calendar_header_for_issue_4():
    cal = Calendar.from_ical(
        ical.calendar_bytes(ical.new_calendar(name="Sample", refresh=dt.timedelta(hours=6)))
    )
    assert "METHOD" not in cal
    assert cal["NAME"] == cal["X-WR-CALNAME"] == "Sample"
    assert cal.refresh_interval == dt.timedelta(hours=6)
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal["X-PUBLISHED-TTL"].to_ical() == b"PT6H"
