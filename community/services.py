"""Membership operations. Views and admin call these; nothing changes groups by hand."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allauth.account.models import EmailAddress

from . import access, audit
from .emails import queue_email
from .models import AgencyDomain, Membership
from .service_errors import NotAllowed, ServiceError


class VettingError(ServiceError):
    """A vetting action that does not apply to the membership's current state."""

    def __init__(self, message, *, code="state"):
        super().__init__(code, message)


# --- Decisions: one predicate each, asked by the services below and by the vetting queue's
# buttons, so the admin never offers an action the service would refuse.


def may_approve(membership: Membership) -> bool:
    """An application awaiting a decision, or one rejected earlier that an editor reverses."""
    return membership.has_applied and membership.status in (
        Membership.Status.PENDING,
        Membership.Status.REJECTED,
    )


def may_reject(membership: Membership) -> bool:
    """Only an application awaiting a decision. A verified member is suspended, not rejected."""
    return membership.is_awaiting_decision


def membership_for(user) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user)
    return membership


def desired_groups(membership: Membership) -> set[str]:
    if not membership.is_verified:
        return set()
    wanted = {access.GROUP_MEMBERS}
    if membership.kind == Membership.Kind.LAW_ENFORCEMENT:
        wanted.add(access.GROUP_LAW_ENFORCEMENT)
    elif membership.kind == Membership.Kind.EXPERT:
        wanted.add(access.GROUP_EXPERTS)
    if membership.staff_role == "moderator":
        wanted.add(access.GROUP_MODERATORS)
    elif membership.staff_role == "editor":
        wanted.update({access.GROUP_EDITORS, access.GROUP_MODERATORS})
    return wanted


def sync_groups(membership: Membership) -> None:
    """Put the user in exactly the managed groups their membership calls for."""
    user = membership.user
    wanted = desired_groups(membership)
    managed = {g.name: g for g in Group.objects.filter(name__in=access.MANAGED_GROUPS)}
    missing = set(access.MANAGED_GROUPS) - set(managed)
    for name in missing:
        managed[name], _ = Group.objects.get_or_create(name=name)
    current = set(user.groups.filter(name__in=access.MANAGED_GROUPS).values_list("name", flat=True))
    to_remove = [managed[n] for n in current - wanted]
    to_add = [managed[n] for n in wanted - current]
    if to_remove:
        user.groups.remove(*to_remove)
    if to_add:
        user.groups.add(*to_add)
    access.forget_roles(user)


def _verified_email_domain(user) -> str | None:
    address = (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary")
        .values_list("email", flat=True)
        .first()
    )
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].lower()


def matching_agency_domain(user) -> AgencyDomain | None:
    domain = _verified_email_domain(user)
    if not domain:
        return None
    parts = domain.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)]
    found = {d.domain: d for d in AgencyDomain.objects.filter(domain__in=candidates, active=True)}
    for candidate in candidates:  # the most specific domain wins
        if candidate in found:
            return found[candidate]
    return None


def _expiry(now):
    return now + timedelta(days=settings.MEMBERSHIP_VALIDITY_DAYS)


@transaction.atomic
def membership_submit(user, data: dict) -> Membership:
    """Save the member's application; vet automatically when the domain is allow-listed."""
    membership = Membership.objects.select_for_update().get(pk=membership_for(user).pk)
    if membership.status in (Membership.Status.SUSPENDED, Membership.Status.REJECTED):
        raise VettingError(_("This membership cannot be changed by its holder."))
    for field in Membership.APPLICATION_FIELDS:
        if field in data:
            setattr(membership, field, data[field])
    now = timezone.now()
    old_status = membership.status
    was_verified = membership.is_verified
    membership.applied_at = now
    if not was_verified:
        membership.status = Membership.Status.PENDING
    membership.save()

    agency = None if was_verified else matching_agency_domain(user)
    if agency is not None:
        membership.kind = agency.kind
        membership.organisation_type = agency.organisation_type
        if not membership.country and agency.country:
            membership.country = agency.country
        _verify(membership, by=None, now=now, auto_domain=agency.domain)
    elif not was_verified:
        queue_email(
            key=f"membership-received:{membership.pk}:{now.isoformat()}",
            to=[user.email],
            template="community/email/membership_received",
            context={"membership": membership},
        )
        if settings.STAFF_NOTIFICATION_EMAILS:
            queue_email(
                key=f"membership-to-vet:{membership.pk}:{now.isoformat()}",
                to=settings.STAFF_NOTIFICATION_EMAILS,
                template="community/email/membership_to_vet",
                context={"membership": membership},
            )
    sync_groups(membership)
    _record(
        membership,
        "community.membership.submit",
        actor=user,
        old_status=old_status,
        auto_verified_domain=agency.domain if agency is not None else "",
    )
    return membership


