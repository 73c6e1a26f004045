"""Sample content for demonstrations and development, built in code.

Everything here is labelled as sample content and names no real person. The builders look
things up by slug, email or domain, so running them again adds nothing, and a ``random.Random``
seeded by the caller decides anything that varies, so the same seed gives the same content.
"""

import os
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from wagtail import hooks
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from allauth.account.models import EmailAddress

from community import links, services
from community.models import AgencyDomain, Membership

from .models import FooterLink, FormField, FormPage, HomePage, MenuItem, SiteSettings, StandardPage

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 — printed on purpose; dev-only accounts
HOME_SLUG = "home"
STAFF_ADDRESS = "lab-staff@example.org"
FROM_ADDRESS = "no-reply@example.org"
TOOLKIT_URL = "https://unicri.org/topics/Toolkit-Responsible-AI-for-Law-Enforcement-INTERPOL-UNICRI"

# Title Wagtail's initial migration gives the placeholder page it creates under the root.
WAGTAIL_WELCOME_TITLE = "Welcome to your new Wagtail site!"

# The places the lab's sample members come from, with the time zone each works in.
SAMPLE_LOCATIONS = [
    ("SG", "Asia/Singapore"),
    ("FR", "Europe/Paris"),
    ("AR", "America/Argentina/Buenos_Aires"),
    ("KE", "Africa/Nairobi"),
]
SAMPLE_POSITIONS = [
    "Analyst",
    "Data protection officer",
    "Digital forensics specialist",
    "Legal adviser",
    "Project officer",
    "Researcher",
    "Training coordinator",
]

Kind = Membership.Kind
OrgType = Membership.OrganisationType


class DemoRefused(Exception):
    """The demo content must not be written here (production settings)."""


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


# The administrator comes first: the other verified accounts are recorded as vetted by it.
DEMO_ACCOUNTS = [
    DemoAccount(
        "admin@example.org",
        "admin",
        "Sample Administrator",
        Kind.OTHER,
        "Responsible AI Lab (sample)",
        OrgType.INTERNATIONAL,
        superuser=True,
    ),
    DemoAccount("pending@example.org", "pending", state="signed_up"),
    DemoAccount(
        "applicant@example.org",
        "applicant",
        "Sample Applicant",
        Kind.LAW_ENFORCEMENT,
        "Sample National Police",
        OrgType.POLICE,
        state="applied",
    ),
    DemoAccount(
        "member@example.org",
        "member",
        "Sample Member",
        Kind.OTHER,
        "Sample University",
        OrgType.ACADEMIA,
    ),  # fmt: skip
    DemoAccount(
        "le-member@example.org",
        "law_enforcement",
        "Sample Law-Enforcement Member",
        Kind.LAW_ENFORCEMENT,
        "Sample National Police",
        OrgType.POLICE,
    ),
    DemoAccount(
        "expert@example.org",
        "expert",
        "Sample Expert",
        Kind.EXPERT,
        "Sample University",
        OrgType.ACADEMIA,
    ),  # fmt: skip
    DemoAccount(
        "moderator@example.org",
        "moderator",
        "Sample Moderator",
        Kind.LAW_ENFORCEMENT,
        "Sample National Police",
        OrgType.POLICE,
        staff_role="moderator",
    ),
    DemoAccount(
        "editor@example.org",
        "editor",
        "Sample Editor",
        Kind.OTHER,
        "Responsible AI Lab (sample)",
        OrgType.INTERNATIONAL,
        staff_role="editor",
    ),
]
DEMO_EMAILS = [account.email for account in DEMO_ACCOUNTS]

SAMPLE_AGENCY_DOMAINS = [
    {
        "domain": "police.example",
        "organisation": "Sample National Police",
        "country": "FR",
        "kind": Kind.LAW_ENFORCEMENT,
        "organisation_type": OrgType.POLICE,
    },
    {
        "domain": "justice.example",
        "organisation": "Sample Ministry of Justice",
        "country": "KE",
        "kind": Kind.OTHER,
        "organisation_type": OrgType.JUSTICE,
    },
]
SAMPLE_DOMAINS = [d["domain"] for d in SAMPLE_AGENCY_DOMAINS]


