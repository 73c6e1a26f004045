"""Bad input gets a clear error and writes nothing (issue 8, points 12–16).

Control characters in names and answers, a NUL byte in feed filters, many "create calendar
link" requests at once, HEAD on feeds, and cancelling an event that has an unpublished draft.
"""

import io

from django.conf import settings
from django.db import IntegrityError
from django.test import Client, RequestFactory
from django.urls import reverse

import openpyxl
import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from community.models import Membership
from events import feeds, services, tokens
from events.admin_views import spreadsheet_text
from events.models import CalendarToken, EventPage, Registration, Topic
from tests.community.test_accounts import VALID_APPLICATION, _counts, _membership_state
from tests.events.test_admin import register_members
from tests.factories import make_member
from tests.races import race

FEED = "/events/feed.ics"
needs_postgres = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL row locks",
)


def text_question_event(make_event):
    return make_event(
        questions=[("text", {"label": "Sample role", "help_text": "", "required": True})]
    )


# --- 12. Control characters: refused where typed, stripped from exports -------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "organisation", "position"])
@pytest.mark.parametrize("bad", ["Sample\rName", "Sample\nName", "Sample\x07Name", "A\u2028B"])
def test_application_refuses_control_characters_in_one_line_fields(
    client_for, pending, mailoutbox, field, bad
):
    before_state, before_counts = _membership_state(pending), _counts()
    response = client_for(pending).post(reverse("membership"), {**VALID_APPLICATION, field: bad})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors[field] == ["Use one line of text, without line breaks or control characters."]
    page = BeautifulSoup(response.content, "html5lib")
    assert "without line breaks" in page.get_text(" ", strip=True)
    assert _membership_state(pending) == before_state
    assert _counts() == before_counts
    assert mailoutbox == []


@pytest.mark.django_db
def test_application_motivation_keeps_line_breaks_but_not_a_bell(client_for, pending):
    client = client_for(pending)
    before = _membership_state(pending)
    refused = client.post(
        reverse("membership"), {**VALID_APPLICATION, "motivation": "Sample\x07motivation"}
    )
    assert refused.status_code == 200
    assert "motivation" in refused.context["form"].errors
    assert _membership_state(pending) == before

    accepted = client.post(
        reverse("membership"),
        {**VALID_APPLICATION, "motivation": "First line.\r\nSecond line.\twith a tab"},
    )
    assert accepted.status_code == 302
    assert Membership.objects.get(user=pending).motivation == (
        "First line.\r\nSecond line.\twith a tab"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["Sample\x07role", "Sample\x1brole", "Sample\x0crole", "\x7f"])
def test_registration_refuses_control_characters_in_text_answers(make_event, member, bad):
    event = text_question_event(make_event)
    key = f"q_{event.questions[0].id}"
    with pytest.raises(services.RegistrationError) as caught:
        services.registration_create(member, event, {key: bad})
    assert caught.value.code == "answers"
    assert caught.value.field_errors == {
        key: "Remove the invisible control characters from your answer."
    }
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_registration_keeps_line_breaks_and_tabs_in_text_answers(make_event, member):
    event = text_question_event(make_event)
    block_id = event.questions[0].id
    registration = services.registration_create(
        member, event, {f"q_{block_id}": "Line one\r\nLine\ttwo"}
    )
    assert registration.answers[block_id]["answer"] == "Line one\r\nLine\ttwo"


@pytest.mark.django_db
def test_register_view_shows_the_control_character_error_and_writes_nothing(
    make_event, client_for, member
):
    event = text_question_event(make_event)
    key = f"q_{event.questions[0].id}"
    response = client_for(member).post(
        reverse("events:register", args=[event.pk]), {key: "Sample\x07role"}
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html5lib")
    assert "Remove the invisible control characters" in page.get_text(" ", strip=True)
    assert not Registration.objects.exists()


def test_spreadsheet_text_strips_what_xml_cannot_hold_then_neutralises_formulas():
    assert spreadsheet_text("Sample\x07Name\x00") == "SampleName"
    assert spreadsheet_text("Line one\nLine\ttwo\r") == "Line one\nLine\ttwo\r"
    # A control character in front of a formula must not hide it from the check.
    assert spreadsheet_text("\x07=1+1") == "'=1+1"
    assert spreadsheet_text(42) == 42


@pytest.mark.django_db
def test_xlsx_export_survives_control_characters_already_stored(make_event, editor, client_for):
    """Rows written before the checks (or by an import) still export, cleaned."""
    event = text_question_event(make_event)
    block_id = event.questions[0].id
    registration = register_members(event, 1, answers={f"q_{block_id}": "Sample role"})[0]
    Membership.objects.filter(user=registration.user).update(
        full_name="Sample\x07Name\x1b", organisation="Sample\x01Police"
    )
    Registration.objects.filter(pk=registration.pk).update(
        answers={block_id: {"question": "Sample role", "answer": "Bell\x07 and\x0b tab\there"}}
    )
    client = client_for(editor, mfa=True)
    url = reverse("events_admin:registrations", args=[event.pk])
    for fmt in ("xlsx", "csv"):
        response = client.get(url, {"export": fmt})
        assert response.status_code == 200, fmt
        body = b"".join(response.streaming_content)
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(body)).active
            header, row = [[cell.value for cell in r] for r in sheet.iter_rows()]
        else:
            import csv

            header, row = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        cells = dict(zip(header, row, strict=True))
        assert cells["Name"] == "SampleName"
        assert cells["Organisation"] == "SamplePolice"
        assert cells["Sample role"] == "Bell and tab\there"


