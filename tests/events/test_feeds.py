"""Calendar feeds, parsed back with icalendar: content, privacy, caching, filters, queries."""

import datetime as dt
import zoneinfo

from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

import pytest
from icalendar import Calendar

from community import services as community_services
from events import links, tokens
from events import services as event_services
from events.models import EventCalendarState, EventPage, Registration, Topic
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db

FEED = "/events/feed.ics"
JOIN = "https://meet.example.org/secret-room-123"


def parse(response) -> Calendar:
    assert response.status_code == 200, response.content[:300]
    return Calendar.from_ical(response.content)


def unfolded(response) -> bytes:
    """The raw body with folded lines joined, so a search cannot miss a folded value."""
    return response.content.replace(b"\r\n ", b"")


def vevents(cal):
    return cal.walk("VEVENT")


def by_uid(cal):
    return {str(v["UID"]): v for v in vevents(cal)}


def uid(event):
    return EventCalendarState.objects.get(pk=event.pk).ical_uid


def publish(event, **changes):
    page = EventPage.objects.get(pk=event.pk)
    for key, value in changes.items():
        setattr(page, key, value)
    page.save_revision().publish()
    return EventPage.objects.get(pk=event.pk)


def token_urls(user):
    _row, token = tokens.issue(user)
    return (
        reverse("events:calendar_events", args=[token]),
        reverse("events:calendar_my_events", args=[token]),
    )


# --- the public feed ------------------------------------------------------------------------


def test_public_feed_headers_and_calendar_properties(client, make_event):
    make_event()
    response = client.get(FEED)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="events.ics"'
    assert response["Cache-Control"].startswith("public")
    assert response["ETag"] and response["Last-Modified"]
    cal = parse(response)
    assert cal["METHOD"] == "PUBLISH"
    assert cal["NAME"] == cal["X-WR-CALNAME"]
    assert "events" in str(cal["NAME"]).lower()
    refresh = cal["REFRESH-INTERVAL"]
    assert refresh.params["VALUE"] == "DURATION"
    assert refresh.dt == dt.timedelta(hours=1)
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"


def test_uid_permanent_unique_and_not_the_url(client, make_event):
    first, second = make_event(), make_event()
    cal = parse(client.get(FEED))
    uids = [str(v["UID"]) for v in vevents(cal)]
    assert sorted(uids) == sorted([uid(first), uid(second)])
    for vevent in vevents(cal):
        assert "http" not in str(vevent["UID"])
        assert str(vevent["URL"]).startswith("http")

    moved = publish(first, slug="sample-renamed")
    after = by_uid(parse(client.get(FEED)))
    assert uid(moved) in after
    assert "sample-renamed" in str(after[uid(moved)]["URL"])


def test_times_in_event_zone_with_a_vtimezone_for_every_tzid(client, make_event):
    make_event(time_zone="Europe/Paris")
    make_event(
        time_zone="America/Sao_Paulo",
        format="in_person",
        venue_name="Sample Hall",
        venue_city="Sample City",
        online_join_url="",
    )
    cal = parse(client.get(FEED))
    used = {v["DTSTART"].params["TZID"] for v in vevents(cal)}
    used |= {v["DTEND"].params["TZID"] for v in vevents(cal)}
    assert used == {"Europe/Paris", "America/Sao_Paulo"}
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert used <= zones
    paris = [v for v in vevents(cal) if v["DTSTART"].params["TZID"] == "Europe/Paris"][0]
    assert paris["DTSTART"].dt.hour == 9
    assert paris["DTSTART"].dt.utcoffset() is not None


def test_location_and_url(client, make_event):
    event = make_event(
        format="in_person",
        venue_name="Sample Hall",
        venue_city="Sample City",
        venue_country="FR",
        online_join_url="",
    )
    vevent = by_uid(parse(client.get(FEED)))[uid(event)]
    assert str(vevent["LOCATION"]) == "Sample Hall, Sample City, France"
    assert str(vevent["URL"]).endswith(event.url_path.split("/", 2)[-1])
    online = make_event()
    assert str(by_uid(parse(client.get(FEED)))[uid(online)]["LOCATION"]) == "Online"


