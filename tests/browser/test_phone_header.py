"""The header on a phone (390 px) and on a laptop (1366 px), in English and in Arabic: a compact
header whose menu is a <details> disclosure (no JavaScript needed), the language choice inside
it, and a "Register" link beside the event's title that jumps to the registration panel."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.models import Membership
from tests.browser.test_accessibility import build_site
from tests.factories import make_member
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
MAX_PHONE_HEADER = 120
MENU = ["Events", "Sample about", "Sample contact"]
# Screenshots for a person to look at; set SCREENSHOT_DIR to keep them somewhere.
_SHOTS = os.environ.get("SCREENSHOT_DIR", "")
SCREENSHOTS = Path(_SHOTS) if _SHOTS else None


@pytest.fixture
def site(transactional_db):
    return build_site()


@pytest.fixture
def open_page(new_context, live_server):
    def make(language, viewport, **options):
        context = new_context(viewport=viewport, reduced_motion="reduce", **options)
        host = re.sub(r"^https?://|:\d+$", "", live_server.url)
        context.add_cookies(
            [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
        )
        return context.new_page()

    return make


def shoot(page, name):
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_no_sideways_scroll(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px on {page.url}"


def focused(page):
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), cls: e.className || "",
                    text: (e.innerText || "").trim()};
        }"""
    )


@pytest.mark.parametrize("language", ["en", "ar"])
def test_phone_header_is_compact_and_its_menu_opens_by_click_and_keyboard(
    open_page, site, language
):
    page = open_page(language, PHONE)
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")

    header = page.locator("header.site-header")
    height = header.bounding_box()["height"]
    assert height <= MAX_PHONE_HEADER, f"the header takes {height} px of 844"
    menu = page.locator("details.site-menu")
    toggle = menu.locator("summary")
    expect(toggle).to_be_visible()
    expect(menu).not_to_have_attribute("open", re.compile(".*"))
    first_link = page.locator(".main-nav a").first
    expect(first_link).to_be_hidden()
    # The language choice lives in the menu, not on the header's row.
    expect(menu.locator("#language-select")).to_have_count(1)
    expect(page.locator("#language-select")).to_be_hidden()
    assert_no_sideways_scroll(page)

    # The brand and the menu button share one row; in Arabic the brand is on the right.
    brand = page.locator(".site-brand__link").bounding_box()
    button = toggle.bounding_box()
    assert abs((brand["y"] + brand["height"] / 2) - (button["y"] + button["height"] / 2)) < 12
    if language == "ar":
        assert brand["x"] > button["x"], "in Arabic the brand starts on the right"
    else:
        assert brand["x"] < button["x"]
    shoot(page, f"phone-{language}-closed")

    # A click opens it: every menu link, the account links and the language switcher show.
    toggle.click()
    expect(menu).to_have_attribute("open", "")
    for label in MENU:
        expect(page.locator(".main-nav").get_by_role("link", name=label)).to_be_visible()
    expect(page.locator(".account-nav a").first).to_be_visible()
    expect(page.locator("#language-select")).to_be_visible()
    expect(menu.locator(".language-switcher button[type=submit]")).to_be_visible()
    # The open menu pushes the page down instead of covering it.
    panel_box = page.locator(".site-menu__panel").bounding_box()
    main_box = page.locator("main").bounding_box()
    assert main_box["y"] >= panel_box["y"] + panel_box["height"] - 1
    # The button stays where it was, beside the brand.
    assert abs(toggle.bounding_box()["y"] - button["y"]) < 2
    assert_no_sideways_scroll(page)
    shoot(page, f"phone-{language}-open")
    toggle.click()
    expect(page.locator("#language-select")).to_be_hidden()

    # By keyboard: skip link, brand, then the menu button; Enter opens, Space closes.
    page.goto("/")
    for _ in range(3):
        page.keyboard.press("Tab")
    assert focused(page)["tag"] == "summary", focused(page)
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; }"
    )
    assert outline, "the focused menu button shows no focus indicator"
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Events", "Tab goes from the button into the menu"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    expect(menu).not_to_have_attribute("open", re.compile(".*"))
    expect(first_link).to_be_hidden()
    page.keyboard.press("Space")
    expect(first_link).to_be_visible()


