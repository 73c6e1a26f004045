"""Editors' event screens in the Wagtail admin: registrations listing, bulk decisions,
message to attendees, cancelling an event, and who may reach any of it."""

import types

from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

import pytest
from bs4 import BeautifulSoup

from community.models import Membership, OutboundEmail
from events import services
from events.models import EventCalendarState, EventPage, Registration
from tests.factories import make_member
from tests.helpers import verified
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db

REFUSED_ROLES = ["anon", "pending", "member", "le_member", "expert", "moderator"]
PRIVILEGED = {"moderator"}


@pytest.fixture(autouse=True)
def _empty_outbox():
    mail.outbox = []


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


@pytest.fixture
def enqueued(monkeypatch):
    """Record registration-email tasks instead of running them (the email content is the
    email module's business; here only who is notified counts)."""
    import events.notifications

    calls = []
    fake = types.SimpleNamespace(enqueue=lambda *args: calls.append(args))
    monkeypatch.setattr(events.notifications, "send_registration_email_task", fake)
    return calls


def admin_url(name, event):
    return reverse(f"events_admin:{name}", args=[event.pk])


def register_members(event, count, *, country="SG", answers=None, prefix="Member"):
    """``count`` new verified members registered through the service."""
    made = []
    for _ in range(count):
        user = make_member(kind=Membership.Kind.LAW_ENFORCEMENT)
        Membership.objects.filter(user=user).update(country=country)
        user = type(user).objects.get(pk=user.pk)
        made.append(services.registration_create(user, event, answers or {}))
    return made


def parse(response):
    return BeautifulSoup(response.content, "html5lib")


def rows(response):
    """The listing's rows as dicts of column label → cell text."""
    assert response.status_code == 200, response.status_code
    table = parse(response).select_one("table.listing")
    if table is None:
        return []
    labels = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    found = []
    for tr in table.select("tbody tr"):
        cells = tr.find_all("td", recursive=False)
        row = {label: td.get_text(" ", strip=True) for label, td in zip(labels, cells, strict=True)}
        box = cells[0].find("input", type="checkbox")
        row["pk"] = int(box["value"]) if box else None
        found.append(row)
    return found


def counts_shown(response):
    soup = parse(response)
    return {dd["data-count"]: dd.get_text(" ", strip=True) for dd in soup.select("dd[data-count]")}


def messages_of(client, response):
    """The messages a redirect carries; following it consumes them, as a browser would."""
    found = [(m.level_tag, str(m).strip()) for m in get_messages(response.wsgi_request)]
    assert client.get(response["Location"]).status_code == 200
    return found


def statuses(registrations):
    return [Registration.objects.get(pk=r.pk).status for r in registrations]


# --- Listing ------------------------------------------------------------------------------


def test_listing_shows_registrations_with_counts(editor_client, make_event):
    event = make_event(
        capacity=2,
        questions=[("text", {"label": "Sample role", "help_text": "", "required": True})],
    )
    qid = next(iter(event.questions)).id
    confirmed = register_members(event, 2, answers={f"q_{qid}": "Sample analyst"})
    waitlisted = register_members(event, 1, country="FR", answers={f"q_{qid}": "Sample lead"})
    member = confirmed[0].user.membership

    response = editor_client.get(admin_url("registrations", event))
    listed = rows(response)
    assert [row["pk"] for row in listed] == [r.pk for r in confirmed + waitlisted]
    first = listed[0]
    assert first["Name"] == member.full_name
    assert first["Email"] == confirmed[0].user.email
    assert first["Country"] == "Singapore"
    assert first["Status"] == "Confirmed"
    assert first["Answers"] == "Sample role: Sample analyst"
    assert first["Registered at"]
    assert listed[2]["Status"] == "Waitlisted"
    assert listed[2]["Country"] == "France"
    assert counts_shown(response) == {
        "confirmed": "2 / 2",
        "waitlisted": "1",
        "pending": "0",
        "cancelled": "0",
    }
    page = parse(response)
    assert "nobody was cancelled" not in page.get_text()
    links = {a.get_text(" ", strip=True): a["href"] for a in page.select("a")}
    assert links["Message attendees"] == admin_url("message", event)
    assert links["Cancel event"] == admin_url("cancel", event)
    assert links["Download CSV"].endswith("export=csv")
    form = page.find("form", id="registrations-bulk")
    assert form["action"] == admin_url("bulk", event)
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    boxes = page.select("input[name=registrations]")
    assert {box["form"] for box in boxes} == {"registrations-bulk"}


