"""Every state change leaves an audit entry (issue 9, point 8).

Each service writes exactly one Wagtail log entry per change, in the transaction of the
change: the right action, actor, object and data, and nothing when it refuses or rolls back.
No entry holds a secret. Editors read the entries in the admin's "Audit trail" (filtered by
member, by event, by actor) and in a membership's history; nobody else does.
"""

import csv
import datetime as dt
import io
import json

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry, PageLogEntry

import openpyxl
import pytest
from bs4 import BeautifulSoup

from community import audit
from community import services as community_services
from community.models import Membership
from community.service_errors import NotAllowed
from events import services, tokens
from events.feeds import ONE_TIME_TOKEN_KEY
from events.models import CalendarToken, EventPage, Registration, RegistrationStatus
from tests.factories import AgencyDomainFactory, UserFactory, make_member
from tests.helpers import published_event_index, site_home

pytestmark = pytest.mark.django_db

TRAIL = "/admin/reports/audit-trail/"
TRAIL_RESULTS = "/admin/reports/audit-trail/results/"
JOIN_URL = "https://meet.example.org/secret-room-audit"
ANSWER = "Sample private answer 7f3a"
REFUSED_ROLES = ["anon", "pending", "member", "le_member", "expert", "moderator"]


@pytest.fixture(autouse=True)
def _empty_outbox():
    mail.outbox = []


@pytest.fixture
def make_event(db):
    index = published_event_index(site_home(slug="audit-home", hero_title="Lab"))
    counter = {"n": 0}

    def make(**overrides):
        counter["n"] += 1
        day = (timezone.now() + dt.timedelta(days=7)).date()
        values = {
            "title": f"Sample audit workshop {counter['n']}",
            "slug": f"sample-audit-workshop-{counter['n']}",
            "kind": "workshop",
            "summary": "Sample event for tests.",
            "time_zone": "Europe/Paris",
            "start_date": day,
            "start_time": dt.time(9, 0),
            "end_date": day,
            "end_time": dt.time(12, 0),
            "format": "online",
            "online_join_url": JOIN_URL,
            "audience": "public",
            "registration_audience": "members",
            **overrides,
        }
        event = index.add_child(instance=EventPage(**values))
        event.save_revision().publish()
        event.refresh_from_db()
        return event

    return make


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


def lab_entries(action=None):
    """Every lab entry (both of Wagtail's log models), oldest first."""
    names = [action] if action else list(audit.lab_actions())
    found = [
        *ModelLogEntry.objects.filter(action__in=names),
        *PageLogEntry.objects.filter(action__in=names),
    ]
    return sorted(found, key=lambda entry: (entry.timestamp, entry.pk))


def only_entry(action):
    found = lab_entries(action)
    assert len(found) == 1, [(e.action, e.data) for e in found]
    return found[0]


def assert_on(entry, instance):
    assert entry.content_type == ContentType.objects.get_for_model(instance)
    assert entry.object_id == str(instance.pk)


def member(kind=Membership.Kind.LAW_ENFORCEMENT, **fields):
    return make_member(kind=kind, **fields)


def register(event, user=None, **kwargs):
    return services.registration_create(user or member(), event, **kwargs)


def pending_membership():
    user = member(status=Membership.Status.PENDING)
    return Membership.objects.select_related("user").get(user=user)


# --- Registrations --------------------------------------------------------------------------


def test_registering_logs_the_new_registration(make_event):
    event = make_event()
    user = member()
    registration = register(event, user)

    entry = only_entry("events.registration.create")
    assert_on(entry, registration)
    assert entry.user_id == user.pk
    assert entry.data == {
        "member": user.pk,
        "event": event.pk,
        "old_status": "",
        "new_status": "confirmed",
    }


def test_approve_logs_the_editor_the_member_and_both_statuses(make_event, editor):
    event = make_event(approval_required=True)
    registration = register(event)

    services.registration_approve(registration, by=editor)

    entry = only_entry("events.registration.approve")
    assert_on(entry, registration)
    assert entry.user_id == editor.pk
    assert entry.data == {
        "member": registration.user_id,
        "event": event.pk,
        "old_status": "pending",
        "new_status": "confirmed",
    }
    assert entry.message == "Approved the registration (Pending approval → Confirmed)"


