"""The editors' vetting queue in the Wagtail admin: listing, decisions, refusals, edit limits."""

from datetime import timedelta
from email import message_from_bytes, policy

from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community import access
from community.models import AgencyDomain, Membership, OutboundEmail
from tests.factories import AgencyDomainFactory, UserFactory, make_member
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db

QUEUE = "/admin/membership-vetting/"
REFUSED_ROLES = ["anon", "pending", "member", "le_member", "expert", "moderator"]
PRIVILEGED = {"moderator"}


@pytest.fixture(autouse=True)
def _empty_outbox():
    mail.outbox = []


def applicant(kind=Membership.Kind.LAW_ENFORCEMENT, status=Membership.Status.PENDING, **fields):
    user = make_member(kind=kind, status=status)
    if fields:
        Membership.objects.filter(user=user).update(**fields)
    return Membership.objects.select_related("user").get(user=user)


def url(name, membership):
    return reverse(f"membership-vetting:{name}", args=[membership.pk])


def rows(response):
    """The queue's rows as dicts of column label → cell text, parsed from the HTML."""
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html5lib")
    table = soup.select_one("table.listing")
    if table is None:
        return []
    labels = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    found = []
    for tr in table.select("tbody tr"):
        cells = tr.find_all("td", recursive=False)
        row = {}
        for label, td in zip(labels, cells, strict=True):
            link = td.select_one(".title-wrapper a")
            row[label] = (link or td).get_text(" ", strip=True)
        row["actions"] = [a.get_text(" ", strip=True) for a in td_actions(cells[0])]
        found.append(row)
    return found


def td_actions(cell):
    return cell.select("ul.actions a.button")


def messages_of(response):
    return [(m.level_tag, str(m).strip()) for m in get_messages(response.wsgi_request)]


def parsed(message):
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def snapshot(membership):
    membership.refresh_from_db()
    return (
        membership.status,
        membership.verified_by_id,
        membership.verified_at,
        membership.expires_at,
        membership.decision_reason,
        set(membership.user.groups.values_list("name", flat=True)),
    )


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


# --- The queue ----------------------------------------------------------------------------


def test_menu_shows_vetting_screens_to_editors(editor_client):
    response = editor_client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("Membership vetting", "Agency email domains", "Email log"):
        assert label in page


def test_queue_shows_only_applications_awaiting_a_decision_oldest_first(editor, editor_client):
    now = timezone.now()
    applicant(full_name="Sample Newer", applied_at=now - timedelta(days=1))
    older = applicant(full_name="Sample Older", applied_at=now - timedelta(days=5))
    applicant(
        status=Membership.Status.REJECTED,
        full_name="Sample Decided",
        applied_at=now - timedelta(days=30),
    )
    UserFactory()  # an account that has not applied
    make_member(kind=Membership.Kind.EXPERT)  # verified: decided already

    listed = rows(editor_client.get(QUEUE))
    # The editor fixture (verified staff) and every decided membership stay out of the queue.
    assert [row["Name"] for row in listed] == ["Sample Older", "Sample Newer"]
    assert {row["Name"] for row in listed} == {
        m.display_name for m in Membership.objects.awaiting_decision()
    }
    older_row = listed[0]
    assert older_row["Email"] == older.user.email
    assert older_row["Kind"] == "Law enforcement"
    assert older_row["Organisation type"] == "Police or law-enforcement agency"
    assert older_row["Country"] == "Singapore"
    assert older_row["State"] == "Pending review"
    assert older_row["actions"] == ["Approve", "Reject"]
    # The filter says what is shown: "Awaiting a decision" is the selected default.
    soup = BeautifulSoup(editor_client.get(QUEUE).content, "html5lib")
    selected = soup.select_one("[name=state] option[selected], input[name=state][checked]")
    assert selected is not None and selected.get("value") == "pending"