def test_all_day_and_multi_day_use_dates_with_exclusive_end(client, make_event):
    day = timezone.now().date() + dt.timedelta(days=10)
    one = make_event(start_date=day, end_date=day, start_time=None, end_time=None)
    three = make_event(
        start_date=day, end_date=day + dt.timedelta(days=2), start_time=None, end_time=None
    )
    found = by_uid(parse(client.get(FEED)))
    for event, days in ((one, 1), (three, 3)):
        vevent = found[uid(event)]
        assert vevent["DTSTART"].params["VALUE"] == "DATE"
        assert vevent["DTSTART"].dt == day
        assert not isinstance(vevent["DTEND"].dt, dt.datetime)
        assert vevent["DTEND"].dt == day + dt.timedelta(days=days)
    assert b"DTSTART;VALUE=DATE:" in client.get(FEED).content


def test_dtstamp_and_last_modified_come_from_the_last_change_not_now(client, make_event):
    event = make_event()
    past = dt.datetime(2026, 1, 5, 10, 30, tzinfo=dt.UTC)
    EventCalendarState.objects.filter(pk=event.pk).update(changed_at=past)
    EventPage.objects.filter(pk=event.pk).update(last_published_at=past)
    first = by_uid(parse(client.get(FEED)))[uid(event)]
    second = by_uid(parse(client.get(FEED)))[uid(event)]
    assert first["DTSTAMP"].dt == past == first["LAST-MODIFIED"].dt
    assert second["DTSTAMP"].dt == past == second["LAST-MODIFIED"].dt


def test_sequence_increases_on_significant_change(client, make_event):
    event = make_event()
    assert by_uid(parse(client.get(FEED)))[uid(event)]["SEQUENCE"] == 0
    publish(event, start_time=dt.time(10, 0))
    assert by_uid(parse(client.get(FEED)))[uid(event)]["SEQUENCE"] == 1
    publish(event, venue_name="", format="online", summary="Sample new summary.")
    # The summary is not significant: the sequence stays.
    assert by_uid(parse(client.get(FEED)))[uid(event)]["SEQUENCE"] == 1


def test_cancelled_events_stay_with_status_and_prefix(client, make_event, editor):
    event = make_event(title="Sample cancelled talk")
    event_services.event_cancel(event, by=editor)
    vevent = by_uid(parse(client.get(FEED)))[uid(event)]
    assert vevent["STATUS"] == "CANCELLED"
    assert str(vevent["SUMMARY"]) == "Cancelled: Sample cancelled talk"
    assert vevent["SEQUENCE"] == 1


def test_title_injection_stays_one_escaped_summary(client, make_event):
    evil = "Sample\r\nBEGIN:VEVENT\r\nSUMMARY:evil"
    make_event(title=evil)
    make_event()
    cal = parse(client.get(FEED))
    assert len(vevents(cal)) == 2
    # The title comes back whole (the parser normalises CRLF to LF), as one SUMMARY.
    assert evil.replace("\r\n", "\n") in [str(v["SUMMARY"]) for v in vevents(cal)]
    assert "evil" not in [str(v["SUMMARY"]) for v in vevents(cal)]


def test_past_events_kept_for_ninety_days(client, make_event):
    recent_day = timezone.now().date() - dt.timedelta(days=30)
    old_day = timezone.now().date() - dt.timedelta(days=200)
    recent = make_event(start_date=recent_day, end_date=recent_day)
    old = make_event(start_date=old_day, end_date=old_day)
    found = by_uid(parse(client.get(FEED)))
    assert uid(recent) in found
    assert uid(old) not in found


# --- join links: only in the private channel ---------------------------------------------------


def test_join_link_only_in_my_events_of_a_confirmed_registrant(
    client, client_for, make_event, member, le_member
):
    event = make_event()
    Registration.objects.create(event=event, user=member, status="confirmed")
    Registration.objects.create(event=event, user=le_member, status="waitlisted")
    events_url, my_url = token_urls(member)
    waiting_events, waiting_mine = token_urls(le_member)

    private = client.get(my_url)
    assert JOIN.encode() in unfolded(private)
    vevent = by_uid(parse(private))[uid(event)]
    assert vevent["STATUS"] == "CONFIRMED"
    assert str(vevent["CONFERENCE"]) == JOIN

    member_client = client_for(member)
    for response in (
        client.get(FEED),
        member_client.get(reverse("events:event_ics", args=[event.pk])),
        client.get(events_url),
        client.get(waiting_events),
        client.get(waiting_mine),
    ):
        assert response.status_code == 200
        assert JOIN.encode() not in unfolded(response)
        assert b"CONFERENCE" not in response.content
    waiting = by_uid(parse(client.get(waiting_mine)))[uid(event)]
    assert waiting["STATUS"] == "TENTATIVE"