def role_label(role: str) -> str:
    return {
        "pending": _("signed up, not applied"),
        "applicant": _("applied, pending review"),
        "member": _("member"),
        "law_enforcement": _("law-enforcement member"),
        "expert": _("expert"),
        "moderator": _("moderator"),
        "editor": _("editor"),
        "admin": _("administrator"),
    }[role]


@dataclass
class Report:
    """What a run created and what it found already there, for the command to print."""

    created: list[tuple[str, str]] = field(default_factory=list)
    present: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)

    def note(self, kind: str, label: str, created: bool) -> None:
        (self.created if created else self.present).append((kind, label))


def is_production() -> bool:
    """True under the production settings module, however it was selected."""
    modules = [
        getattr(settings, "SETTINGS_MODULE", "") or "",
        os.environ.get("DJANGO_SETTINGS_MODULE", ""),
    ]
    return any(m.rsplit(".", 1)[-1].startswith("production") for m in modules if m)


def ensure_not_production() -> None:
    if is_production():
        raise DemoRefused(
            _(
                "Refusing to write demo content under production settings (%(module)s). "
                "Demo accounts have published passwords; use development settings."
            )
            % {"module": settings.SETTINGS_MODULE}
        )


def seed(*, seed: int = 1, reset: bool = False) -> Report:
    """Create the demo content that is missing; with ``reset``, remove ours first."""
    ensure_not_production()
    rng = random.Random(seed)
    report = Report()
    with transaction.atomic():
        if reset:
            _remove(report)
        _seed_agency_domains(report)
        pages = _seed_pages(report, rebuild_home=reset)
        # Every run: `make run PORT=8001` moves SITE_URL, and the admin's links follow it.
        if links.sync_default_site():
            report.note(_("site address"), settings.SITE_URL, created=False)
        _seed_site_settings(report, pages)
        _seed_accounts(report, rng)
        # Feature apps add their sample content through the "seed_demo" hook.
        for seed_app in hooks.get_hooks("seed_demo"):
            seed_app(report=report, home=pages["home"], rng=rng)
    return report


# --- Reset --------------------------------------------------------------------------------


def _remove(report: Report) -> None:
    home = _find_home()
    if home is not None:
        # The home page itself stays because sites point at it; it is refilled in place.
        for page in home.get_descendants():
            report.removed.append((_("page"), page.title))
        for child in home.get_children().specific():
            child.delete()
    for site in Site.objects.filter(is_default_site=True):
        if SiteSettings.objects.filter(site=site).delete()[0]:
            report.removed.append((_("site settings"), site.hostname))
    User = get_user_model()
    for user in User.objects.filter(email__in=DEMO_EMAILS).order_by("email"):
        report.removed.append((_("account"), user.email))
        user.delete()
    for domain in AgencyDomain.objects.filter(domain__in=SAMPLE_DOMAINS).order_by("domain"):
        report.removed.append((_("agency domain"), domain.domain))
        domain.delete()


# --- Agency domains -----------------------------------------------------------------------


def _seed_agency_domains(report: Report) -> None:
    for spec in SAMPLE_AGENCY_DOMAINS:
        values = dict(spec)
        domain = values.pop("domain")
        _obj, created = AgencyDomain.objects.get_or_create(domain=domain, defaults=values)
        report.note(_("agency domain"), domain, created)


# --- Pages --------------------------------------------------------------------------------


def _find_home() -> HomePage | None:
    return HomePage.objects.filter(depth=2, slug=HOME_SLUG).first() or HomePage.objects.first()


def _is_wagtail_welcome(page: Page) -> bool:
    """Only the untouched placeholder from Wagtail's initial migration may be deleted."""
    return (
        page.content_type_id == ContentType.objects.get_for_model(Page).pk
        and page.numchild == 0
        and page.title == WAGTAIL_WELCOME_TITLE
    )