def test_unlimited_capacity_and_the_lowered_capacity_warning(editor_client, make_event):
    event = make_event()
    register_members(event, 2)
    response = editor_client.get(admin_url("registrations", event))
    assert counts_shown(response)["confirmed"] == "2 (unlimited)"

    # Lowering capacity (as an editor's later publish would) cancels nobody.
    EventPage.objects.filter(pk=event.pk).update(capacity=1)
    response = editor_client.get(admin_url("registrations", event))
    assert counts_shown(response)["confirmed"] == "2 / 1"
    text = parse(response).get_text(" ", strip=True)
    assert "Capacity was lowered below the confirmed count — nobody was cancelled." in text
    assert Registration.objects.filter(event=event, status="confirmed").count() == 2


def test_listing_filters_by_status_and_country(editor_client, make_event):
    event = make_event(capacity=1)
    singapore = register_members(event, 1)[0]
    france = register_members(event, 1, country="FR")[0]
    other_event = make_event()
    register_members(other_event, 1)

    url = admin_url("registrations", event)
    assert [r["pk"] for r in rows(editor_client.get(url))] == [singapore.pk, france.pk]
    assert [r["pk"] for r in rows(editor_client.get(url, {"status": "waitlisted"}))] == [france.pk]
    assert [r["pk"] for r in rows(editor_client.get(url, {"country": "SG"}))] == [singapore.pk]
    results = editor_client.get(admin_url("registrations_results", event), {"country": "FR"})
    assert [r["pk"] for r in rows(results)] == [france.pk]


def test_listing_query_count_does_not_grow(editor_client, make_event):
    event = make_event(
        questions=[("text", {"label": "Sample role", "help_text": "", "required": False})]
    )
    register_members(event, 1)

    def fetch():
        assert editor_client.get(admin_url("registrations", event)).status_code == 200

    assert_queries_constant(fetch, lambda factor: register_members(event, factor))


def test_unknown_event_is_404(editor_client):
    assert editor_client.get("/admin/events/999999/registrations/").status_code == 404


def test_event_pages_link_to_their_registrations(editor_client, make_event, event_index):
    event = make_event()
    url = admin_url("registrations", event)

    explorer = parse(editor_client.get(reverse("wagtailadmin_explore", args=[event_index.pk])))
    assert explorer.find("a", href=url) is not None
    edit = parse(editor_client.get(reverse("wagtailadmin_pages:edit", args=[event.pk])))
    assert edit.find("a", href=url) is not None
    # Not on other pages.
    index_edit = parse(editor_client.get(reverse("wagtailadmin_pages:edit", args=[event_index.pk])))
    assert not index_edit.select("a[href*='/registrations/']")


# --- Bulk actions -------------------------------------------------------------------------


def bulk(client, event, action, registrations, **extra):
    data = {"action": action, "registrations": [r.pk for r in registrations], **extra}
    return client.post(admin_url("bulk", event), data)


def test_bulk_approve_counts_done_and_skipped(editor_client, make_event, enqueued):
    event = make_event(approval_required=True, capacity=1)
    first, second, third = register_members(event, 3)
    services.registration_reject(
        third, by=verified(make_member(staff_role="editor")), reason="Sample reason"
    )

    response = bulk(editor_client, event, "approve", [first, second, third])
    assert response.status_code == 302
    assert response["Location"] == admin_url("registrations", event)
    assert statuses([first, second, third]) == ["confirmed", "waitlisted", "rejected"]
    assert messages_of(editor_client, response) == [
        ("success", "2 registrations approved."),
        ("warning", "1 registration was skipped: its status does not allow this."),
    ]


def test_bulk_reject_needs_a_reason(editor_client, make_event):
    event = make_event(approval_required=True)
    pending = register_members(event, 2)

    response = bulk(editor_client, event, "reject", pending, reason="  ")
    assert response.status_code == 302
    assert messages_of(editor_client, response) == [
        ("error", "Give the reason the registrants will read.")
    ]
    assert statuses(pending) == ["pending", "pending"]

    response = bulk(editor_client, event, "reject", pending, reason="Sample: the room is full.")
    assert messages_of(editor_client, response) == [("success", "2 registrations rejected.")]
    assert statuses(pending) == ["rejected", "rejected"]
    assert {
        r.decision_reason for r in Registration.objects.filter(pk__in=[r.pk for r in pending])
    } == {"Sample: the room is full."}


