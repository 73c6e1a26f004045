"""The demo content command: safe, deterministic, idempotent, and every account works."""

import re
from fnmatch import fnmatch
from io import StringIO
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from wagtail.models import Page, Site

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup

from community import access
from community.access import Role
from community.models import AgencyDomain, Membership, OutboundEmail
from community.services import desired_groups
from events.demo import EVENTS as SAMPLE_EVENTS
from home.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from home.models import FooterLink, FormField, FormPage, HomePage, MenuItem, SiteSettings
from tests.queries import max_queries

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent

User = get_user_model()

EXPECTED_ROLES = {
    "pending@example.org": {Role.PENDING},
    "applicant@example.org": {Role.PENDING},
    "member@example.org": {Role.MEMBER},
    "le-member@example.org": {Role.MEMBER, Role.LAW_ENFORCEMENT},
    "expert@example.org": {Role.MEMBER, Role.EXPERT},
    "moderator@example.org": {Role.MEMBER, Role.LAW_ENFORCEMENT, Role.MODERATOR},
    "editor@example.org": {Role.MEMBER, Role.EDITOR, Role.MODERATOR},
    "admin@example.org": {Role.MEMBER, Role.ADMIN},
}
PAGE_SLUGS = {
    "about": "/home/about/",
    "toolkit": "/home/toolkit/",
    "get-involved": "/home/get-involved/",
    "contact": "/home/contact/",
    "secondment-interest": "/home/get-involved/secondment-interest/",
    "request-assessment-support": "/home/get-involved/request-assessment-support/",
}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        "pages": Page.objects.count(),
        "home pages": HomePage.objects.count(),
        "users": User.objects.count(),
        "email addresses": EmailAddress.objects.count(),
        "memberships": Membership.objects.count(),
        "domains": AgencyDomain.objects.count(),
        "form fields": FormField.objects.count(),
        "sites": Site.objects.count(),
        "site settings": SiteSettings.objects.count(),
        "menu items": MenuItem.objects.count(),
        "footer links": FooterLink.objects.count(),
    }


def snapshot():
    """Everything the seed decides, without primary keys or timestamps."""
    pages = [
        (
            page.url_path,
            page.title,
            type(page).__name__,
            [block.block_type for block in getattr(page, "body", None) or []],
        )
        for page in Page.objects.filter(depth__gte=2).specific().order_by("path")
    ]
    fields = list(
        FormField.objects.order_by("page__url_path", "sort_order").values_list(
            "page__url_path", "label", "field_type", "required", "choices"
        )
    )
    members = list(
        Membership.objects.order_by("user__email").values_list(
            "user__email",
            "status",
            "kind",
            "organisation",
            "country",
            "position",
            "time_zone",
            "staff_role",
        )
    )
    domains = list(AgencyDomain.objects.values_list("domain", "organisation", "country", "kind"))
    return pages, fields, members, domains


def wagtail_welcome_page(title="Welcome to your new Wagtail site!"):
    """Put back the placeholder Wagtail's initial migration creates, as on an older database."""
    root = Page.get_first_root_node()
    root.get_children().delete()
    root.refresh_from_db()
    welcome = root.add_child(instance=Page(title=title, slug="home"))
    Site.objects.update_or_create(is_default_site=True, defaults={"root_page": welcome})
    return welcome


def test_fills_the_empty_home_page_a_fresh_migrate_creates():
    empty = HomePage.objects.get()
    assert empty.latest_revision_id is None  # what home's data migration leaves

    seed()

    home = HomePage.objects.get()
    assert home.pk == empty.pk
    assert home.latest_revision_id is not None
    assert home.hero_cta_page is not None
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk


def test_replaces_the_wagtail_welcome_page_with_the_home_page():
    welcome = wagtail_welcome_page()

    seed()

    assert not Page.objects.filter(pk=welcome.pk).exists()
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage)
    assert home.slug == "home"
    assert list(Page.objects.filter(depth=2)) == [home.page_ptr]


def test_home_page_is_served_at_the_root_with_its_hero_title(client):
    seed()
    home = HomePage.objects.get()
    Site.clear_site_root_paths_cache()

    client.get("/")  # warm per-process caches (site root paths, content types)
    with max_queries(20):
        response = client.get("/")

    assert response.status_code == 200
    text = BeautifulSoup(response.content, "html5lib").get_text(" ")
    assert home.hero_title in " ".join(text.split())
    assert "Sample content for demonstration." in text


def test_hero_mentions_the_member_country_count_from_settings(settings):
    settings.MEMBER_COUNTRY_COUNT = 196
    seed()
    home = HomePage.objects.get()
    assert "196 member countries" in home.hero_text
    assert "195" not in home.hero_text


def test_every_page_is_published_served_and_labelled_sample(client):
    seed()
    for slug, url_path in PAGE_SLUGS.items():
        page = Page.objects.get(slug=slug).specific
        assert page.url_path == url_path
        assert page.live and not page.has_unpublished_changes, slug
        assert page.live_revision is not None and page.live_revision == page.latest_revision

        client.get(page.url)
        with max_queries(20):
            response = client.get(page.url)

        assert response.status_code == 200, slug
        text = BeautifulSoup(response.content, "html5lib").get_text(" ")
        assert "Sample content for demonstration." in text, slug
        assert page.title in text, slug