# --- 13. NUL and other control characters in query strings --------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["topic", "kind", "format"])
@pytest.mark.parametrize("value", ["a\x00b", "\x00", "ethics\r\nX-Injected: 1"])
def test_public_feed_refuses_control_characters_in_filters(client, make_event, param, value):
    make_event()
    Topic.objects.create(name="Sample ethics", slug="ethics")
    response = client.get(FEED, {param: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        f"The {param} filter contains characters that are not allowed."
    )
    assert "X-Injected" not in response


@pytest.mark.django_db
def test_token_feed_refuses_a_nul_topic_and_writes_nothing_else(client, make_event, member):
    make_event()
    _row, token = tokens.issue(member)
    url = reverse("events:calendar_events", args=[token])
    before = list(CalendarToken.objects.values_list("pk", "revoked_at"))
    response = client.get(url, {"topic": "ethics\x00"})
    assert response.status_code == 400
    assert "not allowed" in response.content.decode()
    assert [r[:2] for r in CalendarToken.objects.values_list("pk", "revoked_at")] == before
    # The same feed without the bad filter still works.
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_nul_byte_in_the_token_itself_is_just_not_found(client):
    response = client.get("/calendar/abc%00def/events.ics")
    assert response.status_code == 404


@pytest.mark.django_db
def test_too_many_filter_values_are_refused(client, make_event):
    make_event()
    response = client.get(FEED, {"topic": ",".join(f"t{i}" for i in range(51))})
    assert response.status_code == 400
    assert response.content.decode() == "Choose at most 50 values for topic."


@pytest.mark.django_db
def test_events_index_ignores_control_characters_in_its_filters(client, make_event, event_index):
    event = make_event()
    response = client.get(
        event_index.url,
        {
            "topic": "\x00",
            "kind": "work\x00shop",
            "format": "\x00",
            "audience": "\x00",
            "when": "\x00",
            "page": "\x00",
        },
    )
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html5lib")
    # Unknown values are ignored: the listing is the unfiltered one.
    assert event.title in page.select_one("main").get_text(" ", strip=True)


# --- 14. Many "create calendar link" requests at once -------------------------------------


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("had_token", [False, True])
def test_ten_concurrent_create_requests_leave_exactly_one_working_link(had_token):
    member = make_member(kind=Membership.Kind.OTHER)
    if had_token:
        tokens.issue(member)
    clients = []
    for _ in range(10):
        client = Client(raise_request_exception=True)
        client.force_login(member)
        clients.append(client)
    page = reverse("events:calendar_token")
    results, errors = race([lambda c=c: c.post(page, {"action": "create"}) for c in clients])
    assert errors == []
    assert [r.status_code for r in results] == [302] * 10
    active = CalendarToken.objects.filter(user=member, revoked_at__isnull=True)
    assert active.count() == 1
    assert CalendarToken.objects.filter(user=member).count() == 10 + had_token
    # Exactly one of the ten shown links works: the one whose request ran last.
    shown = [c.session.get(feeds.ONE_TIME_TOKEN_KEY) for c in clients]
    assert sum(tokens.lookup(t) is not None for t in shown) == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_member_lock_the_race_breaks_the_constraint(monkeypatch):
    """The control path: the harness does see the race the lock prevents."""
    monkeypatch.setattr(tokens, "_lock_member", lambda user: None)
    member = make_member(kind=Membership.Kind.OTHER)
    seen = []
    for _round in range(5):
        _results, errors = race([lambda: tokens.issue(member) for _ in range(10)])
        seen.extend(e for e in errors if isinstance(e, IntegrityError))
        if seen:
            break
    assert seen, "ten unlocked issues in a row never collided"


# --- 15. HEAD on feeds --------------------------------------------------------------------


@pytest.mark.django_db
def test_head_on_the_public_feed_answers_like_get_without_a_body(client, make_event):
    make_event()
    get = client.get(FEED)
    assert get.status_code == 200
    assert Calendar.from_ical(get.content).walk("VEVENT")
    head = client.head(FEED)
    assert head.status_code == 200
    assert head.content == b""
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control"):
        assert head[header] == get[header], header
    assert head["Content-Length"] == str(len(get.content))

    # The view itself sends no body (whatever server runs in front of it).
    request = RequestFactory().head(FEED)
    direct = feeds.public_feed(request)
    assert direct.status_code == 200
    assert direct.content == b""
    assert direct["Content-Length"] == str(len(get.content))

    # Conditional HEAD: the client's copy is current.
    again = client.head(FEED, headers={"if-none-match": get["ETag"]})
    assert again.status_code == 304
    assert again["ETag"] == get["ETag"]
    since = client.head(FEED, headers={"if-modified-since": get["Last-Modified"]})
    assert since.status_code == 304


@pytest.mark.django_db
def test_head_on_token_feeds_and_the_event_file(client, make_event, member):
    event = make_event()
    services.registration_create(member, event, {})
    _row, token = tokens.issue(member)
    for url in (
        reverse("events:calendar_events", args=[token]),
        reverse("events:calendar_my_events", args=[token]),
        reverse("events:event_ics", args=[event.pk]),
    ):
        get = client.get(url)
        head = client.head(url)
        assert get.status_code == head.status_code == 200, url
        assert head.content == b""
        assert head["ETag"] == get["ETag"]
        assert head["Content-Length"] == str(len(get.content))
    assert client.head("/calendar/not-a-real-token-value-xyz/events.ics").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_feeds_still_refuse_writes(client, make_event, method):
    make_event()
    assert getattr(client, method)(FEED).status_code == 405


# --- 16. Cancelling an event keeps the editor's draft --------------------------------------


@pytest.mark.django_db
def test_cancel_event_keeps_an_unpublished_draft_as_the_latest_revision(make_event, editor):
    event = make_event(title="Sample original title")
    draft_page = EventPage.objects.get(pk=event.pk)
    draft_page.title = "Sample revised title"
    draft_page.summary = "Sample revised summary."
    draft = draft_page.save_revision(user=editor)

    services.event_cancel(event, by=editor)

    page = EventPage.objects.get(pk=event.pk)
    # Live: the cancellation of what was live, without the draft's edits.
    assert page.live and page.status == "cancelled"
    assert page.title == "Sample original title"
    # Latest: the editor's draft, still unpublished, now cancelled as well.
    assert page.has_unpublished_changes
    latest = page.latest_revision
    assert latest.pk not in (draft.pk, page.live_revision_id)
    content = latest.as_object()
    assert content.title == "Sample revised title"
    assert content.summary == "Sample revised summary."
    assert content.status == "cancelled"
    assert page.draft_title == "Sample revised title"

    # Publishing the draft later brings its edits, not the event back.
    latest.publish(user=editor)
    page = EventPage.objects.get(pk=event.pk)
    assert page.title == "Sample revised title"
    assert page.status == "cancelled"


@pytest.mark.django_db
def test_cancel_event_without_a_draft_leaves_no_pending_changes(make_event, editor):
    event = make_event()
    services.event_cancel(event, by=editor)
    page = EventPage.objects.get(pk=event.pk)
    assert page.status == "cancelled"
    assert not page.has_unpublished_changes
    assert page.latest_revision_id == page.live_revision_id


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("organisation", "Sample\rAgency"),
        ("position", "Sample\nAnalyst"),
        ("position", "Sample\x07Analyst"),
        ("staff_notes", "Sample\x1bnote"),
    ],
)
def test_the_admin_membership_form_refuses_control_characters(
    client_for, editor, member, field, bad
):
    """The rule lives on the model fields, so the admin's edit form refuses them too."""
    from django.forms.models import model_to_dict

    membership = member.membership
    before = _membership_state(member)
    url = f"/admin/membership-vetting/edit/{membership.pk}/"
    client = client_for(editor)
    assert client.get(url).status_code == 200
    data = {
        k: v or ""
        for k, v in model_to_dict(membership).items()
        if k in ("organisation", "organisation_type", "country", "position", "staff_notes")
    }
    response = client.post(url, {**data, field: bad})
    assert response.status_code == 200  # the form again, with the error
    page = BeautifulSoup(response.content, "html5lib").get_text(" ", strip=True)
    assert "control characters" in page
    assert _membership_state(member) == before
    # The same form saves clean text (a tab and line breaks are fine in the notes).
    response = client.post(url, {**data, "staff_notes": "Checked.\r\n\tSample note"})
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anon", "member"])
@pytest.mark.parametrize(
    "path",
    [
        "/events/{n}/event.ics",
        "/event-registrations/{n}/register/",
        "/event-registrations/{n}/cancel/",
        "/media-files/{n}/sample.mp3",
        "/documents/{n}/sample.pdf",
        "/documents/authenticate_with_password/{n}/",
    ],
)
def test_ids_too_large_for_the_database_are_not_found(client_for, member, role, path):
    """Found by the fuzz test: ``/events/9223372036854775808/event.ics`` was a 500 (the
    database refuses a number past 64 bits). Every id route takes at most 18 digits."""
    client = client_for(member if role == "member" else None)
    for n in ("9223372036854775808", "9" * 40):
        for method in ("get", "post"):
            response = getattr(client, method)(path.format(n=n))
            assert response.status_code == 404, (method, path, response.status_code)