def test_every_state_offers_only_the_decisions_the_service_accepts(editor, editor_client):
    from community import services

    memberships = {
        "not_applied": UserFactory().membership,
        "pending": applicant(full_name="Sample Waiting"),
        "verified": Membership.objects.get(user=make_member()),
        "staff": Membership.objects.get(user=editor),
        "rejected": applicant(status=Membership.Status.REJECTED, full_name="Sample Rejected"),
        "suspended": applicant(status=Membership.Status.SUSPENDED, full_name="Sample Suspended"),
        "expired": applicant(status=Membership.Status.EXPIRED, full_name="Sample Expired"),
    }
    listed = {row["Name"]: row for row in rows(editor_client.get(f"{QUEUE}?state=all"))}
    assert len(listed) == Membership.objects.count()
    expected = {
        "not_applied": [],
        "pending": ["Approve", "Reject"],
        "verified": [],
        "staff": [],
        "rejected": ["Approve"],
        "suspended": [],
        "expired": [],
    }
    for key, membership in memberships.items():
        offered = listed[membership.display_name]["actions"]
        assert offered == expected[key], key
        # The buttons and the service share one predicate each.
        assert ("Approve" in offered) == services.may_approve(membership), key
        assert ("Reject" in offered) == services.may_reject(membership), key


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("not_applied", {"not applied"}),
        ("verified", {"Sample Verified", "editor"}),
        ("rejected", {"Sample Rejected"}),
        ("suspended", {"Sample Suspended"}),
        ("expired", {"Sample Expired", "Sample Lapsed"}),
        ("pending", {"Sample Waiting"}),
    ],
)
def test_queue_filters_by_state(editor, editor_client, state, expected):
    never = UserFactory().membership
    applicant(full_name="Sample Waiting")
    applicant(status=Membership.Status.VERIFIED, full_name="Sample Verified")
    applicant(status=Membership.Status.REJECTED, full_name="Sample Rejected")
    applicant(status=Membership.Status.SUSPENDED, full_name="Sample Suspended")
    applicant(status=Membership.Status.EXPIRED, full_name="Sample Expired")
    # Verified, but past its date before the daily job has run: it reads "Expired".
    applicant(
        status=Membership.Status.VERIFIED,
        full_name="Sample Lapsed",
        expires_at=timezone.now() - timedelta(days=1),
    )
    names = {"not applied": never.display_name, "editor": editor.membership.display_name}
    wanted = {names.get(name, name) for name in expected}
    listed = rows(editor_client.get(f"{QUEUE}?state={state}"))
    assert {row["Name"] for row in listed} == wanted
    assert {row["State"] for row in listed} == {Membership.State(state).label}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=expert", {"Sample Expert"}),
        ("organisation_type=justice", {"Sample Expert"}),
        ("country=FR", {"Sample French"}),
        ("q=gendarmerie", {"Sample French"}),
        ("state=rejected&q=rejected-applicant", {"Sample Rejected"}),
        # Search alone stays inside the default queue: a rejected application is not in it.
        ("q=rejected-applicant", set()),
    ],
)
def test_queue_filters_and_search(editor_client, query, expected):
    applicant(full_name="Sample Police", organisation="Sample City Police")
    applicant(
        kind=Membership.Kind.EXPERT,
        full_name="Sample Expert",
        organisation_type=Membership.OrganisationType.JUSTICE,
    )
    applicant(full_name="Sample French", country="FR", organisation="Sample Gendarmerie")
    rejected = applicant(status=Membership.Status.REJECTED, full_name="Sample Rejected")
    rejected.user.email = "rejected-applicant@example.org"
    rejected.user.save()

    found = {row["Name"] for row in rows(editor_client.get(f"{QUEUE}?{query}"))}
    assert found == expected


def test_queue_query_count_does_not_grow_with_applicants(editor_client):
    def fetch():
        assert editor_client.get(QUEUE).status_code == 200

    def grow(factor):
        for _ in range(factor):
            applicant()

    applicant()
    assert_queries_constant(fetch, grow)


def test_inspect_shows_the_application(editor_client):
    membership = applicant(
        full_name="Sample Applicant", motivation="Sample motivation for joining the lab."
    )
    response = editor_client.get(url("inspect", membership))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html5lib")
    shown = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in soup.select("main dl dt")
    }
    assert shown["Email"] == membership.user.email
    assert shown["Full name"] == "Sample Applicant"
    assert shown["Why you want to join"] == "Sample motivation for joining the lab."
    actions = {a.get_text(" ", strip=True): a["href"] for a in soup.select("a.w-header-button")}
    assert actions["Approve"] == url("approve", membership)
    assert actions["Reject"] == url("reject", membership)


# --- Approve --------------------------------------------------------------------------------