def test_toolkit_page_lists_the_seven_resources_and_five_principles():
    seed()
    toolkit = Page.objects.get(slug="toolkit").specific
    html = "".join(str(block.value) for block in toolkit.body if block.block_type == "rich_text")
    soup = BeautifulSoup(html, "html5lib")
    resources = [li.get_text() for ul in soup.find_all("ul") for li in ul.find_all("li")]
    principles = [li.find("b").get_text() for li in soup.find("ol").find_all("li")]
    assert len(resources) == 7
    assert "Risk Assessment Questionnaire" in resources
    assert principles == [
        "Lawfulness",
        "Minimization of harm",
        "Human autonomy",
        "Fairness",
        "Good governance",
    ]


def test_calls_to_action_link_to_the_form_pages():
    seed()
    get_involved = Page.objects.get(slug="get-involved").specific
    targets = {
        block.value["page"].specific.slug
        for block in get_involved.body
        if block.block_type == "call_to_action"
    }
    assert targets == {"secondment-interest", "request-assessment-support", "contact"}
    assert all(isinstance(Page.objects.get(slug=s).specific, FormPage) for s in targets)


def test_form_pages_have_fields_a_staff_address_and_thanks():
    seed()
    for slug in ("contact", "secondment-interest", "request-assessment-support"):
        page = FormPage.objects.get(slug=slug)
        assert page.to_address == "lab-staff@example.org"
        assert page.thank_you_text
        fields = list(page.form_fields.order_by("sort_order"))
        assert [f.field_type for f in fields[:2]] == ["singleline", "email"]
        assert all(f.clean_name for f in fields)
        for f in fields:
            if f.field_type in {"dropdown", "radio", "checkboxes"}:
                assert len(f.choices.splitlines()) >= 2, f.label
        form = page.get_form()
        assert set(form.fields) == {f.clean_name for f in fields}


def test_site_settings_are_sample_and_menu_points_at_the_pages():
    seed()
    site_settings = SiteSettings.objects.get(site=Site.objects.get(is_default_site=True))
    assert site_settings.organisation_name == "Responsible AI Lab (sample)"
    assert site_settings.contact_email.endswith("@example.org")
    assert site_settings.phone.startswith("+00")
    assert "sample" in site_settings.footer_text.lower()
    menu = [
        (item.label, item.page.slug) for item in site_settings.menu_items.order_by("sort_order")
    ]
    assert menu == [
        ("About", "about"),
        ("Toolkit", "toolkit"),
        ("Get involved", "get-involved"),
        ("Contact", "contact"),
        ("Events", "events"),  # added by the events app's seed_demo hook
    ]
    assert site_settings.footer_links.count() >= 2


def test_sample_agency_domains():
    seed()
    police = AgencyDomain.objects.get(domain="police.example")
    assert police.organisation == "Sample National Police"
    assert police.country == "FR"
    assert police.kind == Membership.Kind.LAW_ENFORCEMENT
    assert AgencyDomain.objects.filter(domain="justice.example", active=True).exists()


def test_running_twice_creates_nothing_new():
    first_output = seed()
    first = counts()
    first_snapshot = snapshot()

    second_output = seed()

    assert counts() == first
    assert snapshot() == first_snapshot
    assert "created" in first_output
    assert "\ncreated " not in "\n" + second_output
    assert re.search(r"^0 created, \d+ already present\.$", second_output, re.MULTILINE)
    assert first["home pages"] == 1
    assert first["users"] == len(DEMO_ACCOUNTS)
    # tree root, home page, the rest, and the events app's index and sample events
    assert first["pages"] == 1 + 1 + len(PAGE_SLUGS) + 1 + len(SAMPLE_EVENTS)
    assert first["domains"] == 2
    # no duplicate slugs under any parent, no duplicate addresses
    paths = list(Page.objects.values_list("url_path", flat=True))
    assert len(paths) == len(set(paths))
    emails = list(User.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))


def test_second_run_keeps_an_editors_changes():
    seed()
    site_settings = SiteSettings.objects.get()
    site_settings.organisation_name = "Renamed by an editor"
    site_settings.save()
    about = Page.objects.get(slug="about").specific
    about.title = "About us"
    about.save_revision().publish()

    seed()

    assert SiteSettings.objects.get().organisation_name == "Renamed by an editor"
    assert Page.objects.get(slug="about").title == "About us"


def test_reset_rebuilds_the_same_content():
    seed()
    first = counts()
    first_snapshot = snapshot()
    Page.objects.get(slug="about").specific.delete()
    User.objects.get(email="member@example.org").delete()
    SiteSettings.objects.update(organisation_name="Changed")
    extra = HomePage.objects.get().add_child(
        instance=Page(title="An editor's page", slug="editors-page")
    )

    output = seed("--reset")

    assert counts() == first
    assert snapshot() == first_snapshot
    assert not Page.objects.filter(pk=extra.pk).exists()
    assert SiteSettings.objects.get().organisation_name == "Responsible AI Lab (sample)"
    assert "removed" in output
    assert Site.objects.get(is_default_site=True).root_page.specific == HomePage.objects.get()