def test_bulk_mark_attended(editor_client, make_event):
    event = make_event(capacity=1)
    confirmed, waitlisted = register_members(event, 2)

    response = bulk(editor_client, event, "attended", [confirmed, waitlisted])
    assert statuses([confirmed, waitlisted]) == ["attended", "waitlisted"]
    assert messages_of(editor_client, response) == [
        ("success", "1 registrant marked as attended."),
        ("warning", "1 registration was skipped: its status does not allow this."),
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "approve"},  # nothing selected
        {"action": "delete", "registrations": "OWN"},  # unknown action
        {"action": "approve", "registrations": "OTHER"},  # another event's registration
        {"action": "approve", "registrations": "not-a-number"},
    ],
)
def test_bad_bulk_input_writes_nothing(editor_client, make_event, data):
    event = make_event(approval_required=True)
    own = register_members(event, 1)[0]
    other = register_members(make_event(approval_required=True), 1)[0]
    swap = {"OWN": own.pk, "OTHER": other.pk}
    data = {key: swap.get(value, value) for key, value in data.items()}

    response = editor_client.post(admin_url("bulk", event), data)
    assert response.status_code == 302
    assert [level for level, _text in messages_of(editor_client, response)] == ["error"]
    assert statuses([own, other]) == ["pending", "pending"]


def test_bulk_refuses_get(editor_client, make_event):
    event = make_event()
    assert editor_client.get(admin_url("bulk", event)).status_code == 405


# --- Message attendees --------------------------------------------------------------------


def test_message_goes_to_each_chosen_recipient_once(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event(capacity=3)
    confirmed = register_members(event, 3)
    waitlisted = register_members(event, 1)

    page = parse(editor_client.get(admin_url("message", event)))
    batch = page.find("input", attrs={"name": "batch"})["value"]
    assert page.find("input", attrs={"name": "recipients", "value": "confirmed"})
    data = {
        "batch": batch,
        "recipients": "confirmed",
        "subject": "Sample: room change",
        "message": "Sample: we meet in room B.",
        "send": "1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url("message", event), data)
    assert response.status_code == 302
    assert messages_of(editor_client, response) == [("success", "3 emails are being sent.")]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.user.email for r in confirmed)
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert {m.subject for m in mail.outbox} == {"Sample: room change"}
    assert "Sample: we meet in room B." in mail.outbox[0].body
    assert event.title in mail.outbox[0].body

    # The same form sent again (a double click, a reload) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url("message", event), data)
    assert len(mail.outbox) == 3
    assert [level for level, _text in messages_of(editor_client, response)] == ["warning"]

    # A new form (new batch) to confirmed and waitlisted reaches all four.
    data = {**data, "batch": "7b0d3f1c-0000-4000-8000-000000000001"}
    data["recipients"] = "confirmed_waitlisted"
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(admin_url("message", event), data)
    assert len(mail.outbox) == 7
    assert waitlisted[0].user.email in {m.to[0] for m in mail.outbox[3:]}
    assert OutboundEmail.objects.filter(key__startswith="event-message:").count() == 7


@pytest.mark.parametrize(
    "data",
    [
        {"subject": "", "message": "Sample", "recipients": "confirmed", "batch": "GOOD"},
        {"subject": "Sample", "message": "", "recipients": "confirmed", "batch": "GOOD"},
        {"subject": "Sample", "message": "Sample", "recipients": "all", "batch": "GOOD"},
        {"subject": "Sample", "message": "Sample", "recipients": "confirmed", "batch": "x"},
    ],
)
def test_bad_message_form_sends_nothing(
    editor_client, make_event, data, django_capture_on_commit_callbacks
):
    event = make_event()
    register_members(event, 1)
    data = {
        k: ("5f1d3f1c-0000-4000-8000-000000000002" if v == "GOOD" else v) for k, v in data.items()
    }
    data["send"] = "1"
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url("message", event), data)
    assert response.status_code == 400
    assert parse(response).select(".error-message, .w-field__errors")
    assert mail.outbox == []
    # Registration emails exist; no message to attendees does.
    assert not OutboundEmail.objects.filter(key__startswith="event-message:").exists()


# --- Cancel the event ---------------------------------------------------------------------


def test_cancel_event_publishes_cancelled_and_notifies_every_active_registrant(
    editor_client, make_event, enqueued, django_capture_on_commit_callbacks
):
    event = make_event(capacity=2)
    active = register_members(event, 3)  # two confirmed, one waitlisted
    gone = register_members(event, 1)[0]
    services.registration_cancel(gone, by=gone.user)
    sequence = EventCalendarState.objects.get(pk=event.pk).sequence
    enqueued.clear()

    page = parse(editor_client.get(admin_url("cancel", event)))
    assert "3 registrants will be emailed" in page.get_text(" ", strip=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url("cancel", event))
    assert response.status_code == 302
    assert messages_of(editor_client, response) == [
        ("success", "The event is cancelled; 3 registrants are being notified.")
    ]
    live = EventPage.objects.get(pk=event.pk)
    assert live.status == "cancelled"
    assert live.live
    assert EventCalendarState.objects.get(pk=event.pk).sequence == sequence + 1
    assert sorted((args[0], args[1]) for args in enqueued) == sorted(
        (r.pk, "event_cancelled") for r in active
    )

    # Cancelling again changes nothing and notifies nobody.
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url("cancel", event))
    assert messages_of(editor_client, response) == [("error", "This event is already cancelled.")]
    assert enqueued == []
    assert EventCalendarState.objects.get(pk=event.pk).sequence == sequence + 1
    listing = parse(editor_client.get(admin_url("registrations", event)))
    assert listing.find("a", href=admin_url("cancel", event)) is None


