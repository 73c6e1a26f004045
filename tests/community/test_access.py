"""The access policy: every role against every capability, and the doc that describes it."""

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser, Group
from django.utils import timezone

from wagtail.models import Page

import pytest

from community import access, services
from community.access import Audience, Role
from community.models import Membership
from tests.factories import UserFactory, make_member
from tests.helpers import verified

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"

# Doc role key → fixture name in tests/conftest.py.
FIXTURES = {
    "anonymous": "anon",
    "pending": "pending",
    "member": "member",
    "law_enforcement": "le_member",
    "expert": "expert",
    "moderator": "moderator",
    "editor": "editor",
    "admin": "admin_user",
}

CAPABILITIES = [
    "view:public",
    "view:members",
    "view:law_enforcement",
    "view:staff",
    "apply_for_membership",
    "edit_own_profile",
    "vet_members",
    "edit_content",
    "moderate",
    "access_admin",
    "manage_staff_roles",
    "mfa_required",
]

# THE expected matrix. docs/access.md's role × capability table must equal it.
Y, N = True, False
MATRIX = {
    #                  pub mem le staff apply prof vet edit mod adm staffr mfa
    "anonymous": dict(zip(CAPABILITIES, [Y, N, N, N, N, N, N, N, N, N, N, N], strict=True)),
    "pending": dict(zip(CAPABILITIES, [Y, N, N, N, Y, Y, N, N, N, N, N, N], strict=True)),
    "member": dict(zip(CAPABILITIES, [Y, Y, N, N, N, Y, N, N, N, N, N, N], strict=True)),
    "law_enforcement": dict(zip(CAPABILITIES, [Y, Y, Y, N, N, Y, N, N, N, N, N, N], strict=True)),
    "expert": dict(zip(CAPABILITIES, [Y, Y, N, N, N, Y, N, N, N, N, N, N], strict=True)),
    "moderator": dict(zip(CAPABILITIES, [Y, Y, Y, N, N, Y, N, N, Y, N, N, Y], strict=True)),
    "editor": dict(zip(CAPABILITIES, [Y, Y, Y, Y, N, Y, Y, Y, Y, Y, N, Y], strict=True)),
    "admin": dict(zip(CAPABILITIES, [Y, Y, Y, Y, N, Y, Y, Y, Y, Y, Y, Y], strict=True)),
}

EXPECTED_ROLES = {
    "anonymous": {Role.ANONYMOUS},
    "pending": {Role.PENDING},
    "member": {Role.MEMBER},
    "law_enforcement": {Role.MEMBER, Role.LAW_ENFORCEMENT},
    "expert": {Role.MEMBER, Role.EXPERT},
    "moderator": {Role.MEMBER, Role.LAW_ENFORCEMENT, Role.MODERATOR},
    "editor": {Role.MEMBER, Role.EDITOR, Role.MODERATOR},
    "admin": {Role.MEMBER, Role.ADMIN},
}


def _get_user(request, role):
    return request.getfixturevalue(FIXTURES[role])


def _answer(user, capability):
    if capability == "mfa_required":
        return access.is_privileged(user)
    if capability.startswith("view:"):
        return access.can(user, "view", SimpleNamespace(audience=capability.split(":", 1)[1]))
    return access.can(user, capability)


