"""axe-core scans of the main pages, in English and in Arabic (right to left).

axe-core comes from npm (package.json, installed into node_modules by `npm ci`); the test
injects the local file, so nothing is fetched from the internet at run time.
"""

import datetime as dt
import os
import re
from pathlib import Path

from django.utils import timezone

from wagtail.models import Site

import pytest

from community.models import Membership
from home.models import (
    FooterLink,
    FormField,
    FormPage,
    MenuItem,
    SiteSettings,
    StandardPage,
)
from tests.factories import EventPageFactory, make_member
from tests.helpers import published_event_index, sign_in, site_home

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def build_site():
    """A small site with every kind of page the scans and keyboard tests visit."""
    home = site_home(
        slug="a11y-home",
        hero_title="Sample: responsible AI for policing",
        hero_text="Sample hero text.",
        introduction="<p>Sample introduction to the lab.</p>",
    )
    site = Site.objects.get(is_default_site=True)
    index = published_event_index(home, introduction="Sample events.")
    day = (timezone.now() + dt.timedelta(days=20)).date()
    event = EventPageFactory(
        parent=index,
        title="Sample workshop on bias testing",
        slug="sample-bias-workshop",
        summary="Sample workshop for the accessibility tests.",
        body=[
            ("heading", "Sample programme"),
            ("rich_text", "<p>Sample paragraph with a <a href='/'>link</a>.</p>"),
        ],
        start_date=day,
        start_time=dt.time(10, 0),
        end_time=dt.time(12, 0),
        online=True,
        online_join_url="https://meet.example.org/sample-a11y-room",
        capacity=20,
        agenda=[
            (
                "item",
                {
                    "starts": dt.time(10, 0),
                    "ends": dt.time(11, 0),
                    "title": "Sample opening",
                    "description": "Sample description.",
                    "speaker": "Sample Speaker",
                },
            )
        ],
        speakers=[
            (
                "speaker",
                {"name": "Sample Speaker", "affiliation": "Sample Agency", "role": "Host"},
            )
        ],
        questions=[
            (
                "text",
                {"label": "Sample question", "help_text": "Sample help.", "required": True},
            ),
            (
                "choice",
                {
                    "label": "Sample choice",
                    "help_text": "",
                    "required": False,
                    "choices": ["Sample one", "Sample two"],
                },
            ),
            ("yes_no", {"label": "Sample yes or no", "help_text": "", "required": False}),
        ],
    )
    about = home.add_child(
        instance=StandardPage(
            title="Sample about",
            slug="about",
            introduction="Sample introduction.",
            body=[
                ("heading", "Sample heading"),
                ("rich_text", "<p>Sample paragraph.</p>"),
                ("quote", {"quote": "Sample quote.", "attribution": "Sample source"}),
            ],
        )
    )
    form = home.add_child(
        instance=FormPage(
            title="Sample contact",
            slug="contact",
            to_address="staff@example.org",
            from_address="no-reply@example.org",
            subject="Sample contact message",
            thank_you_text="<p>Sample thanks.</p>",
        )
    )
    FormField.objects.create(page=form, label="Your name", field_type="singleline", required=True)
    FormField.objects.create(page=form, label="Your email", field_type="email", required=True)
    FormField.objects.create(page=form, label="Topic", field_type="dropdown", choices="A\nB")
    FormField.objects.create(page=form, label="Message", field_type="multiline", required=True)

    settings = SiteSettings.for_site(site)
    settings.organisation_name = "Sample Lab"
    settings.tagline = "Sample tagline"
    settings.address = "1 Sample Street\nSample City"
    settings.contact_email = "contact@example.org"
    settings.save()
    MenuItem.objects.create(settings=settings, label="Events", page=index, sort_order=0)
    MenuItem.objects.create(settings=settings, label="Sample about", page=about, sort_order=1)
    MenuItem.objects.create(settings=settings, label="Sample contact", page=form, sort_order=2)
    FooterLink.objects.create(settings=settings, label="Sample privacy", url="/privacy/")
    return {"home": home, "index": index, "event": event, "about": about, "form": form}