def test_reject_keeps_the_reason(make_event, editor):
    event = make_event(approval_required=True)
    registration = register(event)

    services.registration_reject(registration, by=editor, reason="  Sample: the room is full. ")

    entry = only_entry("events.registration.reject")
    assert_on(entry, registration)
    assert entry.user_id == editor.pk
    assert entry.data["reason"] == "Sample: the room is full."
    assert (entry.data["old_status"], entry.data["new_status"]) == ("pending", "rejected")


def test_mark_attended_logs_once(make_event, editor):
    event = make_event()
    registration = register(event)

    services.registration_mark_attended(registration, by=editor)
    services.registration_mark_attended(registration, by=editor)  # already attended: no change

    entry = only_entry("events.registration.attended")
    assert_on(entry, registration)
    assert entry.user_id == editor.pk
    assert (entry.data["old_status"], entry.data["new_status"]) == ("confirmed", "attended")


def test_cancel_says_whether_staff_or_the_member_cancelled(make_event, editor):
    event = make_event()
    by_staff, by_member = register(event), register(event)

    services.registration_cancel(by_staff, by=editor)
    services.registration_cancel(by_member, by=by_member.user)

    staff_entry, member_entry = lab_entries("events.registration.cancel")
    assert_on(staff_entry, by_staff)
    assert staff_entry.user_id == editor.pk
    assert staff_entry.data["by"] == "staff"
    assert staff_entry.data["member"] == by_staff.user_id
    assert_on(member_entry, by_member)
    assert member_entry.user_id == by_member.user_id
    assert member_entry.data["by"] == "member"
    assert (member_entry.data["old_status"], member_entry.data["new_status"]) == (
        "confirmed",
        "cancelled",
    )


def test_promotion_from_the_waitlist_is_the_systems_doing(make_event):
    event = make_event(capacity=1)
    seated, waiting = register(event), register(event)
    assert waiting.status == RegistrationStatus.WAITLISTED

    services.registration_cancel(seated, by=seated.user)

    entry = only_entry("events.registration.promote")
    assert_on(entry, waiting)
    assert entry.user_id is None
    assert (entry.data["old_status"], entry.data["new_status"]) == ("waitlisted", "confirmed")


def test_bulk_actions_log_each_registration_they_change(editor_client, editor, make_event):
    event = make_event(approval_required=True, capacity=1)
    first, second, third = register(event), register(event), register(event)
    services.registration_reject(third, by=editor, reason="Sample reason")
    url = reverse("events_admin:bulk", args=[event.pk])

    editor_client.post(url, {"action": "approve", "registrations": [first.pk, second.pk, third.pk]})

    approvals = lab_entries("events.registration.approve")
    assert [e.object_id for e in approvals] == [str(first.pk), str(second.pk)]
    assert [e.data["new_status"] for e in approvals] == ["confirmed", "waitlisted"]
    assert {e.user_id for e in approvals} == {editor.pk}

    editor_client.post(url, {"action": "attended", "registrations": [first.pk, second.pk]})
    assert [e.object_id for e in lab_entries("events.registration.attended")] == [str(first.pk)]

    editor_client.post(
        url, {"action": "reject", "registrations": [second.pk], "reason": "Sample: full."}
    )
    rejections = lab_entries("events.registration.reject")
    assert [(e.object_id, e.data["reason"]) for e in rejections] == [
        (str(third.pk), "Sample reason"),
        (str(second.pk), "Sample: full."),
    ]


def test_refused_registration_decisions_write_no_entry(make_event, editor):
    event = make_event(approval_required=True)
    registration = register(event)
    other = member()
    before = len(lab_entries())

    with pytest.raises(NotAllowed):
        services.registration_approve(registration, by=other)
    with pytest.raises(NotAllowed):
        services.registration_reject(registration, by=other, reason="Sample")
    with pytest.raises(NotAllowed):
        services.registration_mark_attended(registration, by=other)
    with pytest.raises(NotAllowed):
        services.registration_cancel(registration, by=other)
    with pytest.raises(services.RegistrationError):
        services.registration_mark_attended(registration, by=editor)  # pending, not confirmed
    services.registration_approve(registration, by=editor)
    after_approval = len(lab_entries())
    with pytest.raises(services.RegistrationError):
        services.registration_approve(registration, by=editor)  # already confirmed
    with pytest.raises(services.RegistrationError):
        services.registration_reject(registration, by=editor, reason="Sample")

    assert after_approval == before + 1
    assert len(lab_entries()) == after_approval


