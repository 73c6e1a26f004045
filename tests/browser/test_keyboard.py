"""Keyboard-only use of the main pages: skip link, tab order, visible focus, registering."""

import re

import pytest
from playwright.sync_api import expect

from community.models import Membership
from events.models import Registration
from tests.browser.test_accessibility import build_site
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
MAX_TABS = 80

# What the focused element is, and whether its focus indicator can be seen: a non-zero outline
# or a box shadow (the two ways the site's styles draw focus). Measured two frames after the
# key press: the reduced-motion styles keep a 0.01 ms transition, which settles on a frame.
DESCRIBE_FOCUS = """async () => {
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const style = getComputedStyle(e);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none" && style.boxShadow !== "";
    const box = e.getBoundingClientRect();
    return {
        tag: e.tagName.toLowerCase(),
        id: e.id,
        name: e.getAttribute("name") || "",
        href: e.getAttribute("href") || "",
        text: (e.innerText || e.value || "").trim().slice(0, 60),
        label: e.labels && e.labels.length ? e.labels[0].innerText.trim() : "",
        cls: e.className || "",
        visible: outline || shadow,
        style: `outline: ${style.outlineStyle} ${style.outlineWidth}; `
            + `box-shadow: ${style.boxShadow}`,
        onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
            && box.top < innerHeight && box.left < innerWidth,
    };
}"""


def _key(item):
    return f"{item['tag']}#{item['id']}[{item['name'] or item['href']}] {item['text']!r}"


def tab_through(page, path):
    """Load ``path`` and press Tab until focus leaves the document or comes back to the start;
    return what was focused, in order, checking each one has a visible focus indicator."""
    page.goto(path)
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        item = page.evaluate(DESCRIBE_FOCUS)
        if item is None or (seen and item == seen[0]):
            break
        seen.append(item)
    invisible = [f"{_key(item)} ({item['style']})" for item in seen if not item["visible"]]
    assert not invisible, f"focused without a visible indicator on {page.url}: {invisible}"
    off_screen = [_key(item) for item in seen if not item["onScreen"]]
    assert not off_screen, f"focused but off screen on {page.url}: {off_screen}"
    return seen