def test_cancel_event_emails_each_active_registrant_once(
    editor_client, make_event, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1)
    active = register_members(event, 2)  # one confirmed, one waitlisted
    gone = register_members(event, 1)[0]
    services.registration_cancel(gone, by=gone.user)
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(admin_url("cancel", event))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.user.email for r in active)


# --- Who may reach these screens ----------------------------------------------------------


def assert_refused(response):
    if response.status_code in (403, 404):
        return
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith(reverse("account_login")) or location == "/admin/", location


@pytest.mark.parametrize("user_for_role", REFUSED_ROLES, indirect=True)
def test_other_roles_are_refused_and_nothing_is_written(
    user_for_role, client_for, make_event, enqueued, django_capture_on_commit_callbacks
):
    role, user = user_for_role
    # Moderators get MFA so the refusal tested is the access policy, not the MFA gate.
    client = client_for(user, mfa=role in PRIVILEGED)
    event = make_event(approval_required=True)
    pending = register_members(event, 2)
    sequence = EventCalendarState.objects.get(pk=event.pk).sequence
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for name in ("registrations", "registrations_results", "message", "cancel"):
            assert_refused(client.get(admin_url(name, event)))
        assert_refused(client.get(admin_url("registrations", event) + "?export=csv"))
        assert_refused(client.get(admin_url("registrations", event) + "?export=xlsx"))
        for action in ("approve", "attended"):
            assert_refused(bulk(client, event, action, pending))
        assert_refused(bulk(client, event, "reject", pending, reason="Sample intruder"))
        message = {
            "batch": "5f1d3f1c-0000-4000-8000-000000000003",
            "recipients": "active",
            "subject": "Sample intruder",
            "message": "Sample intruder",
        }
        assert_refused(client.post(admin_url("message", event), message))
        assert_refused(client.post(admin_url("message", event), {**message, "send": "1"}))
        assert_refused(client.post(admin_url("cancel", event)))
        assert_refused(client.post(admin_url("cancel", event), {"message": "Sample intruder"}))
        assert_refused(client.get("/admin/events/"))

    assert statuses(pending) == ["pending", "pending"]
    assert EventPage.objects.get(pk=event.pk).status == "scheduled"
    assert EventCalendarState.objects.get(pk=event.pk).sequence == sequence
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []
    assert enqueued == []


def test_admin_access_alone_does_not_open_the_event_screens(
    client_for, moderator, make_event, enqueued, django_capture_on_commit_callbacks
):
    """Past Wagtail's own check, the access policy still refuses whoever is not staff."""
    from django.contrib.auth.models import Permission

    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = client_for(moderator, mfa=True)
    event = make_event(approval_required=True)
    pending = register_members(event, 1)
    enqueued.clear()

    assert client.get("/admin/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("registrations", "message", "cancel"):
            response = client.get(admin_url(name, event))
            assert response.status_code == 302
            assert response["Location"] == "/admin/"
        for path in (admin_url("bulk", event), admin_url("cancel", event)):
            data = {"action": "approve", "registrations": [pending[0].pk]}
            assert client.post(path, data)["Location"] == "/admin/"
    assert statuses(pending) == ["pending"]
    assert EventPage.objects.get(pk=event.pk).status == "scheduled"
    assert enqueued == []


def test_editor_without_mfa_is_sent_to_set_it_up(client_for, editor, make_event):
    event = make_event()
    response = client_for(editor, mfa=False).get(admin_url("registrations", event))
    assert response.status_code == 302
    assert "/registrations/" not in response["Location"]


@pytest.mark.parametrize("name", ["registrations", "message", "cancel"])
def test_editor_and_admin_reach_every_screen(client_for, editor, admin_user, make_event, name):
    event = make_event()
    for user in (editor, admin_user):
        response = client_for(user, mfa=True).get(admin_url(name, event))
        assert response.status_code == 200


# --- Home page section --------------------------------------------------------------------


def test_home_section_hook_delegates_to_the_events_section(rf, monkeypatch):
    from events import sections
    from events.wagtail_hooks import upcoming_events_section

    request = rf.get("/")
    monkeypatch.setattr(sections, "home_upcoming_section", lambda req: {"request": req})
    assert upcoming_events_section(request) == {"request": request}
