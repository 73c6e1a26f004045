"""The member's path through registering and cancelling (issue points 7–10).

- errors: one summary at the top, linking to each field, at the event page's own address;
- cancel asks first and says what happens to the seat; a double click cancels once;
- "signed_in" registration for accounts that are not vetted members, on public events only;
- hybrid events ask how you attend; only the room's seats count; the join link is for
  online attendees only.
"""

import datetime as dt
import email
import email.policy

from django.core.exceptions import ValidationError
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from icalendar import Calendar

from community.models import OutboundEmail
from events import services, tokens
from events.models import EventPage, Registration
from tests.factories import UserFactory, make_member

from .test_pages import Q_CHOICE, Q_TEXT, Q_YES_NO, QUESTIONS

pytestmark = pytest.mark.django_db

JOIN = "https://meet.example.org/secret-room-123"


def soup_of(response):
    return BeautifulSoup(response.content.decode(), "html5lib")


def summary(soup):
    found = soup.select("[data-error-summary]")
    assert len(found) <= 1, "more than one error summary"
    return found[0] if found else None


# --- 7. errors at the event's own address -------------------------------------------------


def test_bad_answers_render_one_focused_summary_at_the_event_address(
    client_for, member, make_event
):
    event = make_event(questions=QUESTIONS)
    client = client_for(member)
    response = client.post(event.url, {f"q_{Q_CHOICE}": "Sample track Z"})
    assert response.status_code == 400
    assert response.wsgi_request.path == event.url
    soup = soup_of(response)
    box = summary(soup)
    assert box is not None
    assert box.has_attr("autofocus") and box["tabindex"] == "-1"
    assert box["role"] == "alert"
    # The summary is the first thing in the main content, above the event's heading.
    main = soup.find("main")
    assert main.find(["h1", "div"], attrs={"data-error-summary": True}) is box
    assert box.find_next("h1") is not None and not box.find_previous("h1")
    # Each item links to a field that exists on the page.
    anchors = [a["href"] for a in box.find_all("a")]
    assert anchors  # the unknown choice, and any required answer left out
    for href in anchors:
        assert soup.find(id=href.removeprefix("#")) is not None, href
    assert soup.title.get_text().startswith("Error:")
    # No second banner inside the panel.
    assert not soup.select(".registration-panel .form-errors")
    assert not Registration.objects.exists()


def test_good_answers_post_redirect_get_to_the_event_page(client_for, member, make_event):
    event = make_event(questions=QUESTIONS)
    client = client_for(member)
    data = {
        f"q_{Q_TEXT}": "Sample analyst",
        f"q_{Q_CHOICE}": "Sample track A",
        f"q_{Q_YES_NO}": "no",
    }
    response = client.post(event.url, data)
    assert response.status_code == 302
    assert response["Location"] == event.url
    page = soup_of(client.get(event.url))
    assert summary(page) is None
    assert page.select_one("#registration")["data-registration-status"] == "confirmed"
    # A reload of the POST (the browser's "resend") is a duplicate, said once at the top.
    again = client.post(event.url, data)
    assert again.status_code == 400
    assert "already registered" in summary(soup_of(again)).get_text()
    assert Registration.objects.count() == 1


def test_refused_registration_is_explained_at_the_top(client_for, pending, make_event):
    event = make_event()
    response = client_for(pending).post(event.url, {})
    assert response.status_code == 403
    assert "membership is verified" in summary(soup_of(response)).get_text()
    assert not Registration.objects.exists()


def test_no_bare_405_page(client_for, member, make_event):
    event = make_event()
    client = client_for(member)
    # The former form address, reopened: the event page.
    response = client.get(f"/event-registrations/{event.pk}/register/")
    assert (response.status_code, response["Location"]) == (302, event.url)
    # A method a view does not take answers a page, not an empty body.
    response = client.generic("PUT", "/membership/")
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    soup = soup_of(response)
    assert soup.find("h1").get_text(strip=True) == "This address cannot be opened directly"
    assert soup.find("main") is not None


# --- 8. cancel asks first -----------------------------------------------------------------


