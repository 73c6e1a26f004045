"""The register and cancel views: thin over events.services, every refusal writes nothing."""

import datetime as dt

from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from events import services
from events.models import Registration
from tests.factories import make_member
from tests.queries import max_queries

from .test_pages import JOIN_URL, Q_CHOICE, Q_TEXT, Q_YES_NO, QUESTIONS

pytestmark = pytest.mark.django_db

POST_LIMIT = 40


@pytest.fixture(autouse=True)
def _production_queue(settings):
    # The query budgets are production's: there the email task is one row in the database
    # queue, written in the request's transaction; the suite's immediate backend would build
    # the email inside the request instead.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def register_url(event):
    return f"/event-registrations/{event.pk}/register/"


def cancel_url(registration):
    return f"/event-registrations/{registration.pk}/cancel/"


def post(client, url, data=None, limit=POST_LIMIT):
    with max_queries(limit):
        return client.post(url, data or {})


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def panel_error(response):
    """The text of the page's one error summary (there must be exactly one)."""
    soup = BeautifulSoup(response.content.decode(), "html5lib")
    summaries = soup.select("[data-error-summary]")
    assert len(summaries) == 1, f"{len(summaries)} error summaries"
    return summaries[0].get_text(" ", strip=True)


def valid_answers(**overrides):
    data = {
        f"q_{Q_TEXT}": "Sample analyst",
        f"q_{Q_CHOICE}": "Sample track A",
        f"q_{Q_YES_NO}": "no",
    }
    data.update(overrides)
    return data


# --- register -----------------------------------------------------------------------------


def test_register_confirms_and_redirects_with_a_message(client_for, le_member, make_event):
    event = make_event(questions=QUESTIONS)
    client = client_for(le_member)
    response = post(client, register_url(event), valid_answers())
    assert response.status_code == 302
    assert response["Location"] == event.url
    assert any("Your seat is confirmed" in m for m in message_texts(response))
    registration = Registration.objects.get()
    assert registration.user == le_member
    assert registration.status == "confirmed"
    assert registration.answers[Q_CHOICE] == {
        "question": "Sample track",
        "answer": "Sample track A",
    }
    page = client.get(event.url).content.decode()
    assert JOIN_URL in page
    assert 'data-registration-status="confirmed"' in page


def test_register_when_full_puts_the_member_on_the_waitlist(client_for, member, expert, make_event):
    event = make_event(capacity=1)
    services.registration_create(expert, event, {})
    response = post(client_for(member), register_url(event))
    assert response.status_code == 302
    assert any("waitlist at position 1" in m for m in message_texts(response))
    assert Registration.objects.get(user=member).status == "waitlisted"
    assert JOIN_URL not in client_for(member).get(event.url).content.decode()


def test_register_with_approval_is_pending(client_for, member, make_event):
    event = make_event(approval_required=True)
    response = post(client_for(member), register_url(event))
    assert any("pending approval" in m for m in message_texts(response))
    assert Registration.objects.get().status == "pending"


def test_register_twice_says_so_and_keeps_one_row(client_for, member, make_event):
    event = make_event()
    client = client_for(member)
    post(client, register_url(event))
    response = post(client, register_url(event))
    assert response.status_code == 400
    assert "already registered" in panel_error(response)
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"registration_closes": -1}, "closed"),
        ({"registration_opens": 1}, "not_open"),
        ({"status": "cancelled"}, "not_scheduled"),
    ],
)
def test_register_outside_the_window_is_refused(client_for, member, make_event, overrides, code):
    now = timezone.now()
    values = {
        key: (now + dt.timedelta(days=value) if isinstance(value, int) else value)
        for key, value in overrides.items()
    }
    event = make_event(**values)
    response = post(client_for(member), register_url(event))
    assert response.status_code == 400
    assert "Registration is not open for this event." in panel_error(response)
    assert not Registration.objects.exists()


def test_register_for_an_event_the_member_may_not_see_is_404(client_for, member, make_event):
    for audience in ("law_enforcement", "staff"):
        event = make_event(audience=audience, registration_audience="staff")
        response = post(client_for(member), register_url(event))
        assert response.status_code == 404
        assert event.title not in response.content.decode()
    assert post(client_for(member), "/event-registrations/999999/register/").status_code == 404
    assert not Registration.objects.exists()


def test_register_for_an_unpublished_event_is_404(client_for, member, make_event):
    event = make_event(publish=False, live=False)
    assert post(client_for(member), register_url(event)).status_code == 404
    assert not Registration.objects.exists()