def _axe_path():
    if AXE.exists():
        return AXE
    reason = "axe-core is not installed: run `npm ci` (package.json) to get node_modules/axe-core"
    if os.environ.get("BROWSER_TESTS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def site(transactional_db):
    return build_site()


@pytest.fixture
def scanner(browser, live_server):
    axe = _axe_path()
    contexts = []

    def open_page(language):
        # Injected scripts are inline, which the site's nonce-based CSP rightly blocks; the
        # test context bypasses the policy so only axe itself runs unsigned.
        context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
        context.set_default_timeout(15_000)
        host = re.sub(r"^https?://|:\d+$", "", live_server.url)
        context.add_cookies(
            [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
        )
        contexts.append(context)
        return context.new_page()

    def scan(page, path=None):
        """Scan ``path``, or the page as it stands when no path is given."""
        if path is not None:
            response = page.goto(path)
            assert response.ok, f"{path} answered {response.status}"
        page.add_script_tag(path=str(axe))
        result = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => ({
                        target: n.target.join(" "), html: n.html.slice(0, 200),
                        summary: n.failureSummary,
                    })),
                }));
            }"""
        )
        return [violation for violation in result if violation["impact"] in BLOCKING]

    yield open_page, scan
    for context in contexts:
        context.close()


def _report(found):
    lines = []
    for path, violations in found.items():
        for violation in violations:
            lines.append(f"{path}: [{violation['impact']}] {violation['id']} — {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    {node['target']}: {node['html']}\n      {node['summary']}")
    return "\n".join(lines)


def _scan_all(page, scan, paths, language):
    found = {}
    for path in paths:
        violations = scan(page, path)
        # Each page really is in the language asked for (the cookie took effect).
        assert page.locator("html").get_attribute("lang") == language, path
        expected_dir = "rtl" if language == "ar" else "ltr"
        assert page.locator("html").get_attribute("dir") == expected_dir, path
        if violations:
            found[path] = violations
    return found


@pytest.mark.parametrize("language", ["en", "ar"])
def test_public_pages_have_no_serious_violations(scanner, site, language):
    open_page, scan = scanner
    page = open_page(language)
    paths = [
        "/",
        site["index"].url,
        f"{site['index'].url}?when=past",
        site["event"].url,
        site["about"].url,
        site["form"].url,
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
    ]
    found = _scan_all(page, scan, paths, language)
    assert not found, f"axe found serious or critical problems:\n{_report(found)}"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_member_pages_have_no_serious_violations(scanner, site, language):
    member = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, email="a11y.member@example.net")
    open_page, scan = scanner
    page = open_page(language)
    sign_in(page, member.email, PASSWORD)
    page.wait_for_url(re.compile(r"/me/$"))  # sign-in lands on "Your account"
    paths = [
        "/me/",
        site["event"].url,  # with the registration form and its questions
        site["index"].url,  # with the audience filter members get
        "/me/events/",
        "/membership/",
        "/me/preferences/",
        "/me/calendar/",
    ]
    found = _scan_all(page, scan, paths, language)

    # The form's error state: the required question left empty.
    page.goto(site["event"].url)
    form = page.locator("form.registration-form")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid=true], .form-errors, .errorlist").count() > 0
    if violations := scan(page):
        found["event page, registration errors"] = violations

    # Registered: status badge, confirmation message, join link, cancel button.
    page.goto(site["event"].url)
    page.get_by_label("Sample question").fill("Sample answer")
    page.locator("form.registration-form button[type=submit]").click()
    page.wait_for_load_state()
    status = page.locator("[data-registration-status]").get_attribute("data-registration-status")
    assert status == "confirmed"
    if violations := scan(page):
        found["event page, registered"] = violations
    if violations := scan(page, "/me/events/"):
        found["/me/events/, registered"] = violations
    assert not found, f"axe found serious or critical problems:\n{_report(found)}"


def test_the_scan_can_fail(scanner, site):
    """A control: a page with a known problem (an image without text alternative, a field
    without a label) is reported, so a clean result above means something."""
    open_page, scan = scanner
    page = open_page("en")
    page.goto("/")
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend",
                '<img src="/static/missing.png"><input type="text" name="unlabelled">');
        }"""
    )
    page.add_script_tag(path=str(AXE))
    ids = page.evaluate(
        """async () => (await axe.run(document)).violations
            .filter(v => ["serious", "critical"].includes(v.impact)).map(v => v.id)"""
    )
    assert "image-alt" in ids
    assert "label" in ids