def _ensure_home(report: Report, *, rebuild: bool) -> tuple[HomePage, bool]:
    home = _find_home()
    if home is not None:
        _point_default_site_at(home)
        # The empty home page a fresh migrate creates has never been edited: fill it in.
        fill = rebuild or (home.latest_revision_id is None and home.numchild == 0)
        report.note(_("page"), home.title, created=fill)
        return home, fill
    root = Page.get_first_root_node()
    welcome = root.get_children().filter(slug=HOME_SLUG).first()
    if welcome is not None:
        if not _is_wagtail_welcome(welcome):
            raise DemoRefused(
                _(
                    "A page with the slug “%(slug)s” already sits under the root and is not "
                    "Wagtail's welcome page; move or rename it, then run the command again."
                )
                % {"slug": HOME_SLUG}
            )
        # Free the slug now; the placeholder goes once no site points at it.
        Page.objects.filter(pk=welcome.pk).update(slug=f"wagtail-welcome-{welcome.pk}")
    home = HomePage(title=_home_title(), slug=HOME_SLUG, hero_title=_hero_title())
    root.add_child(instance=home)
    if welcome is not None:
        Site.objects.filter(root_page_id=welcome.pk).update(root_page=home)
        welcome.delete()
    _point_default_site_at(home)
    report.note(_("page"), home.title, created=True)
    return home, True


