"""The access policy: the one place that decides who may see or do what.

Feature apps import this module; it never imports them. They register rules for their own
actions with :func:`rule`, so every decision still goes through :func:`can`.
"""

from collections.abc import Callable
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    PENDING = "pending"
    MEMBER = "member"
    LAW_ENFORCEMENT = "law_enforcement"
    EXPERT = "expert"
    MODERATOR = "moderator"
    EDITOR = "editor"
    ADMIN = "admin"


class Audience(models.TextChoices):
    """Who may see a piece of content. Every content model uses these values."""

    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Verified members")
    LAW_ENFORCEMENT = "law_enforcement", _("Law-enforcement members")
    STAFF = "staff", _("Lab staff")


# Django groups kept in step with Membership by community.services.sync_groups.
GROUP_MEMBERS = "Members"
GROUP_LAW_ENFORCEMENT = "Law enforcement"
GROUP_EXPERTS = "Experts"
# Wagtail's initial data creates "Moderators" and "Editors" groups with admin rights;
# community.signals.ensure_role_groups resets their permissions to this policy's.
GROUP_MODERATORS = "Moderators"
GROUP_EDITORS = "Editors"
MANAGED_GROUPS = (
    GROUP_MEMBERS,
    GROUP_LAW_ENFORCEMENT,
    GROUP_EXPERTS,
    GROUP_MODERATORS,
    GROUP_EDITORS,
)
_GROUP_ROLES = {
    GROUP_MEMBERS: Role.MEMBER,
    GROUP_LAW_ENFORCEMENT: Role.LAW_ENFORCEMENT,
    GROUP_EXPERTS: Role.EXPERT,
    GROUP_MODERATORS: Role.MODERATOR,
    GROUP_EDITORS: Role.EDITOR,
}
PRIVILEGED_ROLES = frozenset({Role.MODERATOR, Role.EDITOR, Role.ADMIN})
STAFF_ROLES = frozenset({Role.EDITOR, Role.ADMIN})

_ROLE_CACHE_ATTR = "_community_roles"
_HELD_CACHE_ATTR = "_community_held_roles"
_STATUS_CACHE_ATTR = "_community_membership_status"
_VERIFIED_EMAIL_CACHE_ATTR = "_community_verified_email"
_MFA_CACHE_ATTR = "_community_has_authenticator"
_ASSURANCE_ATTR = "_community_assurance"
# Statuses whose holder may not submit the application again.
_CLOSED_STATUSES = frozenset({"rejected", "suspended"})


def _load(user) -> tuple[frozenset[Role], str]:
    """Roles and membership status in one query: groups joined with the membership."""
    # Not type(user): request.user is a lazy wrapper around the model instance.
    rows = (
        get_user_model()
        ._default_manager.filter(pk=user.pk)
        .values_list("groups__name", "membership__status", "membership__expires_at")
    )
    rows = list(rows)
    # One row per group (or one with no group); the membership columns repeat on each.
    group_names = {row[0] for row in rows if row[0]}
    status, expires_at = (rows[0][1], rows[0][2]) if rows else ("", None)
    # Groups count only while the membership is verified and in date: a member past
    # expires_at loses access at once, not when the daily expiry job next runs.
    verified = status == "verified" and (expires_at is None or expires_at > timezone.now())
    found = {Role.PENDING}
    if verified or not status:
        found.update(role for name, role in _GROUP_ROLES.items() if name in group_names)
    if Role.MEMBER in found:
        found.discard(Role.PENDING)
    if user.is_superuser:
        found.add(Role.ADMIN)
        found.discard(Role.PENDING)
    return frozenset(found), status or ""


class Assurance(StrEnum):
    """How this user object reached the policy, which decides whether privileged roles
    (moderator, editor, administrator) are in force. A password alone never gives them: a
    stolen password must not open staff-only content, exports or the admin.

    Only ``community.middleware.SessionAssuranceMiddleware`` sets ``VERIFIED_SESSION``, and
    only for a session that passed two-step verification with an authenticator the account
    still has. A user object nobody assured (a task, a command) counts as ``LINK``.
    """

    # A signed-in session that passed two-step verification.
    VERIFIED_SESSION = "verified_session"
    # A signed-in session that did not (password only, or verification not set up).
    UNVERIFIED_SESSION = "unverified_session"
    # An email to the account's own address: privileged while the account has two-step
    # verification, as the mailbox is the owner's and not a session's.
    MAILBOX = "mailbox"
    # A capability link (a private calendar feed): never more than a member's.
    LINK = "link"