def test_editor_approves_a_pending_applicant(
    editor, editor_client, django_capture_on_commit_callbacks
):
    membership = applicant(full_name="Sample Officer")
    page = editor_client.get(url("approve", membership))
    assert page.status_code == 200
    form = BeautifulSoup(page.content, "html5lib").select_one("main form[method=post]")
    assert form.select_one("button[type=submit]").get_text(strip=True) == "Yes, approve"

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("approve", membership))
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert ("success", "Sample Officer is now a verified member; they have been emailed.") in (
        messages_of(response)
    )

    membership.refresh_from_db()
    assert membership.status == Membership.Status.VERIFIED
    assert membership.verified_by == editor
    assert membership.verified_at >= before
    assert membership.expires_at > timezone.now() + timedelta(days=365)
    groups = set(membership.user.groups.values_list("name", flat=True))
    assert groups == {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT}

    assert len(mail.outbox) == 1
    message = parsed(mail.outbox[0])
    assert message["To"] == membership.user.email
    assert "verified" in message["Subject"]
    assert "Hello Sample Officer" in message.get_content()


def test_approving_twice_is_refused_and_writes_nothing(
    editor_client, django_capture_on_commit_callbacks
):
    membership = applicant()
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(url("approve", membership))
    state = snapshot(membership)
    emails = OutboundEmail.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("approve", membership))
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert ("error", "This membership is already verified.") in messages_of(response)
    assert snapshot(membership) == state
    assert OutboundEmail.objects.count() == emails
    assert len(mail.outbox) == 1


def test_approving_someone_who_has_not_applied_is_refused(editor_client):
    membership = UserFactory().membership
    state = snapshot(membership)
    response = editor_client.post(url("approve", membership))
    assert ("error", "This person has not applied for membership yet.") in messages_of(response)
    assert snapshot(membership) == state
    assert not OutboundEmail.objects.exists()


# --- Reject ---------------------------------------------------------------------------------


def test_editor_rejects_with_a_reason(editor, editor_client, django_capture_on_commit_callbacks):
    membership = applicant(full_name="Sample Applicant")
    page = editor_client.get(url("reject", membership))
    soup = BeautifulSoup(page.content, "html5lib")
    reason_input = soup.select_one("main form textarea[name=reason]")
    assert reason_input is not None
    assert soup.find("label", attrs={"for": reason_input["id"]}) is not None

    reason = "Sample reason: the organisation could not be confirmed."
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("reject", membership), {"reason": reason})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert (
        "success",
        "The application of Sample Applicant was rejected; they have been emailed.",
    ) in messages_of(response)

    membership.refresh_from_db()
    assert membership.status == Membership.Status.REJECTED
    assert membership.decision_reason == reason
    assert membership.verified_by == editor
    assert not membership.user.groups.exists()

    assert len(mail.outbox) == 1
    message = parsed(mail.outbox[0])
    assert message["To"] == membership.user.email
    assert reason in message.get_content()


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_is_refused_and_writes_nothing(
    editor_client, django_capture_on_commit_callbacks, reason
):
    membership = applicant()
    state = snapshot(membership)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url("reject", membership), {"reason": reason})
    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html5lib")
    error = soup.select_one("main form .error-message, main form .w-field__errors")
    assert error is not None and "required" in error.get_text()
    assert snapshot(membership) == state
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_rejecting_twice_is_refused_and_writes_nothing(editor_client):
    membership = applicant(
        status=Membership.Status.REJECTED, decision_reason="Sample first reason."
    )
    state = snapshot(membership)
    response = editor_client.post(url("reject", membership), {"reason": "Sample again."})
    assert ("error", "This application is already rejected.") in messages_of(response)
    assert snapshot(membership) == state
    assert not OutboundEmail.objects.exists()


# --- Who may vet ----------------------------------------------------------------------------


def assert_refused(response):
    if response.status_code == 403:
        return
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("account_login")) or location == "/admin/", location


@pytest.mark.parametrize("user_for_role", REFUSED_ROLES, indirect=True)
def test_other_roles_are_refused_and_nothing_is_written(
    user_for_role, client_for, django_capture_on_commit_callbacks
):
    role, user = user_for_role
    # Moderators get MFA so the refusal tested is Wagtail's permission check, not the gate.
    client = client_for(user, mfa=role in PRIVILEGED)
    membership = applicant()
    state = snapshot(membership)

    with django_capture_on_commit_callbacks(execute=True):
        for path in (
            QUEUE,
            url("inspect", membership),
            url("edit", membership),
            url("approve", membership),
            url("reject", membership),
        ):
            assert_refused(client.get(path))
        assert_refused(client.post(url("approve", membership)))
        assert_refused(client.post(url("reject", membership), {"reason": "Sample reason."}))
        assert_refused(
            client.post(url("edit", membership), {"staff_notes": "Sample note by intruder."})
        )

    assert snapshot(membership) == state
    membership.refresh_from_db()
    assert membership.staff_notes == ""
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_editor_without_mfa_is_sent_to_mfa_setup(editor, client_for):
    membership = applicant()
    client = client_for(editor, mfa=False)
    for response in (client.get(QUEUE), client.post(url("approve", membership))):
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