def test_cancel_page_says_what_happens_to_the_seat_and_writes_nothing(
    client_for, member, make_event
):
    event = make_event(capacity=1)
    mine = services.registration_create(member, event, {})
    for _ in range(2):
        services.registration_create(make_member(), event, {})
    response = client_for(member).get(f"/event-registrations/{mine.pk}/cancel/?next={event.url}")
    assert response.status_code == 200
    soup = soup_of(response)
    text = soup.get_text(" ", strip=True)
    assert "first person on the waitlist (2 people waiting)" in text
    form = soup.find("form", action=f"/event-registrations/{mine.pk}/cancel/")
    assert form.find("input", attrs={"name": "confirm"})["value"] == "yes"
    keep = soup.find("a", string="No, keep my registration")
    assert keep["href"] == event.url
    mine.refresh_from_db()
    assert mine.status == "confirmed"


def test_cancel_page_for_a_waitlisted_member_names_the_position(client_for, member, make_event):
    event = make_event(capacity=0)
    services.registration_create(make_member(), event, {})
    mine = services.registration_create(member, event, {})
    text = soup_of(client_for(member).get(f"/event-registrations/{mine.pk}/cancel/")).get_text(
        " ", strip=True
    )
    assert "at position 2" in text


def test_double_confirmed_cancel_cancels_once(
    client_for, member, make_event, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        mine = services.registration_create(member, event, {})
        waiting = services.registration_create(make_member(), event, {})
    before = OutboundEmail.objects.count()
    client = client_for(member)
    url = f"/event-registrations/{mine.pk}/cancel/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"confirm": "yes"})
        second = client.post(url, {"confirm": "yes"})
    assert first.status_code == second.status_code == 302
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, waiting.status) == ("cancelled", "confirmed")
    # One cancellation for the member, one promotion for the next in line; nothing twice.
    assert OutboundEmail.objects.count() - before == 2
    follow = client.get(event.url)
    assert follow.status_code == 200


def test_cancel_page_after_the_deadline_offers_no_button(client_for, member, make_event):
    event = make_event(cancellation_deadline=timezone.now() - dt.timedelta(hours=1))
    mine = Registration.objects.create(event=event, user=member, status="confirmed")
    soup = soup_of(client_for(member).get(f"/event-registrations/{mine.pk}/cancel/"))
    assert soup.find("input", attrs={"name": "confirm"}) is None
    assert "deadline has passed" in soup.get_text()


def test_someone_elses_cancel_page_is_404(client_for, member, expert, make_event):
    event = make_event()
    theirs = services.registration_create(expert, event, {})
    assert client_for(member).get(f"/event-registrations/{theirs.pk}/cancel/").status_code == 404


# --- 9. registration for accounts that are not vetted members ---------------------------


@pytest.fixture
def outside_speaker(db):
    """Signed up and confirmed their address; never applied for membership."""
    user = UserFactory()
    assert EmailAddress.objects.filter(user=user, verified=True).exists()
    return user


def test_signed_in_level_admits_a_confirmed_account_on_a_public_event(
    client_for, outside_speaker, make_event
):
    event = make_event(registration_audience="signed_in")
    soup = soup_of(client_for(outside_speaker).get(event.url))
    assert "registration-panel--open" in soup.select_one("#registration")["class"]
    facts = soup.select_one("[data-registration-audience]")
    assert facts.get_text(strip=True) == "Anyone signed in with a confirmed email address"
    response = client_for(outside_speaker).post(event.url, {})
    assert response.status_code == 302
    assert Registration.objects.get().user == outside_speaker


def test_signed_in_level_refuses_an_account_without_a_confirmed_address(
    client_for, outside_speaker, make_event
):
    EmailAddress.objects.filter(user=outside_speaker).update(verified=False)
    event = make_event(registration_audience="signed_in")
    response = client_for(outside_speaker).post(event.url, {})
    assert response.status_code == 403
    assert "confirm your email address" in summary(soup_of(response)).get_text()
    assert not Registration.objects.exists()


def test_signed_in_level_sends_visitors_to_sign_in_or_sign_up(client, make_event):
    event = make_event(registration_audience="signed_in")
    section = soup_of(client.get(event.url)).select_one("#registration")
    assert section.find("a", string="Create an account") is not None
    assert section.find("a", string="Apply for membership") is None