def test_a_rolled_back_decision_leaves_no_entry(make_event, editor, monkeypatch):
    event = make_event(approval_required=True)
    registration = register(event)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.registration_approve(registration, by=editor)
        assert len(lab_entries("events.registration.approve")) == 1  # written, not committed
        raise RuntimeError("the caller's transaction fails after the service")
    assert lab_entries("events.registration.approve") == []

    # A failure inside the service, after the entry is written, takes the entry with it.
    def broken_notify(*args, **kwargs):
        raise RuntimeError("the email could not be queued")

    monkeypatch.setattr(services, "notify", broken_notify)
    with pytest.raises(RuntimeError):
        services.registration_reject(registration, by=editor, reason="Sample")
    assert lab_entries("events.registration.reject") == []
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.PENDING


# --- Events: messages and cancellation ------------------------------------------------------


def message_form(**overrides):
    return {
        "batch": "0c3a6a52-0000-4000-8000-0000000000a8",
        "recipients": "confirmed",
        "subject": "Sample: room change",
        "message": f"Dear participants,\r\nJoin at {JOIN_URL}\r\n",
        "send": "1",
        **overrides,
    }


def test_message_to_attendees_is_logged_on_the_event_once(
    editor_client, editor, make_event, django_capture_on_commit_callbacks
):
    event = make_event(capacity=2)
    register(event), register(event), register(event)  # two confirmed, one waitlisted
    url = reverse("events_admin:message", args=[event.pk])

    with django_capture_on_commit_callbacks(execute=True):
        preview = {k: v for k, v in message_form().items() if k != "send"}
        editor_client.post(url, preview)
        assert lab_entries("events.message_attendees") == []  # a preview sends nothing
        editor_client.post(url, message_form())
        editor_client.post(url, message_form())  # the same form again: nothing new is sent
    assert len(mail.outbox) == 2

    entry = only_entry("events.message_attendees")
    assert isinstance(entry, PageLogEntry)
    assert entry.page_id == event.pk
    assert entry.user_id == editor.pk
    assert entry.data == {
        "event": event.pk,
        "recipients": "confirmed",
        "count": 2,
        "subject": "Sample: room change",
        "batch": "0c3a6a52-0000-4000-8000-0000000000a8",
    }
    assert entry.message == "Sent “Sample: room change” to 2 registrants"


def test_message_service_refuses_a_member_and_logs_nothing(make_event):
    event = make_event()
    register(event)
    with pytest.raises(NotAllowed):
        services.event_message_attendees(
            event,
            by=member(),
            recipients="active",
            subject="Sample",
            message="Sample",
            batch="0c3a6a52-0000-4000-8000-0000000000a9",
        )
    assert lab_entries("events.message_attendees") == []


def test_cancelling_the_event_is_logged_on_the_page(make_event, editor):
    event = make_event()
    register(event), register(event)

    services.event_cancel(event, by=editor, message="Sample: the speaker is ill.")

    entry = only_entry("events.event.cancel")
    assert isinstance(entry, PageLogEntry)
    assert entry.page_id == event.pk
    assert entry.user_id == editor.pk
    assert entry.data == {"event": event.pk, "notified": 2, "with_message": True}
    # Wagtail's own publish entry is still there, once, beside it.
    assert PageLogEntry.objects.filter(page=event, action="wagtail.publish", user=editor).count()
    with pytest.raises(services.RegistrationError):
        services.event_cancel(event, by=editor)  # already cancelled
    with pytest.raises(NotAllowed):
        services.event_cancel(event, by=member())
    assert len(lab_entries("events.event.cancel")) == 1


# --- Memberships ----------------------------------------------------------------------------