@pytest.mark.django_db
@pytest.mark.parametrize("capability", CAPABILITIES)
@pytest.mark.parametrize("role", list(MATRIX))
def test_matrix(request, role, capability):
    user = _get_user(request, role)
    assert _answer(user, capability) is MATRIX[role][capability]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_audiences_follow_the_matrix(request, role):
    user = _get_user(request, role)
    expected = {
        cap.split(":", 1)[1]
        for cap, allowed in MATRIX[role].items()
        if cap.startswith("view:")
        if allowed
    }
    assert access.audiences(user) == expected
    for audience in Audience.values:
        assert access.may_see_audience(user, audience) is (audience in expected)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_roles_of_each_fixture(request, role):
    assert access.roles(_get_user(request, role)) == EXPECTED_ROLES[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_wagtail_admin_permission_agrees_with_access_admin(request, role):
    """Wagtail decides who enters its admin by permission; it must agree with the policy."""
    user = _get_user(request, role)
    has_perm = user is not None and user.has_perm("wagtailadmin.access_admin")
    assert has_perm is MATRIX[role]["access_admin"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_wagtail_publish_permission_agrees_with_edit_content(request, role):
    user = _get_user(request, role)
    page = Page.objects.filter(depth=2).first()
    may_publish = user is not None and page.permissions_for_user(user).can_publish()
    assert may_publish is MATRIX[role]["edit_content"]


def test_every_registered_action_is_in_the_matrix():
    registered = set(access._rules)
    core = {
        "view",
        "apply_for_membership",
        "edit_own_profile",
        "vet_members",
        "edit_content",
        "moderate",
        "access_admin",
        "manage_staff_roles",
    }
    # Feature apps may register their own (namespaced) actions; the core ones are all covered.
    assert core <= registered
    covered = {cap.split(":", 1)[0] for cap in CAPABILITIES} - {"mfa_required"}
    assert covered == core


def _parse_doc_matrix():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Role × capability", 1)[1].split("\n## ", 1)[0]
    rows = [
        line.strip()
        for line in section.splitlines()
        if line.strip().startswith("|") and not re.fullmatch(r"\|[-| ]+\|", line.strip())
    ]
    cells = [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]
    header, body = cells[0], cells[1:]
    assert header[0] == "role"
    words = {"yes": True, "no": False}
    return header[1:], {
        row[0]: dict(zip(header[1:], (words[c] for c in row[1:]), strict=True)) for row in body
    }


def test_doc_table_equals_the_matrix():
    header, table = _parse_doc_matrix()
    assert header == CAPABILITIES
    assert table == MATRIX


def test_doc_names_every_role_and_audience():
    text = DOC.read_text(encoding="utf-8")
    for value in [r.value for r in Role] + list(Audience.values):
        assert f"`{value}`" in text
    assert "404" in text


# --- Role derivation ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Membership.Status.PENDING, {Role.PENDING}),
        (Membership.Status.VERIFIED, {Role.MEMBER, Role.LAW_ENFORCEMENT}),
        (Membership.Status.REJECTED, {Role.PENDING}),
        (Membership.Status.SUSPENDED, {Role.PENDING}),
        (Membership.Status.EXPIRED, {Role.PENDING}),
    ],
)
def test_roles_follow_membership_status(status, expected):
    user = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, status=status)
    assert access.roles(user) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Membership.Kind.LAW_ENFORCEMENT, {Role.MEMBER, Role.LAW_ENFORCEMENT}),
        (Membership.Kind.EXPERT, {Role.MEMBER, Role.EXPERT}),
        (Membership.Kind.OTHER, {Role.MEMBER}),
    ],
)
def test_roles_follow_membership_kind(kind, expected):
    assert access.roles(make_member(kind=kind)) == expected


@pytest.mark.django_db
def test_verified_but_past_expiry_is_no_longer_a_member():
    user = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, staff_role="editor")
    # The daily expiry job has not run yet: the groups are still there.
    Membership.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert user.groups.filter(name=access.GROUP_MEMBERS).exists()
    access.forget_roles(user)
    assert access.roles(user) == {Role.PENDING}
    assert access.audiences(user) == {Audience.PUBLIC}
    assert not access.can(user, "edit_content")
    assert not access.is_privileged(user)
    # …and may re-confirm.
    assert access.can(user, "apply_for_membership")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Membership.Status.REJECTED, Membership.Status.SUSPENDED])
def test_rejected_and_suspended_may_not_apply_again(status):
    user = make_member(status=status)
    assert access.roles(user) == {Role.PENDING}
    assert not access.can(user, "apply_for_membership")
    assert access.audiences(user) == {Audience.PUBLIC}


@pytest.mark.django_db
def test_expired_member_may_apply_again():
    assert access.can(make_member(status=Membership.Status.EXPIRED), "apply_for_membership")


@pytest.mark.django_db
def test_approval_turns_pending_into_member(editor):
    user = UserFactory()
    assert access.roles(user) == {Role.PENDING}
    membership = services.membership_for(user)
    Membership.objects.filter(pk=membership.pk).update(
        kind=Membership.Kind.EXPERT, applied_at=timezone.now()
    )
    services.membership_approve(membership, by=editor)
    # sync_groups forgets the cached roles of the instance it was given; this one is another.
    access.forget_roles(user)
    assert access.roles(user) == {Role.MEMBER, Role.EXPERT}