def _verify(membership, *, by, now, auto_domain=""):
    membership.status = Membership.Status.VERIFIED
    membership.verified_by = by
    membership.verified_at = now
    membership.expires_at = _expiry(now)
    membership.decision_reason = ""
    membership.auto_verified_domain = auto_domain
    membership.save()
    sync_groups(membership)
    queue_email(
        key=f"membership-approved:{membership.pk}:{now.isoformat()}",
        to=[membership.user.email],
        template="community/email/membership_approved",
        context={"membership": membership},
    )


def _record(membership, action, *, actor, **data):
    """The audit entry of a change to ``membership``, in the caller's transaction."""
    audit.record(
        membership,
        action,
        actor=actor,
        title=membership.display_name,
        member=membership.user_id,
        new_status=membership.status,
        **data,
    )


def refusal(membership: Membership) -> str:
    """Why no decision can be taken on this membership now, in the editor's words."""
    state = membership.state
    if state == Membership.State.NOT_APPLIED:
        return _("This person has not applied for membership yet.")
    if state == Membership.State.VERIFIED:
        return _("This membership is already verified.")
    if state == Membership.State.REJECTED:
        return _("This application is already rejected.")
    if state == Membership.State.SUSPENDED:
        return _("This membership is suspended; it is not awaiting a decision.")
    if state == Membership.State.EXPIRED:
        return _("This membership has expired; the member must re-confirm their details first.")
    return _("This application is not awaiting a decision.")


@transaction.atomic
def membership_approve(membership: Membership, *, by) -> Membership:
    if not access.can(by, "vet_members"):
        raise NotAllowed
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not may_approve(membership):
        raise VettingError(refusal(membership))
    old_status = membership.status
    _verify(membership, by=by, now=timezone.now())
    _record(membership, "community.membership.approve", actor=by, old_status=old_status)
    return membership


@transaction.atomic
def membership_reject(membership: Membership, *, by, reason: str) -> Membership:
    if not access.can(by, "vet_members"):
        raise NotAllowed
    reason = (reason or "").strip()
    if not reason:
        raise VettingError(_("A reason is required to reject an application."))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not may_reject(membership):
        raise VettingError(refusal(membership))
    now = timezone.now()
    old_status = membership.status
    membership.status = Membership.Status.REJECTED
    membership.decision_reason = reason
    membership.verified_by = by
    membership.verified_at = None
    membership.expires_at = None
    membership.save()
    sync_groups(membership)
    queue_email(
        key=f"membership-rejected:{membership.pk}:{now.isoformat()}",
        to=[membership.user.email],
        template="community/email/membership_rejected",
        context={"membership": membership},
    )
    _record(
        membership,
        "community.membership.reject",
        actor=by,
        old_status=old_status,
        reason=reason,
    )
    return membership


@transaction.atomic
def membership_suspend(membership: Membership, *, by, reason: str = "") -> Membership:
    if not access.can(by, "vet_members"):
        raise NotAllowed
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    old_status = membership.status
    membership.status = Membership.Status.SUSPENDED
    membership.decision_reason = reason
    membership.save()
    sync_groups(membership)
    _record(
        membership,
        "community.membership.suspend",
        actor=by,
        old_status=old_status,
        reason=reason,
    )
    return membership


@transaction.atomic
def membership_set_staff_role(membership: Membership, *, by, staff_role: str) -> Membership:
    if not access.can(by, "manage_staff_roles"):
        raise NotAllowed
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    membership_write_staff_role(membership, staff_role=staff_role, by=by)
    return membership


def membership_write_staff_role(
    membership: Membership, *, staff_role: str, by, via: str = "admin"
) -> str:
    """Write the staff role of a membership the caller has locked, move the groups and log
    the change; returns the previous role. Asks no one: the caller has decided (the service
    above asks the access policy; ``grant_staff_role`` runs with the server's keys and has
    no acting administrator on a new site, so ``by`` is None there)."""
    previous = membership.staff_role
    membership.staff_role = staff_role
    membership.save(update_fields=["staff_role", "updated_at"])
    sync_groups(membership)
    if previous == staff_role:
        return previous  # the groups are re-synced, but no state changed: nothing to log
    _record(
        membership,
        "community.membership.staff_role",
        actor=by,
        old_role=previous,
        new_role=staff_role,
        via=via,
    )
    return previous


def membership_expire_due(now=None) -> int:
    """Expire verified memberships past their date; ask each member to re-confirm."""
    now = now or timezone.now()
    count = 0
    due = Membership.objects.filter(status=Membership.Status.VERIFIED, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            membership = Membership.objects.select_for_update().select_related("user").get(pk=pk)
            if membership.status != Membership.Status.VERIFIED or membership.expires_at > now:
                continue
            membership.status = Membership.Status.EXPIRED
            membership.save(update_fields=["status", "updated_at"])
            sync_groups(membership)
            _record(
                membership,
                "community.membership.expire",
                actor=None,
                old_status=Membership.Status.VERIFIED,
                expires_at=membership.expires_at.isoformat(),
            )
            queue_email(
                key=f"membership-expired:{membership.pk}:{membership.expires_at.isoformat()}",
                to=[membership.user.email],
                template="community/email/membership_expired",
                context={"membership": membership},
            )
            count += 1
    return count