def assure(user, assurance: Assurance):
    """Record how ``user`` reached the policy (see :class:`Assurance`); returns ``user``."""
    if (
        user is not None
        and user.is_authenticated
        and getattr(user, _ASSURANCE_ATTR, None) != assurance
    ):
        # Only the roles in force depend on it; what the account holds stays cached.
        if hasattr(user, _ROLE_CACHE_ATTR):
            delattr(user, _ROLE_CACHE_ATTR)
        setattr(user, _ASSURANCE_ATTR, Assurance(assurance))
    return user


def has_authenticator(user) -> bool:
    """The account has two-step verification set up; cached for the request."""
    return _has_authenticator(user)


def _has_authenticator(user) -> bool:
    cached = getattr(user, _MFA_CACHE_ATTR, None)
    if cached is None:
        from allauth.mfa.utils import is_mfa_enabled

        cached = is_mfa_enabled(user)
        setattr(user, _MFA_CACHE_ATTR, cached)
    return cached


def _privileges_in_force(user, held: frozenset[Role]) -> bool:
    if not held & PRIVILEGED_ROLES:
        return True
    assurance = getattr(user, _ASSURANCE_ATTR, Assurance.LINK)
    if assurance == Assurance.VERIFIED_SESSION:
        return True
    return assurance == Assurance.MAILBOX and _has_authenticator(user)


def _as_member(held: frozenset[Role]) -> frozenset[Role]:
    """What a privileged account is without two-step verification: a member."""
    return frozenset((held - PRIVILEGED_ROLES - {Role.PENDING}) | {Role.MEMBER})


def _load_cached(user) -> frozenset[Role]:
    held = getattr(user, _HELD_CACHE_ATTR, None)
    if held is None:
        held, status = _load(user)
        setattr(user, _HELD_CACHE_ATTR, held)
        setattr(user, _STATUS_CACHE_ATTR, status)
    return held


def roles(user) -> frozenset[Role]:
    """The viewer's roles in force, from groups and membership, with privileged roles only
    where :class:`Assurance` allows them; cached on the user for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset({Role.ANONYMOUS})
    cached = getattr(user, _ROLE_CACHE_ATTR, None)
    if cached is not None:
        return cached
    held = _load_cached(user)
    result = held if _privileges_in_force(user, held) else _as_member(held)
    setattr(user, _ROLE_CACHE_ATTR, result)
    return result


def held_roles(user) -> frozenset[Role]:
    """The roles the account holds, whether or not this session has put the privileged ones
    in force. Only for telling a person what their account needs (the MFA gate, the account
    page): every access decision uses :func:`roles`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset({Role.ANONYMOUS})
    return _load_cached(user)


def privileges_pending(user) -> bool:
    """The account holds a privileged role that this session has not put in force yet."""
    return bool(held_roles(user) & PRIVILEGED_ROLES) and not (roles(user) & PRIVILEGED_ROLES)


def forget_roles(user) -> None:
    """Drop the cached roles, after groups changed within the same request."""
    for attr in (
        _ROLE_CACHE_ATTR,
        _HELD_CACHE_ATTR,
        _STATUS_CACHE_ATTR,
        _VERIFIED_EMAIL_CACHE_ATTR,
        _MFA_CACHE_ATTR,
    ):
        if hasattr(user, attr):
            delattr(user, attr)


def _membership_status(user) -> str:
    _load_cached(user)
    return getattr(user, _STATUS_CACHE_ATTR, "")