@pytest.mark.parametrize("audience", ["members", "law_enforcement", "staff"])
def test_signed_in_level_is_refused_on_restricted_events(make_event, audience):
    with pytest.raises(ValidationError) as refused:
        make_event(publish=False, audience=audience, registration_audience="signed_in")
    assert "registration_audience" in refused.value.message_dict
    assert not EventPage.objects.filter(audience=audience).exists()


def test_signed_in_registrant_gets_the_email_and_the_feed(
    outside_speaker, make_event, mailoutbox, django_capture_on_commit_callbacks, client
):
    event = make_event(registration_audience="signed_in")
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(outside_speaker, event, {})
    assert [m.to for m in mailoutbox] == [[outside_speaker.email]]
    _row, secret = tokens.issue(outside_speaker)
    response = client.get(f"/calendar/{secret}/my-events.ics")
    cal = Calendar.from_ical(response.content)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == [event.title]


# --- 10. hybrid events ask how you attend -------------------------------------------------


@pytest.fixture
def hybrid(make_event):
    return make_event(format="hybrid", venue_name="Sample Hall", capacity=1)


def test_hybrid_form_asks_how_you_attend_and_requires_an_answer(client_for, member, hybrid):
    soup = soup_of(client_for(member).get(hybrid.url))
    radios = soup.select("input[name=attendance]")
    assert {r["value"] for r in radios} == {"in_person", "online"}
    response = client_for(member).post(hybrid.url, {})
    assert response.status_code == 400
    box = summary(soup_of(response))
    assert box.find("a", href="#id_attendance_0").get_text() == "Choose in person or online."
    assert not Registration.objects.exists()
    with pytest.raises(services.RegistrationError) as refused:
        services.registration_create(member, hybrid, {}, attendance="on the moon")
    assert refused.value.code == "attendance"


def test_capacity_counts_the_room_only(hybrid, member, expert, le_member):
    in_room = services.registration_create(member, hybrid, {}, attendance="in_person")
    online = services.registration_create(expert, hybrid, {}, attendance="online")
    late_in_room = services.registration_create(le_member, hybrid, {}, attendance="in_person")
    assert (in_room.status, online.status, late_in_room.status) == (
        "confirmed",
        "confirmed",
        "waitlisted",
    )
    assert Registration.objects.seats_taken(hybrid) == 1
    # The online attendee leaving frees no room seat: the waitlist stays.
    services.registration_cancel(online, by=expert)
    late_in_room.refresh_from_db()
    assert late_in_room.status == "waitlisted"
    services.registration_cancel(in_room, by=member)
    late_in_room.refresh_from_db()
    assert late_in_room.status == "confirmed"


def test_join_link_goes_to_online_attendees_only(
    hybrid, member, expert, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(member, hybrid, {}, attendance="in_person")
        services.registration_create(expert, hybrid, {}, attendance="online")
    by_recipient = {
        m.to[0]: email.message_from_bytes(m.message().as_bytes(), policy=email.policy.default)
        for m in mailoutbox
    }

    def text_of(parsed):
        parts = [p.get_content() for p in parsed.walk() if not p.is_multipart()]
        return "\n".join(p if isinstance(p, str) else p.decode() for p in parts)

    assert JOIN not in text_of(by_recipient[member.email])
    assert "in person" in text_of(by_recipient[member.email])
    assert JOIN in text_of(by_recipient[expert.email])
    assert JOIN not in client_for(member).get(hybrid.url).content.decode()
    assert JOIN in client_for(expert).get(hybrid.url).content.decode()
    for user, expected in ((member, False), (expert, True)):
        _row, secret = tokens.issue(user)
        feed = client_for(user).get(f"/calendar/{secret}/my-events.ics").content.decode()
        assert (JOIN in feed.replace("\r\n ", "")) is expected


def test_hybrid_listing_counts_room_seats(hybrid, member, expert, client):
    services.registration_create(expert, hybrid, {}, attendance="online")
    soup = soup_of(client.get(hybrid.url))
    assert soup.select_one("[data-seats-left]")["data-seats-left"] == "1"
    services.registration_create(member, hybrid, {}, attendance="in_person")
    soup = soup_of(client.get(hybrid.url))
    assert soup.select_one("[data-seats-left]")["data-seats-left"] == "0"
    assert EventPage.objects.get(pk=hybrid.pk).capacity == 1