def test_my_events_shows_cancelled_registrations_as_cancelled(client, make_event, member):
    event = make_event(title="Sample seminar")
    Registration.objects.create(event=event, user=member, status="cancelled", sequence=1)
    _events, mine = token_urls(member)
    vevent = by_uid(parse(client.get(mine)))[uid(event)]
    assert vevent["STATUS"] == "CANCELLED"
    assert str(vevent["SUMMARY"]) == "Cancelled: Sample seminar"
    assert JOIN.encode() not in unfolded(client.get(mine))

    # Registering again: one VEVENT for the event, the active one.
    Registration.objects.create(event=event, user=member, status="confirmed")
    cal = parse(client.get(mine))
    assert len(vevents(cal)) == 1
    assert vevents(cal)[0]["STATUS"] == "CONFIRMED"


def test_my_events_lists_only_own_registrations(client, make_event, member, le_member):
    mine_event, other_event = make_event(), make_event()
    Registration.objects.create(event=mine_event, user=member, status="confirmed")
    Registration.objects.create(event=other_event, user=le_member, status="confirmed")
    _events, mine = token_urls(member)
    assert set(by_uid(parse(client.get(mine)))) == {uid(mine_event)}


# --- visibility ---------------------------------------------------------------------------------


def test_restricted_events_follow_the_owners_access_at_request_time(
    client, make_event, le_member, editor
):
    public = make_event(title="Sample public")
    restricted = make_event(
        title="Sample restricted",
        audience="law_enforcement",
        registration_audience="law_enforcement",
    )
    Registration.objects.create(event=restricted, user=le_member, status="confirmed")
    events_url, my_url = token_urls(le_member)

    assert uid(restricted) not in by_uid(parse(client.get(FEED)))
    assert b"Sample restricted" not in client.get(FEED).content
    assert set(by_uid(parse(client.get(events_url)))) == {uid(public), uid(restricted)}
    assert uid(restricted) in by_uid(parse(client.get(my_url)))

    community_services.membership_suspend(le_member.membership, by=editor)

    after = client.get(events_url)
    assert set(by_uid(parse(after))) == {uid(public)}
    assert b"Sample restricted" not in after.content
    mine = client.get(my_url)
    assert uid(restricted) not in by_uid(parse(mine))
    assert JOIN.encode() not in unfolded(mine)


