"""Membership services: applications, automatic vetting by agency domain, group sync."""

from datetime import timedelta
from email import message_from_bytes, policy

from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress

from community import access, services
from community.models import Membership, OutboundEmail
from community.service_errors import NotAllowed
from tests.factories import AgencyDomainFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

APPLICATION = {
    "full_name": "Sample Applicant",
    "kind": Membership.Kind.OTHER,
    "organisation": "Sample Organisation",
    "organisation_type": Membership.OrganisationType.OTHER,
    "country": "",
    "position": "Sample position",
    "motivation": "Sample motivation.",
}


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.STAFF_NOTIFICATION_EMAILS = ["lab-staff@example.org"]
    mail.outbox = []


@pytest.fixture
def agency():
    return AgencyDomainFactory(
        domain="police.example",
        organisation="Sample National Police",
        country="FR",
        kind=Membership.Kind.LAW_ENFORCEMENT,
        organisation_type=Membership.OrganisationType.POLICE,
    )


def groups_of(user):
    return set(user.groups.values_list("name", flat=True))


def parsed_outbox():
    return [message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in mail.outbox]


def submit(user, capture):
    with capture(execute=True):
        return services.membership_submit(user, dict(APPLICATION))


# --- Automatic vetting by agency domain ----------------------------------------------------


@pytest.mark.parametrize("email", ["officer@police.example", "officer@cyber.police.example"])
def test_allow_listed_domain_is_verified_automatically(
    agency, email, django_capture_on_commit_callbacks
):
    user = UserFactory(email=email)
    before = timezone.now()
    membership = submit(user, django_capture_on_commit_callbacks)

    membership.refresh_from_db()
    assert membership.status == Membership.Status.VERIFIED
    assert membership.auto_verified_domain == "police.example"
    assert membership.verified_by is None
    assert membership.verified_at >= before
    assert membership.expires_at > timezone.now() + timedelta(days=365)
    # The agency's record wins over what the applicant chose.
    assert membership.kind == Membership.Kind.LAW_ENFORCEMENT
    assert membership.organisation_type == Membership.OrganisationType.POLICE
    assert membership.country == "FR"
    assert groups_of(user) == {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT}

    messages = parsed_outbox()
    assert [m["To"] for m in messages] == [email]  # welcomed; staff have nothing to vet
    assert "verified" in messages[0]["Subject"]


@pytest.mark.parametrize(
    "email",
    [
        "someone@evilpolice.example",  # same suffix, different domain
        "someone@police.example.attacker.test",  # the listed name inside another domain
        "someone@example.org",
    ],
)
def test_other_domains_stay_pending_and_email_applicant_and_staff(
    agency, email, django_capture_on_commit_callbacks
):
    user = UserFactory(email=email)
    membership = submit(user, django_capture_on_commit_callbacks)

    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING
    assert membership.applied_at is not None
    assert membership.verified_at is None
    assert membership.auto_verified_domain == ""
    assert groups_of(user) == set()

    messages = {m["To"]: m for m in parsed_outbox()}
    assert set(messages) == {email, "lab-staff@example.org"}
    assert "received" in messages[email]["Subject"]
    assert "Sample Applicant" in messages["lab-staff@example.org"]["Subject"]
    assert "Sample Organisation" in messages["lab-staff@example.org"].get_content()