def test_submit_logs_the_application():
    user = UserFactory()

    membership = community_services.membership_submit(
        user, {"full_name": "Sample Amira", "kind": Membership.Kind.OTHER}
    )

    entry = only_entry("community.membership.submit")
    assert_on(entry, membership)
    assert entry.user_id == user.pk
    assert entry.label == "Sample Amira"
    assert entry.data == {
        "member": user.pk,
        "new_status": "pending",
        "old_status": "pending",
        "auto_verified_domain": "",
    }


def test_submit_verified_by_an_agency_domain_is_one_entry():
    AgencyDomainFactory(domain="police.example")
    user = UserFactory(email="officer@cyber.police.example")

    community_services.membership_submit(user, {"full_name": "Sample Officer"})

    entry = only_entry("community.membership.submit")
    assert entry.data["new_status"] == "verified"
    assert entry.data["auto_verified_domain"] == "police.example"
    assert lab_entries("community.membership.approve") == []


def test_approve_reject_and_suspend_keep_the_decision(editor):
    approved, rejected = pending_membership(), pending_membership()

    community_services.membership_approve(approved, by=editor)
    community_services.membership_reject(rejected, by=editor, reason=" Sample: no agency. ")
    community_services.membership_suspend(approved, by=editor, reason="Sample: left the force.")

    entry = only_entry("community.membership.approve")
    assert_on(entry, approved)
    assert entry.user_id == editor.pk
    assert entry.data == {
        "member": approved.user_id,
        "old_status": "pending",
        "new_status": "verified",
    }
    entry = only_entry("community.membership.reject")
    assert_on(entry, rejected)
    assert entry.data["reason"] == "Sample: no agency."
    assert entry.data["member"] == rejected.user_id
    entry = only_entry("community.membership.suspend")
    assert_on(entry, approved)
    assert entry.data == {
        "member": approved.user_id,
        "old_status": "verified",
        "new_status": "suspended",
        "reason": "Sample: left the force.",
    }


def test_staff_role_change_keeps_old_and_new_role(admin_user):
    membership = Membership.objects.get(user=member(kind=Membership.Kind.OTHER))

    community_services.membership_set_staff_role(membership, by=admin_user, staff_role="editor")
    community_services.membership_set_staff_role(membership, by=admin_user, staff_role="editor")

    entry = only_entry("community.membership.staff_role")
    assert_on(entry, membership)
    assert entry.user_id == admin_user.pk
    assert entry.data["old_role"] == ""
    assert entry.data["new_role"] == "editor"
    assert entry.message == "Changed the staff role from None to Editor"


def test_grant_staff_role_on_the_command_line_is_logged_without_an_actor():
    user = member(kind=Membership.Kind.OTHER, staff_role="moderator")

    call_command("grant_staff_role", user.email, "editor", stdout=io.StringIO())

    entry = only_entry("community.membership.staff_role")
    assert entry.user_id is None
    assert entry.data["member"] == user.pk
    assert (entry.data["old_role"], entry.data["new_role"]) == ("moderator", "editor")
    assert entry.data["via"] == "command line"
    assert entry.message == "Changed the staff role from Moderator to Editor (on the command line)"


def test_expiry_is_logged_without_an_actor():
    user = member()
    Membership.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(days=1))

    assert community_services.membership_expire_due() == 1
    assert community_services.membership_expire_due() == 0

    entry = only_entry("community.membership.expire")
    assert entry.user_id is None
    assert entry.data["member"] == user.pk
    assert (entry.data["old_status"], entry.data["new_status"]) == ("verified", "expired")