def _point_default_site_at(home: HomePage) -> None:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        hostname, port = links.site_host_and_port()
        Site.objects.create(
            hostname=hostname,
            port=port,
            site_name=settings.WAGTAIL_SITE_NAME,
            root_page=home,
            is_default_site=True,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()


def _ensure_child(report: Report, parent: Page, model, slug: str, title: str):
    existing = parent.get_children().filter(slug=slug).specific().first()
    if existing is not None:
        report.note(_("page"), existing.title, created=False)
        return existing, False
    page = model(title=title, slug=slug)
    parent.add_child(instance=page)
    report.note(_("page"), title, created=True)
    return page, True


def _seed_pages(report: Report, *, rebuild_home: bool) -> dict[str, Page]:
    home, home_created = _ensure_home(report, rebuild=rebuild_home)
    pages: dict[str, Page] = {"home": home}
    created: dict[str, bool] = {"home": home_created}
    tree = [
        ("about", "home", StandardPage, "about", "About the lab"),
        ("toolkit", "home", StandardPage, "toolkit", "The Toolkit"),
        ("get_involved", "home", StandardPage, "get-involved", "Get involved"),
        ("contact", "home", FormPage, "contact", "Contact"),
        ("secondment", "get_involved", FormPage, "secondment-interest", "Secondment interest"),
        (
            "assessment",
            "get_involved",
            FormPage,
            "request-assessment-support",
            "Request assessment support",
        ),
    ]
    # Pages exist before any is filled, so calls to action can link to one another.
    for key, parent_key, model, slug, title in tree:
        pages[key], created[key] = _ensure_child(report, pages[parent_key], model, slug, title)
    fillers = {
        "home": _fill_home,
        "about": _fill_about,
        "toolkit": _fill_toolkit,
        "get_involved": _fill_get_involved,
        "contact": _fill_contact,
        "secondment": _fill_secondment,
        "assessment": _fill_assessment,
    }
    for key, fill in fillers.items():
        if created[key]:
            page = pages[key]
            fill(page, pages)
            page.save_revision().publish()
    return pages


def _p(*paragraphs: str) -> RichText:
    return RichText("".join(f"<p>{escape(p)}</p>" for p in paragraphs))


def _ul(items) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _notice():
    return ("rich_text", _p(_("Sample content for demonstration.")))


def _cta(title: str, text: str, label: str, page: Page):
    return (
        "call_to_action",
        {"title": title, "text": text, "button_label": label, "page": page, "url": ""},
    )


def _home_title() -> str:
    return "Responsible AI Lab"


def _hero_title() -> str:
    return "Responsible AI for law enforcement"


def _fill_home(page: HomePage, pages) -> None:
    count = settings.MEMBER_COUNTRY_COUNT
    page.title = _home_title()
    page.hero_title = _hero_title()
    page.hero_text = (
        f"{_('Sample content for demonstration.')} The lab helps police and other "
        f"law-enforcement agencies across the organisation's {count} member countries use "
        "artificial intelligence lawfully, safely and fairly."
    )
    page.hero_cta_label = "Explore the Toolkit"
    page.hero_cta_page = pages["toolkit"]
    page.introduction = (
        "<p>A meeting place for practitioners, experts and lab staff: events, shared "
        "resources and discussions on responsible AI innovation in policing, across all "
        f"{count} member countries.</p>"
    )
    page.body = [
        _notice(),
        ("heading", "What the lab does"),
        (
            "rich_text",
            RichText(
                _ul(
                    [
                        "Runs webinars, workshops and clinics on the Toolkit for Responsible "
                        "AI Innovation in Law Enforcement.",
                        "Keeps a bank of resources, sample use cases and tool evaluations.",
                        "Connects agencies with experts in human-rights law, data protection, "
                        "evaluation and more.",
                    ]
                )
            ),
        ),
        _cta(
            "Take part",
            "Secondments, contributions and assessment support.",
            "Get involved",
            pages["get_involved"],
        ),
    ]


def _fill_about(page: StandardPage, pages) -> None:
    count = settings.MEMBER_COUNTRY_COUNT
    page.introduction = (
        "Sample content for demonstration. The Responsible AI Lab supports law enforcement "
        f"in the organisation's {count} member countries in adopting AI responsibly."
    )
    page.body = [
        _notice(),
        ("heading", "Our aims"),
        (
            "rich_text",
            _p(
                "Artificial intelligence can help police analyse images, text and speech, "
                "assess risk and streamline their work. It also raises questions of human "
                "rights, privacy and public trust. The lab helps agencies answer them before, "
                "during and after a system is used.",
                "The lab is part of the Innovation Centre in Singapore, alongside labs on "
                "cyberspace and new technologies, digital forensics, and futures and "
                "foresight. It works in the organisation's four official languages: Arabic, "
                "English, French and Spanish.",
            ),
        ),
        (
            "quote",
            {
                "quote": "Sample quote: the Toolkit gave our project team a shared language "
                "for discussing necessity and proportionality.",
                "attribution": "Sample participant, national police (sample)",
            },
        ),
        _cta(
            "Questions?",
            "Write to the lab team.",
            "Contact the lab",
            pages["contact"],
        ),
    ]


TOOLKIT_GROUPS = [
    (
        "Primary guidance",
        [
            "Introduction to Responsible AI Innovation",
            "Principles for Responsible AI Innovation",
            "Organizational Roadmap",
        ],
    ),
    (
        "Practical tools",
        [
            "Organizational Readiness Assessment",
            "Risk Assessment Questionnaire",
            "Responsible AI Innovation in Action Workbook",
        ],
    ),
    ("Supporting", ["Technical Reference Book"]),
]
TOOLKIT_PRINCIPLES = [
    ("Lawfulness", "legitimacy, necessity, proportionality"),
    (
        "Minimization of harm",
        "human and environmental well-being, robustness and safety, accuracy, efficiency",
    ),
    (
        "Human autonomy",
        "privacy, human control and oversight, human agency, transparency and explainability",
    ),
    (
        "Fairness",
        "diversity and accessibility, equality and non-discrimination, protection of "
        "vulnerable groups, contestability and redress",
    ),
    ("Good governance", "accountability, traceability and auditability"),
]
LIFE_CYCLE_STAGES = [
    "Plan and design",
    "Collect and process data",
    "Build",
    "Procure",
    "Deploy",
    "Operate and monitor",
    "Retire",
]
EXPERTISE = [
    "Human-rights law",
    "AI ethics",
    "Data protection",
    "Digital forensics",
    "Computer vision and biometrics",
    "NLP and translation",
    "OSINT",
    "Evaluation and statistics",
    "Adversarial ML and security",
    "Procurement",
    "Police leadership and change management",
]


def _fill_toolkit(page: StandardPage, pages) -> None:
    groups = "".join(
        f"<h3>{escape(name)}</h3>{_ul(items)}" for name, items in TOOLKIT_GROUPS
    )  # fmt: skip
    principles = (
        "<ol>"
        + "".join(
            f"<li><b>{escape(name)}</b>: {escape(detail)}</li>"
            for name, detail in TOOLKIT_PRINCIPLES
        )
        + "</ol>"
    )
    page.introduction = (
        "Sample content for demonstration. The Toolkit for Responsible AI Innovation in Law "
        "Enforcement was developed by the INTERPOL Innovation Centre and UNICRI's Centre for "
        "AI and Robotics with funding from the European Union."
    )
    page.body = [
        _notice(),
        ("heading", "Seven resources in three groups"),
        ("rich_text", RichText(groups)),
        ("heading", "Five principles"),
        (
            "rich_text",
            RichText("<p>Each core principle comes with instrumental principles.</p>" + principles),
        ),
        ("heading", "The whole AI life cycle"),
        (
            "rich_text",
            _p(
                "The Toolkit follows a system from the decision to use AI through design and "
                "development, procurement and deployment, to monitoring and evaluation. A "
                "revised edition and a web version were launched in February 2024.",
            ),
        ),
        (
            "call_to_action",
            {
                "title": "Read the Toolkit",
                "text": "The seven resources are published on UNICRI's website.",
                "button_label": "Open the Toolkit",
                "page": None,
                "url": TOOLKIT_URL,
            },
        ),
        _cta(
            "Applying the Toolkit?",
            "Ask the lab for help with a readiness or risk assessment.",
            "Request assessment support",
            pages["assessment"],
        ),
    ]


def _fill_get_involved(page: StandardPage, pages) -> None:
    page.introduction = (
        "Sample content for demonstration. Agencies and experts can work with the lab in "
        "several ways."
    )
    page.body = [
        _notice(),
        ("heading", "Secondments"),
        (
            "rich_text",
            _p(
                "Member-country agencies can second officers or analysts to the lab to work "
                "on Toolkit projects, events and training."
            ),
        ),
        _cta(
            "Interested in a secondment?",
            "Tell us about yourself and your agency.",
            "Register interest",
            pages["secondment"],
        ),
        ("heading", "Contributions"),
        (
            "rich_text",
            _p(
                "Share a use case, a tool evaluation or lessons learned, speak at an event, or "
                "review resources in your field of expertise."
            ),
        ),
        _cta(
            "Assessing an AI system?",
            "The lab can walk your team through the Toolkit's practical tools.",
            "Request assessment support",
            pages["assessment"],
        ),
        ("heading", "Contact"),
        (
            "rich_text",
            _p("For anything else, write to the lab team."),
        ),
        _cta("Write to us", "", "Contact the lab", pages["contact"]),
    ]


def _fill_form(page: FormPage, intro: str, subject: str, fields: list[dict]) -> None:
    page.introduction = str(_p(_("Sample content for demonstration."), intro))
    page.thank_you_text = str(
        _p(
            "Thank you. This is a sample form: in a real deployment the lab team would reply "
            "within a few working days."
        )
    )
    page.to_address = STAFF_ADDRESS
    page.from_address = FROM_ADDRESS
    page.subject = subject
    page.form_fields = [
        FormField(sort_order=i, required=f.pop("required", True), **f) for i, f in enumerate(fields)
    ]


def _choices(items) -> str:
    return "\n".join(items)


def _name_and_email() -> list[dict]:
    return [
        {"label": "Your name", "field_type": "singleline"},
        {
            "label": "Email address",
            "field_type": "email",
            "help_text": "We reply to this address.",
        },
    ]


def _fill_contact(page: FormPage, pages) -> None:
    _fill_form(
        page,
        "Questions about the lab, its events or resources.",
        "Sample contact form message",
        [
            *_name_and_email(),
            {"label": "Organisation", "field_type": "singleline", "required": False},
            {
                "label": "Topic",
                "field_type": "dropdown",
                "choices": _choices(["General question", "Events", "Resources", "Membership"]),
            },
            {"label": "Message", "field_type": "multiline"},
        ],
    )


def _fill_secondment(page: FormPage, pages) -> None:
    _fill_form(
        page,
        "Register your interest in a secondment to the lab.",
        "Sample secondment interest",
        [
            *_name_and_email(),
            {"label": "Agency", "field_type": "singleline"},
            {"label": "Country", "field_type": "singleline"},
            {"label": "Current position", "field_type": "singleline"},
            {
                "label": "Preferred duration",
                "field_type": "radio",
                "choices": _choices(["3 months", "6 months", "12 months"]),
            },
            {
                "label": "Areas of expertise",
                "field_type": "checkboxes",
                "choices": _choices(EXPERTISE),
                "required": False,
            },
            {
                "label": "What would you like to work on?",
                "field_type": "multiline",
                "help_text": "A few sentences are enough.",
            },
        ],
    )


def _fill_assessment(page: FormPage, pages) -> None:
    _fill_form(
        page,
        "Ask the lab to support a readiness or risk assessment with the Toolkit's practical tools.",
        "Sample request for assessment support",
        [
            *_name_and_email(),
            {"label": "Agency", "field_type": "singleline"},
            {"label": "Country", "field_type": "singleline"},
            {
                "label": "The AI system or use case",
                "field_type": "multiline",
                "help_text": "What it does, who uses it, and what data it relies on.",
            },
            {
                "label": "Life-cycle stage",
                "field_type": "dropdown",
                "choices": _choices(LIFE_CYCLE_STAGES),
            },
            {
                "label": "Toolkit tools of interest",
                "field_type": "checkboxes",
                "choices": _choices(TOOLKIT_GROUPS[1][1]),
                "required": False,
            },
        ],
    )


# --- Site settings ------------------------------------------------------------------------


def _seed_site_settings(report: Report, pages: dict[str, Page]) -> None:
    site = Site.objects.get(is_default_site=True)
    site_settings, created = SiteSettings.objects.get_or_create(site=site)
    default_name = SiteSettings._meta.get_field("organisation_name").default
    untouched = (
        site_settings.organisation_name == default_name
        and not site_settings.menu_items.exists()
        and not site_settings.footer_links.exists()
    )
    if not (created or untouched):
        report.note(_("site settings"), site.hostname, created=False)
        return
    site_settings.organisation_name = "Responsible AI Lab (sample)"
    site_settings.tagline = "Responsible AI innovation in law enforcement — sample site"
    site_settings.address = "Sample address\n1 Example Street\n00000 Sample City"
    site_settings.phone = "+00 0000 0000"
    site_settings.contact_email = "lab@example.org"
    site_settings.footer_text = (
        "This site shows sample content for demonstration. Names, addresses and accounts "
        "are not real."
    )
    site_settings.menu_items = [
        MenuItem(sort_order=i, label=label, page=pages[key])
        for i, (label, key) in enumerate(
            [
                ("About", "about"),
                ("Toolkit", "toolkit"),
                ("Get involved", "get_involved"),
                ("Contact", "contact"),
            ]
        )
    ]
    site_settings.footer_links = [
        FooterLink(sort_order=0, label="Contact", page=pages["contact"]),
        FooterLink(sort_order=1, label="Membership", url=reverse("membership")),
        FooterLink(sort_order=2, label="The Toolkit at UNICRI", url=TOOLKIT_URL),
    ]
    site_settings.save()
    report.note(_("site settings"), site.hostname, created=True)


# --- Accounts -----------------------------------------------------------------------------


def _seed_accounts(report: Report, rng: random.Random) -> None:
    User = get_user_model()
    locations = list(SAMPLE_LOCATIONS)
    rng.shuffle(locations)
    existing = {u.email.lower(): u for u in User.objects.filter(email__in=DEMO_EMAILS)}
    admin = existing.get("admin@example.org")
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
            services.submit_application(
                user,
                {
                    "full_name": account.full_name,
                    "kind": account.kind,
                    "organisation": account.organisation,
                    "organisation_type": account.organisation_type,
                    "country": country,
                    "position": position,
                    "motivation": "Sample application: our unit is planning an AI pilot and "
                    "wants to learn from other agencies.",
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