def test_reset_leaves_other_users_and_domains_alone():
    seed()
    other = User.objects.create_user(username="someone", email="someone@example.net")
    AgencyDomain.objects.create(domain="other.example", organisation="Other sample agency")

    seed("--reset")

    assert User.objects.filter(pk=other.pk).exists()
    assert AgencyDomain.objects.filter(domain="other.example").exists()


def test_same_seed_gives_the_same_content_and_another_seed_varies_it():
    seed("--seed", "1")
    one = snapshot()
    seed("--reset", "--seed", "1")
    assert snapshot() == one

    seed("--reset", "--seed", "2")
    two = snapshot()
    pages_one, fields_one, members_one, domains_one = one
    pages_two, fields_two, members_two, domains_two = two
    assert (pages_two, fields_two, domains_two) == (pages_one, fields_one, domains_one)
    assert members_two != members_one
    countries = {row[4] for row in members_two if row[4]}
    assert countries <= {"SG", "FR", "AR", "KE"}


def test_each_demo_account_logs_in_with_the_printed_password():
    seed()
    for account in DEMO_ACCOUNTS:
        client = Client()
        response = client.post(
            reverse("account_login"), {"login": account.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, account.email
        user = User.objects.get(email=account.email)
        assert client.session["_auth_user_id"] == str(user.pk), account.email


def test_each_demo_account_has_its_roles_and_a_verified_address():
    seed()
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account.email)
        # Held: staff roles come into force once the person passes two-step verification.
        assert access.held_roles(user) == EXPECTED_ROLES[account.email], account.email
        address = EmailAddress.objects.get(user=user)
        assert address.verified and address.primary and address.email == account.email
    for account in DEMO_ACCOUNTS[2:]:
        organisation = Membership.objects.get(user__email=account.email).organisation
        assert "Sample" in organisation or "(sample)" in organisation


def test_groups_come_from_the_membership_service():
    seed()
    for user in User.objects.all():
        membership = Membership.objects.filter(user=user).first()
        wanted = desired_groups(membership) if membership else set()
        names = set(user.groups.values_list("name", flat=True))
        assert names == wanted, user.email
    assert Group.objects.filter(name=access.GROUP_EDITORS).exists()


def test_the_applicant_waits_in_the_vetting_queue():
    seed()
    applicant = Membership.objects.get(user__email="applicant@example.org")
    assert applicant.status == Membership.Status.PENDING
    assert applicant.applied_at is not None
    assert applicant.organisation == "Sample National Police"
    assert not Membership.objects.filter(user__email="pending@example.org").exclude(applied_at=None)
    verified = Membership.objects.get(user__email="member@example.org")
    assert verified.is_verified
    assert verified.verified_by.email == "admin@example.org"


def test_prints_the_accounts_table_and_the_mfa_note():
    output = seed()
    lines = output.splitlines()
    for account in DEMO_ACCOUNTS:
        row = next(line for line in lines if line.startswith(account.email + " "))
        assert DEMO_PASSWORD in row
    assert "TOTP" in output


def test_refuses_under_production_settings_and_writes_nothing(settings):
    settings.SETTINGS_MODULE = "community.settings.production"
    before = counts()
    emails_before = OutboundEmail.objects.count()

    with pytest.raises(CommandError, match="production"):
        seed()

    assert counts() == before
    assert OutboundEmail.objects.count() == emails_before
    assert HomePage.objects.get().latest_revision_id is None


def test_refuses_to_replace_a_page_that_is_not_the_welcome_page():
    welcome = wagtail_welcome_page(title="Someone's real home page")
    welcome.save_revision().publish()
    before = counts()

    with pytest.raises(CommandError, match="slug"):
        seed()

    assert counts() == before
    assert Page.objects.filter(pk=welcome.pk).exists()


def test_the_copy_ships_with_the_code_and_is_found_from_any_directory(monkeypatch, tmp_path):
    files = sorted(p.relative_to(BASE_DIR).as_posix() for p in BASE_DIR.glob("*/demo/content/*"))
    assert files == [
        "events/demo/content/events.json",
        "home/demo/content/accounts.json",
        "home/demo/content/pages.json",
        "home/demo/content/site.json",
    ]
    # The Dockerfile copies the whole build context; nothing in .dockerignore may drop the copy.
    patterns = [
        line.strip()
        for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    for name in files:
        parts = name.split("/")
        for path in ("/".join(parts[:i]) for i in range(1, len(parts) + 1)):
            assert not [p for p in patterns if fnmatch(path, p)], path

    monkeypatch.chdir(tmp_path)
    seed()
    assert FormPage.objects.get(slug="request-assessment-support").form_fields.count() == 7