def test_refused_membership_decisions_write_no_entry(editor, moderator):
    membership = pending_membership()
    outsider = member()

    for by in (outsider, moderator):
        with pytest.raises(NotAllowed):
            community_services.membership_approve(membership, by=by)
        with pytest.raises(NotAllowed):
            community_services.membership_reject(membership, by=by, reason="Sample")
        with pytest.raises(NotAllowed):
            community_services.membership_suspend(membership, by=by)
        with pytest.raises(NotAllowed):
            community_services.membership_set_staff_role(membership, by=by, staff_role="editor")
    with pytest.raises(NotAllowed):  # only administrators change staff roles
        community_services.membership_set_staff_role(membership, by=editor, staff_role="editor")
    with pytest.raises(community_services.VettingError):
        community_services.membership_reject(membership, by=editor, reason="  ")
    community_services.membership_reject(membership, by=editor, reason="Sample")
    with pytest.raises(community_services.VettingError):
        community_services.membership_reject(membership, by=editor, reason="Sample")
    with pytest.raises(community_services.VettingError):  # a rejected holder cannot re-apply
        community_services.membership_submit(membership.user, {"full_name": "Sample"})

    assert [e.action for e in lab_entries()] == ["community.membership.reject"]


def test_a_rolled_back_approval_leaves_no_entry(editor):
    membership = pending_membership()
    with pytest.raises(RuntimeError), transaction.atomic():
        community_services.membership_approve(membership, by=editor)
        raise RuntimeError("rolled back")
    assert lab_entries() == []
    assert Membership.objects.get(pk=membership.pk).status == Membership.Status.PENDING


# --- Calendar links -------------------------------------------------------------------------


def test_issue_revoke_and_replace_are_logged_on_the_rows():
    user = member()

    first, _secret = tokens.issue(user)
    entry = only_entry("events.calendar_token.issue")
    assert_on(entry, first)
    assert entry.user_id == user.pk
    assert entry.data == {"member": user.pk, "replaced": []}

    second, _secret = tokens.issue(user)
    revoked = only_entry("events.calendar_token.revoke")
    assert_on(revoked, first)
    assert revoked.data == {"member": user.pk, "replaced_by": second.pk}
    assert lab_entries("events.calendar_token.issue")[-1].data["replaced"] == [first.pk]

    assert tokens.revoke(user) == 1
    assert tokens.revoke(user) == 0  # nothing left to revoke: no entry
    last = lab_entries("events.calendar_token.revoke")
    assert len(last) == 2
    assert_on(last[-1], second)
    assert last[-1].data == {"member": user.pk}


def test_no_entry_holds_a_token_a_join_link_or_an_answer(make_event, editor, client_for):
    event = make_event(
        questions=[("text", {"label": "Sample role", "help_text": "", "required": True})],
    )
    qid = next(iter(event.questions)).id
    user = member()
    client = client_for(user)
    client.post(reverse("events:calendar_token"), {"action": "create"})
    token = client.session[ONE_TIME_TOKEN_KEY]
    row = CalendarToken.objects.get(user=user, revoked_at=None)
    assert row.token_hash == tokens.hash_token(token)
    client.post(reverse("events:calendar_token"), {"action": "regenerate"})
    client.post(reverse("events:calendar_token"), {"action": "revoke"})
    registration = register(event, user, answers={f"q_{qid}": ANSWER})
    register(event, answers={f"q_{qid}": ANSWER})  # someone to message
    services.registration_cancel(registration, by=editor)
    editor_client = client_for(editor)
    editor_client.post(reverse("events_admin:message", args=[event.pk]), message_form())

    written = lab_entries()
    assert {e.action for e in written} >= {
        "events.calendar_token.issue",
        "events.calendar_token.revoke",
        "events.registration.create",
        "events.registration.cancel",
        "events.message_attendees",
    }
    everything = json.dumps([[e.label, e.data] for e in written], ensure_ascii=False)
    for secret in (token, row.token_hash, JOIN_URL, ANSWER):
        assert secret not in everything
    # Nor in the trail an editor reads, nor in its export.
    for page in (editor_client.get(TRAIL), editor_client.get(TRAIL + "?export=csv")):
        assert page.status_code == 200
        body = b"".join(page) if page.streaming else page.content
        for secret in (token, row.token_hash, JOIN_URL, ANSWER):
            assert secret.encode() not in body


def test_record_refuses_secret_keys_and_unknown_actions(make_event):
    registration = register(make_event())
    with pytest.raises(ValueError):
        audit.record(registration, "events.registration.cancel", actor=None, token="x")
    with pytest.raises(ValueError):
        audit.record(registration, "wagtail.edit", actor=None)


# --- Reading the trail in the admin ---------------------------------------------------------