# --- The edit view cannot change the vetting decision ----------------------------------------


def form_fields(response):
    soup = BeautifulSoup(response.content, "html5lib")
    form = soup.select_one("form[method=post]")
    return {el["name"] for el in form.select("input[name], select[name], textarea[name]")}


def test_editor_edits_notes_but_not_status_or_staff_role(editor_client):
    membership = applicant(staff_notes="")
    fields = form_fields(editor_client.get(url("edit", membership)))
    assert "staff_notes" in fields
    assert not fields & {"status", "verified_by", "verified_at", "expires_at", "staff_role"}

    response = editor_client.post(
        url("edit", membership),
        {
            "organisation": "Sample Agency",
            "organisation_type": "police",
            "country": "SG",
            "position": "Analyst",
            "staff_notes": "Sample note: called the agency.",
            "status": "verified",
            "staff_role": "editor",
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.staff_notes == "Sample note: called the agency."
    assert membership.status == Membership.Status.PENDING
    assert membership.staff_role == ""
    assert not membership.user.groups.exists()


def test_superuser_sets_staff_role_through_the_service(admin_user, client_for):
    target = make_member(kind=Membership.Kind.OTHER)
    membership = target.membership
    client = client_for(admin_user, mfa=True)
    assert "staff_role" in form_fields(client.get(url("edit", membership)))

    response = client.post(
        url("edit", membership),
        {
            "organisation": "Sample Agency",
            "organisation_type": "academia",
            "country": "SG",
            "position": "Analyst",
            "staff_notes": "",
            "staff_role": "editor",
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.staff_role == "editor"
    groups = set(target.groups.values_list("name", flat=True))
    assert {access.GROUP_EDITORS, access.GROUP_MODERATORS} <= groups


def test_nobody_adds_or_deletes_memberships_in_the_admin(admin_user, client_for):
    membership = applicant()
    client = client_for(admin_user, mfa=True)
    assert_refused(client.get(reverse("membership-vetting:add")))
    assert_refused(client.post(url("delete", membership)))
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- Agency domains and the email log ------------------------------------------------------


def test_editor_lists_and_adds_agency_domains(editor_client):
    AgencyDomainFactory(domain="police.example", organisation="Sample National Police")
    index = reverse("wagtailsnippets_community_agencydomain:list")
    listed = rows(editor_client.get(index))
    assert [row["Domain"] for row in listed] == ["police.example"]
    assert listed[0]["Organisation"] == "Sample National Police"

    data = {
        "domain": "not a domain",
        "organisation": "Sample Gendarmerie",
        "country": "FR",
        "kind": "law_enforcement",
        "organisation_type": "police",
        "active": "on",
    }
    add = reverse("wagtailsnippets_community_agencydomain:add")
    refused = editor_client.post(add, data)
    assert refused.status_code == 200
    errors = BeautifulSoup(refused.content, "html5lib").select_one("#panel-child-domain-errors")
    assert "lower-case domain" in errors.get_text()
    assert AgencyDomain.objects.count() == 1

    response = editor_client.post(add, {**data, "domain": "gendarmerie.example"})
    assert response.status_code == 302
    assert AgencyDomain.objects.filter(domain="gendarmerie.example").exists()


def test_email_log_is_read_only_and_hides_bodies(
    editor_client, admin_user, client_for, django_capture_on_commit_callbacks
):
    from community.emails import queue_message

    with django_capture_on_commit_callbacks(execute=True):
        record = queue_message(
            key="sample-log",
            to=["someone@example.org"],
            subject="Sample log subject",
            body_text="Sample secret sign-in code 123456",
        )
    listed = rows(editor_client.get("/admin/email-log/"))
    assert len(listed) == 1
    assert listed[0]["Subject"] == "Sample log subject"
    assert listed[0]["To"] == "someone@example.org"
    assert listed[0]["Status"] == "Sent"

    for client in (editor_client, client_for(admin_user, mfa=True)):
        inspect = client.get(f"/admin/email-log/inspect/{record.pk}/")
        assert inspect.status_code == 200
        assert b"Sample secret sign-in code" not in inspect.content
        assert client.get(f"/admin/email-log/edit/{record.pk}/").status_code == 404
        assert client.get("/admin/email-log/new/").status_code == 404
        listing = BeautifulSoup(client.get("/admin/email-log/").content, "html5lib")
        assert not listing.select("a[href*='/admin/email-log/edit/']")