@pytest.mark.parametrize("role", ["expert", "member", "pending"])
def test_register_refused_by_policy_is_a_clear_403(client_for, make_event, role, request):
    user = request.getfixturevalue(role)
    event = make_event(registration_audience="law_enforcement")
    response = post(client_for(user), register_url(event))
    assert response.status_code == 403
    error = panel_error(response)
    if role == "pending":
        assert "once your membership is verified" in error
    else:
        assert "reserved for: Law-enforcement members" in error
    assert not Registration.objects.exists()


def test_register_without_a_required_answer_keeps_the_others(client_for, member, make_event):
    event = make_event(questions=QUESTIONS)
    response = post(client_for(member), register_url(event), valid_answers(**{f"q_{Q_CHOICE}": ""}))
    assert response.status_code == 400
    soup = BeautifulSoup(response.content.decode(), "html5lib")
    assert "This field is required." in soup.select_one(".field--error").get_text()
    assert soup.find("textarea", attrs={"name": f"q_{Q_TEXT}"}).get_text() == "Sample analyst"
    assert soup.find("input", attrs={"name": f"q_{Q_YES_NO}", "value": "no"}).has_attr("checked")
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    "tampered",
    [
        {f"q_{Q_CHOICE}": "Sample track Z"},
        {f"q_{Q_YES_NO}": "maybe"},
        {"q_44444444-4444-4444-8444-444444444444": "extra"},
        {f"q_{Q_TEXT}": "x" * 2001},
    ],
)
def test_register_with_a_tampered_form_writes_nothing(client_for, member, make_event, tampered):
    event = make_event(questions=QUESTIONS)
    response = post(client_for(member), register_url(event), valid_answers(**tampered))
    assert response.status_code == 400
    assert "There is a problem" in panel_error(response)
    assert not Registration.objects.exists()


def test_register_without_csrf_is_403(member, make_event):
    event = make_event()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(register_url(event), {})
    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_opening_the_former_form_address_goes_to_the_event_page(client_for, member, make_event):
    event = make_event()
    response = client_for(member).get(register_url(event))
    assert response.status_code == 302
    assert response["Location"] == event.url
    assert not Registration.objects.exists()


def test_register_as_a_visitor_goes_to_sign_in(client, make_event):
    event = make_event()
    response = post(client, register_url(event))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert response["Location"] == f"/accounts/login/?next={event.url}"
    assert not Registration.objects.exists()


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_frees_the_seat_for_the_first_waitlisted(client_for, member, make_event):
    event = make_event(capacity=1)
    first_waiting, second_waiting = make_member(), make_member()
    mine = services.registration_create(member, event, {})
    services.registration_create(first_waiting, event, {})
    services.registration_create(second_waiting, event, {})
    response = post(client_for(member), cancel_url(mine), {"next": "/me/events/", "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/me/events/"
    assert any("is cancelled" in m for m in message_texts(response))
    statuses = dict(Registration.objects.values_list("user_id", "status"))
    assert statuses == {
        member.pk: "cancelled",
        first_waiting.pk: "confirmed",
        second_waiting.pk: "waitlisted",
    }


def test_cancel_someone_elses_registration_is_404(client_for, member, expert, make_event):
    event = make_event()
    theirs = services.registration_create(expert, event, {})
    response = post(client_for(member), cancel_url(theirs))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed" and theirs.cancelled_at is None


def test_cancel_after_the_deadline_is_refused(client_for, member, make_event):
    event = make_event(cancellation_deadline=timezone.now() - dt.timedelta(hours=1))
    registration = Registration.objects.create(event=event, user=member, status="confirmed")
    response = post(client_for(member), cancel_url(registration), {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == event.url
    assert any("deadline has passed" in m for m in message_texts(response))
    registration.refresh_from_db()
    assert registration.status == "confirmed"


def test_cancel_ignores_an_off_site_next(client_for, member, make_event):
    event = make_event()
    registration = services.registration_create(member, event, {})
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        registration.refresh_from_db()
        if registration.status == "cancelled":
            registration = services.registration_create(member, event, {})
        response = post(
            client_for(member), cancel_url(registration), {"next": target, "confirm": "yes"}
        )
        assert response["Location"] == event.url


def test_cancel_asks_first_and_requires_sign_in(client, client_for, member, make_event):
    event = make_event()
    registration = services.registration_create(member, event, {})
    # Opening the address, or a POST without the confirmation, only asks.
    assert client_for(member).get(cancel_url(registration)).status_code == 200
    assert post(client_for(member), cancel_url(registration)).status_code == 200
    response = post(client, cancel_url(registration), {"confirm": "yes"})
    assert response["Location"].startswith("/accounts/login/")
    registration.refresh_from_db()
    assert registration.status == "confirmed"