def parse(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html5lib")


def trail_rows(response):
    """The trail's rows as dicts of column heading → cell text."""
    table = parse(response).select_one("table.listing")
    if table is None:
        return []
    headings = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    return [
        {
            heading: td.get_text(" ", strip=True)
            for heading, td in zip(headings, tr.find_all("td", recursive=False), strict=True)
        }
        for tr in table.select("tbody tr")
    ]


@pytest.fixture
def story(make_event, editor):
    """Amira and Bruno, each with a membership decision, a registration and a calendar link,
    at two events; the first event also got a message."""
    amira = member()
    Membership.objects.filter(user=amira).update(full_name="Sample Amira")
    amira = type(amira).objects.get(pk=amira.pk)
    bruno = member()
    first, second = make_event(approval_required=True), make_event()
    amira_reg = register(first, amira)
    bruno_reg = register(second, bruno)
    services.registration_approve(amira_reg, by=editor)
    services.registration_cancel(bruno_reg, by=editor)
    community_services.membership_suspend(
        Membership.objects.get(user=bruno), by=editor, reason="Sample: left the force."
    )
    tokens.issue(amira)
    services.event_message_attendees(
        first,
        by=editor,
        recipients="confirmed",
        subject="Sample: agenda",
        message="Sample",
        batch="0c3a6a52-0000-4000-8000-0000000000b1",
    )
    return {"amira": amira, "bruno": bruno, "first": first, "second": second}


def test_editor_reads_the_trail_with_labels_and_messages(editor_client, editor, story):
    response = editor_client.get(TRAIL)
    rows = trail_rows(response)
    actions = [row["Action"] for row in rows]
    assert "Approved the registration (Pending approval → Confirmed)" in actions
    assert "Cancelled the registration for the member (Confirmed → Cancelled)" in actions
    assert "Suspended the membership: Sample: left the force." in actions
    assert "Created a calendar link" in actions
    assert "Sent “Sample: agenda” to 1 registrant" in actions
    approval = next(row for row in rows if row["Action"].startswith("Approved the registration"))
    assert approval["Name"] == f"Sample Amira → {story['first'].title}"
    assert approval["Type"] == "Registration"
    assert editor.get_username() in approval["User"]
    registered = [row for row in rows if row["Action"].startswith("Registered")]
    assert len(registered) == 2

    # The action filter offers the registered labels, translated.
    soup = parse(response)
    labels = {label.get_text(" ", strip=True) for label in soup.select("label")}
    assert {"Registration: approved", "Membership: suspended", "Calendar link: created"} <= labels
    member_options = {
        option.get_text(" ", strip=True) for option in soup.select("select[name=member] option")
    }
    assert any(option.startswith("Sample Amira") for option in member_options)


def test_the_trail_filters_by_member(editor_client, story):
    amira, bruno = story["amira"], story["bruno"]
    response = editor_client.get(f"{TRAIL}?member={amira.pk}")
    rows = trail_rows(response)
    assert {row["Action"] for row in rows} == {
        "Registered (Pending approval)",
        "Approved the registration (Pending approval → Confirmed)",
        "Created a calendar link",
    }
    assert all("Sample Amira" in row["Name"] for row in rows)

    rows = trail_rows(editor_client.get(f"{TRAIL_RESULTS}?member={bruno.pk}"))
    assert len(rows) == 3  # registered, cancelled by staff, suspended
    assert "Suspended the membership: Sample: left the force." in {r["Action"] for r in rows}

    # A member with no entries yet: nothing, not everything.
    nobody = member()
    assert trail_rows(editor_client.get(f"{TRAIL}?member={nobody.pk}")) == []


def test_the_trail_filters_by_event_and_by_actor(editor_client, editor, story):
    first = story["first"]
    rows = trail_rows(editor_client.get(f"{TRAIL}?event={first.pk}"))
    assert {row["Action"] for row in rows} == {
        "Registered (Pending approval)",
        "Approved the registration (Pending approval → Confirmed)",
        "Sent “Sample: agenda” to 1 registrant",
    }

    rows = trail_rows(editor_client.get(f"{TRAIL}?user={editor.pk}"))
    assert len(rows) == 4  # approve, cancel, suspend, message
    assert {row["User"] for row in rows} == {editor.get_username()}

    registration_type = ContentType.objects.get_for_model(Registration)
    rows = trail_rows(editor_client.get(f"{TRAIL}?object_type={registration_type.pk}"))
    assert {row["Type"] for row in rows} == {"Registration"}
    assert len(rows) == 4


def link_named(soup, text):
    found = [a for a in soup.select("a[href]") if a.get_text(" ", strip=True) == text]
    assert len(found) == 1, [a.get_text(" ", strip=True) for a in soup.select("a[href]")]
    return found[0]


def test_membership_and_event_screens_link_to_their_trail(editor_client, story):
    amira = story["amira"]
    membership = Membership.objects.get(user=amira)
    inspect = parse(editor_client.get(reverse("membership-vetting:inspect", args=[membership.pk])))
    link = link_named(inspect, "Audit trail of this member")
    assert link["href"] == f"{TRAIL}?member={amira.pk}"
    history = reverse("membership-vetting:history", args=[membership.pk])
    assert link_named(inspect, "History")["href"] == history

    registrations = parse(
        editor_client.get(reverse("events_admin:registrations", args=[story["first"].pk]))
    )
    link = link_named(registrations, "Audit trail")
    assert link["href"] == f"{TRAIL}?event={story['first'].pk}"
    assert len(trail_rows(editor_client.get(link["href"]))) == 3


def test_membership_history_lists_its_decisions(editor_client, story):
    membership = Membership.objects.get(user=story["bruno"])
    response = editor_client.get(reverse("membership-vetting:history", args=[membership.pk]))
    cells = [td.get_text(" ", strip=True) for td in parse(response).select("table.listing td")]
    assert "Suspended the membership: Sample: left the force." in cells


def test_trail_export_names_each_action(editor_client, story):
    response = editor_client.get(f"{TRAIL}?export=csv&member={story['amira'].pk}")
    assert response.status_code == 200
    body = b"".join(response) if response.streaming else response.content
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {row["Action type"] for row in rows} == {
        "Registration: registered",
        "Registration: approved",
        "Calendar link: created",
    }
    assert "Approved the registration (Pending approval → Confirmed)" in {
        row["Details"] for row in rows
    }

    response = editor_client.get(f"{TRAIL}?export=xlsx&member={story['amira'].pk}")
    assert response.status_code == 200
    body = b"".join(response) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    details = cells[0].index("Details")
    assert "Created a calendar link" in {row[details] for row in cells[1:]}


def assert_refused(response):
    if response.status_code in (403, 404):
        return
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location.startswith(reverse("account_login")) or location == "/admin/", location


@pytest.mark.parametrize("user_for_role", REFUSED_ROLES, indirect=True)
def test_other_roles_cannot_read_the_trail(user_for_role, client_for, story):
    role, user = user_for_role
    client = client_for(user, mfa=role == "moderator")
    membership = Membership.objects.get(user=story["amira"])
    for path in (
        TRAIL,
        TRAIL_RESULTS,
        f"{TRAIL}?export=csv",
        f"{TRAIL}?member={story['amira'].pk}",
        reverse("membership-vetting:history", args=[membership.pk]),
    ):
        response = client.get(path)
        assert_refused(response)
        assert b"Sample Amira" not in response.content


def test_admin_access_alone_does_not_open_the_trail(client_for, moderator, story):
    """Past Wagtail's own check, the access policy still refuses whoever is not staff."""
    moderator.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = client_for(moderator, mfa=True)
    assert client.get("/admin/").status_code == 200
    for path in (TRAIL, TRAIL_RESULTS):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
    reports = client.get("/admin/").content.decode()
    assert TRAIL not in reports


def test_editor_without_a_verified_session_is_sent_to_two_step_verification(
    client_for, editor, story
):
    response = client_for(editor, mfa=False).get(TRAIL)
    assert response.status_code == 302
    assert "audit-trail" not in response["Location"]


def test_the_reports_menu_offers_the_trail_to_editors(editor_client):
    menu = editor_client.get("/admin/").content.decode()
    assert TRAIL in menu