@pytest.mark.django_db
def test_moderator_of_another_kind_does_not_see_law_enforcement_content():
    user = verified(make_member(kind=Membership.Kind.OTHER, staff_role="moderator"))
    assert access.roles(user) == {Role.MEMBER, Role.MODERATOR}
    assert access.audiences(user) == {Audience.PUBLIC, Audience.MEMBERS}
    assert access.can(user, "moderate")
    assert access.is_privileged(user)


@pytest.mark.django_db
def test_superuser_without_membership_groups_is_admin():
    user = verified(UserFactory(is_superuser=True))
    assert access.roles(user) == {Role.ADMIN}
    assert access.audiences(user) == set(Audience.values)


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["member", "editor", "admin_user"])
def test_inactive_users_are_anonymous(request, fixture):
    user = request.getfixturevalue(fixture)
    user.is_active = False
    user.save()
    assert access.roles(user) == {Role.ANONYMOUS}
    assert access.audiences(user) == {Audience.PUBLIC}
    assert not access.can(user, "edit_own_profile")


def test_anonymous_user_object_and_none_are_anonymous():
    assert access.roles(None) == {Role.ANONYMOUS}
    assert access.roles(AnonymousUser()) == {Role.ANONYMOUS}


@pytest.mark.django_db
def test_roles_are_cached_per_user_object(le_member, django_assert_num_queries):
    user = type(le_member).objects.get(pk=le_member.pk)
    with django_assert_num_queries(1):
        first = access.roles(user)
    with django_assert_num_queries(0):
        assert access.roles(user) == first
        access.audiences(user)
        access.can(user, "moderate")
        access.can(user, "apply_for_membership")


@pytest.mark.django_db
def test_forget_roles_clears_the_cache(django_assert_num_queries):
    user = verified(make_member(kind=Membership.Kind.OTHER))
    assert access.roles(user) == {Role.MEMBER}
    membership = Membership.objects.get(user=user)
    membership.staff_role = "moderator"
    membership.save()
    user.groups.add(Group.objects.get_or_create(name=access.GROUP_MODERATORS)[0])
    # Still cached: the change is invisible until forgotten.
    assert access.roles(user) == {Role.MEMBER}
    access.forget_roles(user)
    with django_assert_num_queries(1):
        assert access.roles(user) == {Role.MEMBER, Role.MODERATOR}
    access.forget_roles(user)  # forgetting twice is harmless
    access.forget_roles(SimpleNamespace())


@pytest.mark.django_db
def test_unknown_action_is_refused(admin_user):
    assert access.can(admin_user, "no-such-action") is False
    assert access.can(None, "no-such-action") is False


@pytest.mark.django_db
def test_view_refuses_objects_without_an_audience(admin_user):
    assert access.can(admin_user, "view", object()) is False
    assert access.can(admin_user, "view", None) is False


def test_rule_refuses_a_second_rule_for_one_action():
    with pytest.raises(ValueError, match="already registered"):
        access.rule("moderate")(lambda user, obj: True)


def test_rule_registers_a_feature_action():
    action = "tests.sample_action"

    @access.rule(action)
    def _sample(user, obj):
        return obj == "open"

    try:
        assert access.can(None, action, "open") is True
        assert access.can(None, action, "closed") is False
        access.rule(action)(_sample)  # registering the same function again is allowed
    finally:
        access._rules.pop(action)


# --- Querysets ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_audience_filter_is_the_viewers_audiences(request, role):
    user = _get_user(request, role)
    condition = access.audience_filter(user, "audience")
    assert condition.children == [("audience__in", sorted(access.audiences(user)))]
    other = access.audience_filter(user, "page__audience")
    assert other.children[0][0] == "page__audience__in"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
def test_visible_to_filters_a_real_queryset(request, role):
    """Membership has no audience field; ``kind`` takes audience values for this check."""
    from django.db import models

    class KindAsAudience(access.VisibleQuerySetMixin, models.QuerySet):
        audience_field = "kind"

    user = _get_user(request, role)
    rows = {}
    for value in (Audience.LAW_ENFORCEMENT, Audience.PUBLIC, Audience.MEMBERS, Audience.STAFF):
        owner = UserFactory()
        Membership.objects.filter(user=owner).update(kind=value)
        rows[value] = owner.pk
    queryset = KindAsAudience(model=Membership).filter(user_id__in=rows.values())
    visible = set(queryset.visible_to(user).values_list("user_id", flat=True))
    assert visible == {pk for value, pk in rows.items() if MATRIX[role][f"view:{value}"]}