def test_event_file_follows_the_session_viewer(client, client_for, make_event, member):
    restricted = make_event(audience="members")
    url = reverse("events:event_ics", args=[restricted.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("events:event_ics", args=[999999])).status_code == 404
    response = client_for(member).get(url)
    cal = parse(response)
    assert [str(v["UID"]) for v in vevents(cal)] == [uid(restricted)]
    assert response["Content-Disposition"] == f'inline; filename="event-{restricted.pk}.ics"'
    assert response["Cache-Control"].startswith("private")
    assert "Cookie" in response["Vary"]

    draft = make_event(publish=False, live=False)
    assert client_for(member).get(reverse("events:event_ics", args=[draft.pk])).status_code == 404


# --- filters ------------------------------------------------------------------------------------


def test_filters_by_kind_topic_and_format(client, make_event):
    ethics = Topic.objects.create(name="Sample ethics", slug="sample-ethics")
    vision = Topic.objects.create(name="Sample vision", slug="sample-vision")
    workshop = make_event(kind="workshop")
    panel = make_event(kind="panel", format="hybrid", venue_name="Sample Hall")
    webinar = make_event(kind="webinar")
    # Parental relations reach the database when the page is saved.
    workshop.topics.set([ethics, vision])
    workshop.save()
    panel.topics.set([vision])
    panel.save()

    def uids(query):
        return set(by_uid(parse(client.get(f"{FEED}?{query}"))))

    assert uids("kind=workshop") == {uid(workshop)}
    assert uids("kind=workshop&kind=panel") == {uid(workshop), uid(panel)}
    assert uids("kind=workshop,webinar") == {uid(workshop), uid(webinar)}
    assert uids("format=hybrid") == {uid(panel)}
    assert uids("topic=sample-vision") == {uid(workshop), uid(panel)}
    assert uids("topic=sample-ethics,sample-vision") == {uid(workshop), uid(panel)}
    assert uids("topic=sample-vision&kind=panel") == {uid(panel)}
    assert uids("unrelated=1") == {uid(workshop), uid(panel), uid(webinar)}


@pytest.mark.parametrize(
    "query", ["kind=party", "format=teleport", "topic=no-such-topic", "kind=workshop,nope"]
)
def test_unknown_filter_values_are_a_400_with_a_message(client, make_event, member, query):
    make_event()
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"Unknown" in response.content
    events_url, _mine = token_urls(member)
    assert client.get(f"{events_url}?{query}").status_code == 400


# --- conditional GET ----------------------------------------------------------------------------


def test_etag_and_last_modified_answer_304_until_a_change(client, make_event):
    event = make_event()
    first = client.get(FEED)
    etag, modified = first["ETag"], first["Last-Modified"]
    again = client.get(FEED)
    assert again["ETag"] == etag

    not_modified = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    since = client.get(FEED, HTTP_IF_MODIFIED_SINCE=modified)
    assert since.status_code == 304
    older = http_date((timezone.now() - dt.timedelta(days=400)).timestamp())
    assert client.get(FEED, HTTP_IF_MODIFIED_SINCE=older).status_code == 200

    publish(event, start_time=dt.time(10, 30))
    changed = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_token_feed_304_and_headers(client, make_event, member):
    make_event()
    events_url, my_url = token_urls(member)
    for url in (events_url, my_url):
        response = client.get(url)
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Cache-Control"].startswith("private")
        assert "noindex" in response["X-Robots-Tag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_new_registration_changes_the_my_events_etag(client, make_event, member):
    event = make_event()
    _events, mine = token_urls(member)
    etag = client.get(mine)["ETag"]
    Registration.objects.create(event=event, user=member, status="confirmed")
    assert client.get(mine, HTTP_IF_NONE_MATCH=etag).status_code == 200


# --- time zones ---------------------------------------------------------------------------------


def test_auckland_viewer_sees_the_next_local_date(client, make_event):
    day = dt.date(2027, 6, 14)
    make_event(
        time_zone="UTC",
        start_date=day,
        end_date=day,
        start_time=dt.time(20, 0),
        end_time=dt.time(21, 0),
    )
    vevent = vevents(parse(client.get(FEED)))[0]
    start = vevent["DTSTART"].dt
    assert start.astimezone(dt.UTC) == dt.datetime(2027, 6, 14, 20, 0, tzinfo=dt.UTC)
    local = start.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert local.date() == dt.date(2027, 6, 15)
    assert local.hour == 8


# --- query counts --------------------------------------------------------------------------------


def test_feed_query_counts_do_not_grow(client, make_event, member, settings):
    settings.LANGUAGE_CODE = "en"
    topic = Topic.objects.create(name="Sample topic", slug="sample-topic")
    first = make_event()
    first.topics.set([topic])
    first.save()
    Registration.objects.create(event=first, user=member, status="confirmed")
    events_url, my_url = token_urls(member)

    def grow(factor):
        for n in range(factor):
            event = make_event(audience="members" if n % 2 else "public")
            event.topics.set([topic])
            event.save()
            Registration.objects.create(
                event=event, user=member, status="confirmed" if n % 3 else "waitlisted"
            )

    def fetch():
        for url in (FEED, f"{FEED}?topic=sample-topic", events_url, my_url):
            assert client.get(url).status_code == 200

    assert_queries_constant(fetch, grow)


def test_event_urls_are_computed_without_a_query_per_event(
    make_event, django_assert_max_num_queries
):
    events = [make_event() for _ in range(5)]
    fresh = list(EventPage.objects.filter(pk__in=[e.pk for e in events]))
    links.event_urls(fresh[:1])  # fills the site-root cache
    # One cache read for the site roots, whatever the number of events.
    with django_assert_max_num_queries(1):
        urls = links.event_urls(fresh)
    assert urls == {e.pk: links.event_url(e) for e in events}
