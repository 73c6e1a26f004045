"""Demo accounts, one per role, and the sample agency domains (copy: content/accounts.json)."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allauth.account.models import EmailAddress

from community import services
from community.models import AgencyDomain, Membership

from .base import Report, load

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 — printed on purpose; dev-only accounts

Kind = Membership.Kind
OrgType = Membership.OrganisationType


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    full_name: str = ""
    kind: str = ""
    organisation: str = ""
    organisation_type: str = ""
    staff_role: str = ""
    superuser: bool = False
    state: str = "verified"  # "signed_up", "applied" or "verified"


def _account(spec: dict) -> DemoAccount:
    # The model's choices check the file: a misspelt kind fails here, not in the database.
    kind, org_type = spec.get("kind", ""), spec.get("organisation_type", "")
    return DemoAccount(
        **{
            **spec,
            "kind": Kind(kind) if kind else "",
            "organisation_type": OrgType(org_type) if org_type else "",
        }
    )


# What the command prints for each account's role.
ROLE_LABELS = {
    "pending": gettext_lazy("signed up, not applied"),
    "applicant": gettext_lazy("applied, pending review"),
    "member": gettext_lazy("member"),
    "law_enforcement": gettext_lazy("law-enforcement member"),
    "expert": gettext_lazy("expert"),
    "moderator": gettext_lazy("moderator"),
    "editor": gettext_lazy("editor"),
    "admin": gettext_lazy("administrator"),
}

_CONTENT = load("accounts")

DEMO_ACCOUNTS = [_account(spec) for spec in _CONTENT["accounts"]]
DEMO_EMAILS = [account.email for account in DEMO_ACCOUNTS]
# The other verified accounts are recorded as vetted by the administrator, so it comes first.
if not DEMO_ACCOUNTS[0].superuser:
    raise ValueError("content/accounts.json: the first account must be the administrator")
if unknown := {a.role for a in DEMO_ACCOUNTS} - ROLE_LABELS.keys():
    raise ValueError(f"content/accounts.json: no label for the roles {sorted(unknown)}")

SAMPLE_AGENCY_DOMAINS = [
    {**spec, "kind": Kind(spec["kind"]), "organisation_type": OrgType(spec["organisation_type"])}
    for spec in _CONTENT["agency_domains"]
]
SAMPLE_DOMAINS = [d["domain"] for d in SAMPLE_AGENCY_DOMAINS]
# The places the lab's sample members come from, with the time zone each works in.
SAMPLE_LOCATIONS = [(place["country"], place["time_zone"]) for place in _CONTENT["locations"]]
SAMPLE_POSITIONS = _CONTENT["positions"]
APPLICATION_MOTIVATION = _CONTENT["application_motivation"]


def role_label(role: str) -> str:
    return str(ROLE_LABELS[role])


def seed_agency_domains(report: Report) -> None:
    for spec in SAMPLE_AGENCY_DOMAINS:
        values = dict(spec)
        domain = values.pop("domain")
        _obj, created = AgencyDomain.objects.get_or_create(domain=domain, defaults=values)
        report.note(_("agency domain"), domain, created)


def seed_accounts(report: Report, rng: random.Random) -> None:
    User = get_user_model()
    locations = list(SAMPLE_LOCATIONS)
    rng.shuffle(locations)
    existing = {u.email.lower(): u for u in User.objects.filter(email__in=DEMO_EMAILS)}
    admin = existing.get(DEMO_ACCOUNTS[0].email)
    now = timezone.now()
    # One hash for every account: the password is published anyway, and a slow hasher run
    # eight times would dominate the command's run time.
    password_hash = make_password(DEMO_PASSWORD)
    for index, account in enumerate(DEMO_ACCOUNTS):
        # Drawn for every account, present or not, so one account's presence never shifts
        # what the others get.
        country, time_zone = locations[index % len(locations)]
        position = rng.choice(SAMPLE_POSITIONS)
        if account.email in existing:
            report.note(_("account"), account.email, created=False)
            continue
        user = User(username=account.email, email=account.email)
        user.is_superuser = account.superuser
        user.password = password_hash
        user.save()
        EmailAddress.objects.create(user=user, email=account.email, verified=True, primary=True)
        if account.state == "applied":
            services.membership_submit(
                user,
                {
                    "full_name": account.full_name,
                    "kind": account.kind,
                    "organisation": account.organisation,
                    "organisation_type": account.organisation_type,
                    "country": country,
                    "position": position,
                    "motivation": APPLICATION_MOTIVATION,
                },
            )
        elif account.state == "verified":
            _verify(account, user, by=admin, now=now, place=(country, time_zone), position=position)
            if account.superuser:
                admin = user
        report.note(_("account"), account.email, created=True)


def _verify(account: DemoAccount, user, *, by, now, place: tuple[str, str], position: str):
    """A vetted membership as an editor's approval leaves it, without the welcome email."""
    membership = services.membership_for(user)
    membership.full_name = account.full_name
    membership.kind = account.kind
    membership.organisation = account.organisation
    membership.organisation_type = account.organisation_type
    membership.country, membership.time_zone = place
    membership.position = position
    membership.staff_role = account.staff_role
    membership.status = Membership.Status.VERIFIED
    membership.applied_at = now
    membership.verified_by = by
    membership.verified_at = now
    membership.expires_at = now + timedelta(days=settings.MEMBERSHIP_VALIDITY_DAYS)
    membership.save()
    services.sync_groups(membership)