def has_verified_email(user) -> bool:
    """Signed in with an email address they have confirmed; cached for the request.

    Sign-in already requires a confirmed address, but accounts made by hand (createsuperuser,
    the shell) may have none, and an outside speaker's registration relies on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, _VERIFIED_EMAIL_CACHE_ATTR, None)
    if cached is None:
        from allauth.account.models import EmailAddress

        cached = EmailAddress.objects.filter(user=user, verified=True).exists()
        setattr(user, _VERIFIED_EMAIL_CACHE_ATTR, cached)
    return cached


def has_role(user, *wanted: Role) -> bool:
    return bool(roles(user) & set(wanted))


def is_privileged(user) -> bool:
    """A moderator, editor or administrator role is in force for this viewer."""
    return bool(roles(user) & PRIVILEGED_ROLES)


def admin_once_verified(user) -> bool:
    """Whether the account's roles open the admin once its session passes two-step
    verification (held staff roles, or Wagtail's own permission granted by hand)."""
    return bool(held_roles(user) & STAFF_ROLES) or user.has_perm("wagtailadmin.access_admin")


def holds_privileged_role(user) -> bool:
    """The account holds a role that requires two-step verification, in force or not."""
    return bool(held_roles(user) & PRIVILEGED_ROLES)


def is_staff(user) -> bool:
    return bool(roles(user) & STAFF_ROLES)


def audiences(user) -> frozenset[str]:
    """The audience levels this viewer may see."""
    user_roles = roles(user)
    allowed = {Audience.PUBLIC}
    if user_roles & STAFF_ROLES:
        return frozenset(Audience.values)
    if user_roles & {Role.MEMBER, Role.MODERATOR}:
        allowed.add(Audience.MEMBERS)
    if Role.LAW_ENFORCEMENT in user_roles:
        allowed.add(Audience.LAW_ENFORCEMENT)
    return frozenset(allowed)


def audience_filter(user, field: str = "audience") -> Q:
    """A queryset filter keeping only rows whose ``field`` this viewer may see."""
    return Q(**{f"{field}__in": sorted(audiences(user))})


def may_see_audience(user, audience: str) -> bool:
    return audience in audiences(user)


# What a vetted member can be granted; staff content is never announced to anyone else.
_MEMBER_AUDIENCES = frozenset({Audience.MEMBERS, Audience.LAW_ENFORCEMENT})


def withheld_audiences(user) -> frozenset[str]:
    """Audience levels a verified membership opens and this viewer may not see yet: what a
    listing may count (never name) to say what the viewer is missing. Never ``staff``."""
    return frozenset(_MEMBER_AUDIENCES - audiences(user))


class VisibleQuerySetMixin:
    """For content querysets with an ``audience`` field: ``Model.objects.visible_to(user)``."""

    audience_field = "audience"

    def visible_to(self, user):
        return self.filter(audience_filter(user, self.audience_field))

    def withheld_from(self, user):
        """Rows this viewer may not see but a verified member could: for a count only, so
        callers must never list or name them."""
        return self.filter(**{f"{self.audience_field}__in": sorted(withheld_audiences(user))})


# --- Actions ------------------------------------------------------------------------------

Rule = Callable[[object, object], bool]
_rules: dict[str, Rule] = {}


def rule(action: str):
    """Register the rule answering ``can(user, action, obj)``; one rule per action."""

    def decorator(fn: Rule) -> Rule:
        if action in _rules and _rules[action] is not fn:
            raise ValueError(f"A rule for {action!r} is already registered")
        _rules[action] = fn
        return fn

    return decorator


def can(user, action: str, obj=None) -> bool:
    """True if ``user`` may perform ``action`` (on ``obj``). Unknown actions are refused."""
    check = _rules.get(action)
    if check is None:
        return False
    return bool(check(user, obj))


@rule("view")
def _view(user, obj) -> bool:
    audience = getattr(obj, "audience", None)
    if audience is None:
        return False
    return may_see_audience(user, audience)


@rule("apply_for_membership")
def _apply(user, obj) -> bool:
    return Role.PENDING in roles(user) and _membership_status(user) not in _CLOSED_STATUSES


@rule("edit_own_profile")
def _edit_profile(user, obj) -> bool:
    return Role.ANONYMOUS not in roles(user)


@rule("vet_members")
def _vet(user, obj) -> bool:
    return is_staff(user)


@rule("edit_content")
def _edit_content(user, obj) -> bool:
    return is_staff(user)


@rule("moderate")
def _moderate(user, obj) -> bool:
    return bool(roles(user) & PRIVILEGED_ROLES)


@rule("access_admin")
def _access_admin(user, obj) -> bool:
    return is_staff(user)


@rule("manage_staff_roles")
def _manage_staff_roles(user, obj) -> bool:
    return Role.ADMIN in roles(user)