def test_phone_menu_works_without_javascript(open_page, site):
    page = open_page("en", PHONE, java_script_enabled=False)
    page.goto(site["index"].url)
    menu = page.locator("details.site-menu")
    expect(page.locator(".main-nav a").first).to_be_hidden()
    menu.locator("summary").click()
    expect(page.locator(".main-nav").get_by_role("link", name="Sample about")).to_be_visible()
    # Switching language from inside the menu, still without a script.
    page.locator("#language-select").select_option("fr")
    page.locator(".language-switcher button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith(site["index"].url)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_laptop_header_is_a_horizontal_navigation(open_page, site, language):
    page = open_page(language, LAPTOP)
    page.goto("/")
    expect(page.locator("details.site-menu summary")).to_be_hidden()
    links = [page.locator(".main-nav").get_by_role("link", name=label) for label in MENU]
    for link in links:
        expect(link).to_be_visible()
    expect(page.locator("#language-select")).to_be_visible()
    tops = {round(link.bounding_box()["y"]) for link in links}
    assert len(tops) == 1, f"the menu links are not on one line: {tops}"
    xs = [link.bounding_box()["x"] for link in links]
    # Left to right in English, right to left in Arabic.
    assert xs == (sorted(xs, reverse=True) if language == "ar" else sorted(xs)), xs
    height = page.locator("header.site-header").bounding_box()["height"]
    assert height <= MAX_PHONE_HEADER, f"the laptop header takes {height} px"
    assert_no_sideways_scroll(page)
    shoot(page, f"laptop-{language}")


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_register_link_beside_the_title_jumps_to_the_panel(open_page, site, language, viewport):
    member = make_member(
        kind=Membership.Kind.LAW_ENFORCEMENT, email=f"phone.{language}@example.net"
    )
    page = open_page(language, viewport)
    sign_in(page, member.email, PASSWORD)
    page.wait_for_url(re.compile(r"/me/$"))
    page.goto(site["event"].url)
    if viewport is PHONE:
        # Signed in, with all the account links, the closed header is as compact as before.
        height = page.locator("header.site-header").bounding_box()["height"]
        assert height <= MAX_PHONE_HEADER, f"the header takes {height} px of 844"
    link = page.locator("a[data-register-link]")
    expect(link).to_be_visible()
    # Near the title: in the page header, on the first screen.
    title = page.locator("main h1").bounding_box()
    box = link.bounding_box()
    assert box["y"] > title["y"] and box["y"] + box["height"] < viewport["height"]
    form = page.locator("form.registration-form")
    panel = page.locator("#registration")
    if viewport is PHONE:
        assert panel.bounding_box()["y"] > viewport["height"], "the panel starts off screen"
    shoot(page, f"event-top-{language}-{viewport['width']}")
    link.click()
    page.wait_for_url(re.compile(r"#registration$"))
    top = panel.bounding_box()["y"]
    assert -1 <= top < viewport["height"] / 2, f"the panel is at {top} px after the jump"
    expect(form).to_be_in_viewport()
    assert_no_sideways_scroll(page)
    shoot(page, f"register-{language}-{viewport['width']}")


def test_register_link_is_absent_when_the_viewer_may_not_register(open_page, site):
    pending = make_member(
        kind=Membership.Kind.LAW_ENFORCEMENT,
        email="phone.pending@example.net",
        status=Membership.Status.PENDING,
    )
    page = open_page("en", PHONE)
    sign_in(page, pending.email, PASSWORD)
    page.wait_for_url(re.compile(r"/me/$"))
    page.goto(site["event"].url)
    expect(page.locator("#registration")).to_be_attached()
    expect(page.locator("a[data-register-link]")).to_have_count(0)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_listing_states_and_withheld_count_fit_a_phone(open_page, site, language):
    """The listing's new lines (the viewer's state, the count of events a membership would
    show) fit a phone, read in both directions and pass axe with no serious violations."""
    import datetime as dt

    from django.utils import timezone

    from events.models import Registration
    from tests.browser.test_accessibility import AXE, BLOCKING
    from tests.factories import EventPageFactory

    day = (timezone.now() + dt.timedelta(days=25)).date()
    for n, audience in enumerate(["members", "law_enforcement"]):
        EventPageFactory(
            parent=site["index"],
            title=f"Sample hidden {n}",
            slug=f"sample-hidden-{n}",
            kind="meeting",
            summary="Sample restricted event.",
            start_date=day,
            end_time=dt.time(10, 0),
            online_join_url="",
            audience=audience,
            registration_audience=audience,
        )
    member = make_member(kind=Membership.Kind.OTHER, email=f"listing.{language}@example.net")
    Registration.objects.create(event=site["event"], user=member, status="confirmed")

    page = open_page(language, PHONE, bypass_csp=True)
    page.goto(site["index"].url)
    notice = page.locator("[data-withheld-count]")
    expect(notice).to_have_attribute("data-withheld-count", "2")
    expect(notice.get_by_role("link")).to_have_count(2)
    assert "Sample hidden" not in page.content()
    assert_no_sideways_scroll(page)
    shoot(page, f"listing-anon-{language}")

    sign_in(page, member.email, PASSWORD)
    page.wait_for_url(re.compile(r"/me/$"))
    page.goto(site["index"].url)
    expect(page.locator("[data-viewer-state=confirmed]")).to_be_visible()
    expect(page.locator("[data-withheld-count]")).to_have_attribute("data-withheld-count", "1")
    assert_no_sideways_scroll(page)
    shoot(page, f"listing-member-{language}")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))"""
    )
    assert [v for v in violations if v["impact"] in BLOCKING] == []