def tab_to(page, predicate, what):
    """Press Tab until the focused element is the one wanted; the keyboard is all we use."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        item = page.evaluate(DESCRIBE_FOCUS)
        if item is not None and predicate(item):
            return item
    raise AssertionError(f"{what} is never reached with Tab on {page.url}")


def index_of(seen, predicate, what):
    for position, item in enumerate(seen):
        if predicate(item):
            return position
    raise AssertionError(f"{what} is never reached with Tab; order: {[_key(i) for i in seen]}")


def assert_skip_link_works(page, path):
    page.goto(path)
    page.keyboard.press("Tab")
    focused = page.evaluate(DESCRIBE_FOCUS)
    assert "skip-link" in focused["cls"], f"the first Tab focused {_key(focused)}"
    assert focused["href"] == "#main"
    assert focused["visible"] and focused["onScreen"]
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    after = page.evaluate("() => !!document.activeElement.closest('main')")
    assert after, f"after the skip link, Tab went to {_key(page.evaluate(DESCRIBE_FOCUS))}"


def assert_header_order(seen, menu_labels):
    skip = index_of(seen, lambda i: "skip-link" in i["cls"], "the skip link")
    assert skip == 0
    menu = [
        index_of(seen, lambda i, label=label: i["tag"] == "a" and i["text"] == label, label)
        for label in menu_labels
    ]
    assert menu == sorted(menu), f"menu links out of order: {menu}"
    language = index_of(seen, lambda i: i["id"] == "language-select", "the language switcher")
    assert seen[language + 1]["tag"] == "button", "the language switcher's button follows it"
    assert menu[-1] < language
    return language


@pytest.fixture
def site(transactional_db):
    return build_site()


@pytest.fixture
def keyboard_page(new_page):
    # Reduced motion turns off smooth scrolling, so a focused element is already scrolled
    # into view when the test measures where it is.
    return lambda: new_page(reduced_motion="reduce")


MENU = ["Events", "Sample about", "Sample contact"]


def test_public_pages_by_keyboard(keyboard_page, site):
    page = keyboard_page()

    # Home: skip link first, then menu, account links, language switcher, then content.
    assert_skip_link_works(page, "/")
    seen = tab_through(page, "/")
    assert_header_order(seen, MENU)

    # Events index: the filters come after the header, in their visual order.
    assert_skip_link_works(page, site["index"].url)
    seen = tab_through(page, site["index"].url)
    language = assert_header_order(seen, MENU)
    kind = index_of(seen, lambda i: i["id"] == "filter-kind", "the kind filter")
    fmt = index_of(seen, lambda i: i["id"] == "filter-format", "the format filter")
    apply = index_of(
        seen, lambda i: i["tag"] == "button" and i["text"] == "Apply filters", "Apply filters"
    )
    event_link = index_of(
        seen, lambda i: i["href"] == site["event"].url, "the event's link in the listing"
    )
    assert language < kind < fmt < apply < event_link

    # The filters work from the keyboard: choose a format, Tab to the button, Enter.
    page.goto(site["index"].url)
    tab_to(page, lambda i: i["id"] == "filter-format", "the format filter")
    page.keyboard.press("End")  # the last option: hybrid
    assert page.locator("#filter-format").input_value() == "hybrid"
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Apply filters", "Apply")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"format=hybrid"))
    expect(page.locator(f'a[href="{site["event"].url}"]')).to_have_count(0)

    # Event page (anonymous): the way to register is reachable after the header.
    assert_skip_link_works(page, site["event"].url)
    seen = tab_through(page, site["event"].url)
    language = assert_header_order(seen, MENU)
    sign_in_to_register = index_of(
        seen, lambda i: i["text"] == "Sign in to register", "the sign-in-to-register link"
    )
    assert language < sign_in_to_register

    # Login page: the fields and the submit button, in that order.
    assert_skip_link_works(page, "/accounts/login/")
    seen = tab_through(page, "/accounts/login/")
    language = assert_header_order(seen, MENU)
    login = index_of(seen, lambda i: i["name"] == "login", "the email field")
    password = index_of(seen, lambda i: i["name"] == "password", "the password field")
    submit = index_of(
        seen,
        lambda i: i["tag"] == "button" and re.search("sign in", i["text"], re.I),
        "the sign-in button",
    )
    assert language < login < password < submit


def test_member_signs_in_and_registers_with_the_keyboard_only(keyboard_page, site):
    member = make_member(kind=Membership.Kind.LAW_ENFORCEMENT, email="keys.member@example.net")
    page = keyboard_page()

    # Signing in by keyboard: Tab to each field, type, Enter submits.
    page.goto("/accounts/login/")
    tab_to(page, lambda i: i["name"] == "login", "the email field")
    page.keyboard.type(member.email)
    tab_to(page, lambda i: i["name"] == "password", "the password field")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/me/$"))  # sign-in lands on "Your account"

    assert_skip_link_works(page, site["event"].url)
    seen = tab_through(page, site["event"].url)
    language = assert_header_order(seen, MENU)
    question = index_of(seen, lambda i: i["label"].startswith("Sample question"), "the question")
    register = index_of(
        seen, lambda i: i["tag"] == "button" and i["text"] == "Register", "the Register button"
    )
    assert language < question < register

    # From the top of the page: Tab to the question, answer it, Tab on to Register, Enter.
    page.goto(site["event"].url)
    tab_to(page, lambda i: i["label"].startswith("Sample question"), "the question")
    page.keyboard.type("Sample answer typed from the keyboard")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "Register", "Register")
    page.keyboard.press("Enter")

    page.wait_for_load_state()
    panel = page.locator("[data-registration-status]")
    expect(panel).to_have_attribute("data-registration-status", "confirmed")
    expect(page.locator(".message--success")).to_contain_text("You are registered")
    expect(panel).to_contain_text("Your seat is confirmed.")
    registration = Registration.objects.get(event=site["event"], user=member)
    assert registration.status == "confirmed"