def test_unverified_address_at_agency_domain_is_not_verified(
    agency, django_capture_on_commit_callbacks
):
    user = UserFactory(email="officer@police.example", verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    membership = submit(user, django_capture_on_commit_callbacks)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING
    assert groups_of(user) == set()


def test_inactive_agency_domain_does_not_verify(agency, django_capture_on_commit_callbacks):
    agency.active = False
    agency.save()
    user = UserFactory(email="officer@police.example")
    membership = submit(user, django_capture_on_commit_callbacks)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


@pytest.mark.parametrize("status", [Membership.Status.REJECTED, Membership.Status.SUSPENDED])
def test_rejected_or_suspended_cannot_reapply(status, django_capture_on_commit_callbacks):
    user = make_member(status=status)
    before = Membership.objects.get(user=user)
    with pytest.raises(services.VettingError):
        submit(user, django_capture_on_commit_callbacks)
    after = Membership.objects.get(user=user)
    assert (after.status, after.full_name, after.applied_at) == (
        before.status,
        before.full_name,
        before.applied_at,
    )
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("user_for_role", ["pending", "member", "moderator"], indirect=True)
def test_only_editors_approve_or_reject(user_for_role):
    _, actor = user_for_role
    applicant = make_member(status=Membership.Status.PENDING)
    with pytest.raises(NotAllowed):
        services.membership_approve(applicant.membership, by=actor)
    with pytest.raises(NotAllowed):
        services.membership_reject(applicant.membership, by=actor, reason="Sample reason.")
    membership = Membership.objects.get(user=applicant)
    assert membership.status == Membership.Status.PENDING
    assert not OutboundEmail.objects.exists()


def _never_applied():
    return UserFactory().membership


def _staff():
    return make_member(staff_role="editor").membership


@pytest.mark.parametrize(
    ("build", "approve_ok", "reject_ok"),
    [
        (_never_applied, False, False),
        (lambda: make_member(status=Membership.Status.PENDING).membership, True, True),
        (lambda: make_member().membership, False, False),
        (_staff, False, False),
        (lambda: make_member(status=Membership.Status.REJECTED).membership, True, False),
        (lambda: make_member(status=Membership.Status.SUSPENDED).membership, False, False),
        (lambda: make_member(status=Membership.Status.EXPIRED).membership, False, False),
    ],
    ids=["not_applied", "pending", "verified", "staff", "rejected", "suspended", "expired"],
)
def test_decisions_follow_their_predicates_and_refusals_write_nothing(
    editor, build, approve_ok, reject_ok
):
    membership = build()
    assert services.may_approve(membership) is approve_ok
    assert services.may_reject(membership) is reject_ok

    def state():
        m = Membership.objects.get(pk=membership.pk)
        return (m.status, m.verified_by_id, m.verified_at, m.decision_reason, groups_of(m.user))

    for decide, allowed in (
        (
            lambda: services.membership_reject(membership, by=editor, reason="Sample reason."),
            reject_ok,
        ),
        (lambda: services.membership_approve(membership, by=editor), approve_ok),
    ):
        if allowed:
            continue
        before, emails = state(), OutboundEmail.objects.count()
        with pytest.raises(services.VettingError) as refused:
            decide()
        assert str(refused.value)
        assert state() == before
        assert OutboundEmail.objects.count() == emails
    if reject_ok:
        assert (
            services.membership_reject(membership, by=editor, reason="Sample.").status == "rejected"
        )
    if approve_ok:
        assert services.membership_approve(membership, by=editor).is_verified


def test_only_administrators_set_staff_roles(editor, admin_user):
    target = make_member()
    with pytest.raises(NotAllowed):
        services.membership_set_staff_role(target.membership, by=editor, staff_role="editor")
    assert groups_of(target) == {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT}
    services.membership_set_staff_role(target.membership, by=admin_user, staff_role="moderator")
    assert access.GROUP_MODERATORS in groups_of(target)


# --- Groups follow the membership -----------------------------------------------------------

ALL_STAFF = {access.GROUP_EDITORS, access.GROUP_MODERATORS}


@pytest.mark.parametrize(
    ("kind", "staff_role", "expected"),
    [
        (
            Membership.Kind.LAW_ENFORCEMENT,
            "",
            {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT},
        ),
        (Membership.Kind.EXPERT, "", {access.GROUP_MEMBERS, access.GROUP_EXPERTS}),
        (Membership.Kind.OTHER, "", {access.GROUP_MEMBERS}),
        (Membership.Kind.OTHER, "moderator", {access.GROUP_MEMBERS, access.GROUP_MODERATORS}),
        (Membership.Kind.OTHER, "editor", {access.GROUP_MEMBERS} | ALL_STAFF),
        (
            Membership.Kind.LAW_ENFORCEMENT,
            "editor",
            {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT} | ALL_STAFF,
        ),
    ],
)
def test_verified_membership_gets_its_groups(kind, staff_role, expected):
    user = make_member(kind=kind, staff_role=staff_role)
    assert groups_of(user) == expected


@pytest.mark.parametrize(
    "status",
    [
        Membership.Status.PENDING,
        Membership.Status.REJECTED,
        Membership.Status.SUSPENDED,
        Membership.Status.EXPIRED,
    ],
)
def test_leaving_verified_removes_every_managed_group(status):
    user = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, staff_role="editor")
    assert groups_of(user) >= ALL_STAFF
    membership = user.membership
    membership.status = status
    membership.save()
    services.sync_groups(membership)
    assert groups_of(user) == set()

    membership.status = Membership.Status.VERIFIED
    membership.save()
    services.sync_groups(membership)
    assert groups_of(user) == {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT} | ALL_STAFF


def test_verified_but_past_expiry_gets_no_groups():
    user = make_member()
    membership = user.membership
    membership.expires_at = timezone.now() - timedelta(minutes=1)
    membership.save()
    services.sync_groups(membership)
    assert groups_of(user) == set()


def test_sync_removes_hand_added_managed_groups_and_keeps_others():
    user = make_member(kind=Membership.Kind.EXPERT)
    unmanaged = Group.objects.create(name="Sample newsletter readers")
    user.groups.add(Group.objects.get(name=access.GROUP_EDITORS), unmanaged)

    services.sync_groups(user.membership)
    assert groups_of(user) == {
        access.GROUP_MEMBERS,
        access.GROUP_EXPERTS,
        "Sample newsletter readers",
    }
