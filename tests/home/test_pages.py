"""Site pages render our accessible layout for every visitor, in a fixed number of queries."""

from django.conf import settings

import pytest

from home.models import MenuItem, StandardPage
from tests.helpers import (
    assert_headings_in_order,
    assert_site_page,
    get_warm,
    parse,
    unlabelled_controls,
)
from tests.queries import assert_queries_constant, max_queries

pytestmark = pytest.mark.django_db


def test_home_page_renders_hero_and_introduction(client, home_page):
    response = get_warm(client, "/", 10)
    soup = assert_site_page(parse(response))
    assert soup.find("h1").get_text(strip=True) == "Sample: responsible AI for policing"
    assert "Sample introduction." in soup.find("main").get_text()
    assert_headings_in_order(soup)


def test_home_page_without_sections_renders_no_section_markup(client, home_page):
    soup = parse(get_warm(client, "/", 10))
    assert soup.find(class_="home-sections") is None


def test_home_page_renders_sections_from_hooks(client, home_page):
    from wagtail import hooks

    def section(request):
        return {
            "title": "Sample upcoming events",
            "template": "includes/section_list.html",
            "items": [{"title": "Sample workshop", "url": "/events/sample/"}],
            "more_url": "/events/",
        }

    with hooks.register_temporarily("home_page_sections", section):
        response = get_warm(client, "/", 10)
    soup = assert_site_page(parse(response))
    block = soup.find("section", class_="home-section")
    assert block.find("h2").get_text(strip=True) == "Sample upcoming events"
    assert block.find("a", href="/events/sample/").get_text(strip=True) == "Sample workshop"
    assert block.find("a", href="/events/") is not None
    assert_headings_in_order(soup)


def test_standard_page_renders_its_stream(client, standard_page):
    response = get_warm(client, standard_page.url, 10)
    soup = assert_site_page(parse(response))
    main = soup.find("main")
    assert main.find("h1").get_text(strip=True) == "Sample about"
    assert main.find("h2", class_="block-heading").get_text(strip=True) == "Sample heading"
    assert main.find("blockquote").get_text(strip=True) == "Sample quote."
    assert "Sample source" in main.find("figure", class_="block-quote").get_text()
    assert_headings_in_order(soup)


def test_menu_and_footer_come_from_site_settings(client, site_settings, standard_page):
    soup = assert_site_page(parse(get_warm(client, standard_page.url, 10)))
    menu = soup.find("nav", attrs={"aria-label": "Main"})
    links = {a.get_text(strip=True): a for a in menu.find_all("a")}
    assert links["Sample about"]["href"] == standard_page.url
    assert links["Sample about"].get("aria-current") == "page"
    assert links["Sample elsewhere"]["href"] == "/elsewhere/"
    assert links["Sample elsewhere"].get("aria-current") is None
    footer = soup.find("footer")
    assert footer.find("a", href="/privacy/").get_text(strip=True) == "Sample privacy"
    assert "1 Sample Street" in footer.find("address").get_text()
    assert footer.find("a", href="mailto:contact@example.org") is not None
    assert "Sample Lab" in soup.find("header").get_text()


def test_menu_leaves_out_unpublished_pages(client, site_settings, standard_page):
    standard_page.unpublish()
    soup = parse(get_warm(client, "/", 10))
    menu = soup.find("nav", attrs={"aria-label": "Main"})
    assert "Sample about" not in menu.get_text()
    assert "Sample elsewhere" in menu.get_text()


def test_menu_query_count_does_not_grow_with_items(client, site_settings, home_page):
    def fetch():
        assert client.get("/").status_code == 200

    def grow(factor):
        for n in range(factor):
            page = home_page.add_child(
                instance=StandardPage(title=f"Sample page {n}", slug=f"sample-page-{n}")
            )
            MenuItem.objects.create(settings=site_settings, label=f"Sample {n}", page=page)

    assert_queries_constant(fetch, grow)
    menu = parse(client.get("/")).find("nav", attrs={"aria-label": "Main"})
    assert len(menu.find_all("a")) == 12


def test_site_name_falls_back_when_settings_name_is_empty(client, site_settings):
    site_settings.organisation_name = ""
    site_settings.save()
    soup = parse(get_warm(client, "/", 10))
    assert settings.WAGTAIL_SITE_NAME in soup.find(class_="site-brand").get_text()


def test_arabic_switches_the_page_to_right_to_left(client, home_page):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    assert_site_page(parse(get_warm(client, "/", 10)), lang="ar", direction="rtl")


def test_french_stays_left_to_right(client, home_page):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert_site_page(parse(get_warm(client, "/", 10)), lang="fr", direction="ltr")


def test_language_switcher_posts_to_set_language_with_csrf(client, home_page):
    soup = parse(get_warm(client, "/", 10))
    form = soup.find("form", class_="language-switcher")
    assert form["method"] == "post"
    assert form["action"] == "/i18n/setlang/"
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    options = {o["value"]: o.get_text(strip=True) for o in form.find_all("option")}
    assert options == {"en": "English", "fr": "français", "es": "español", "ar": "العربيّة"}


def test_anonymous_header_offers_sign_in_and_join(client, home_page):
    nav = parse(get_warm(client, "/", 10)).find("nav", attrs={"aria-label": "Account"})
    hrefs = {a["href"] for a in nav.find_all("a")}
    assert hrefs == {"/accounts/login/", "/accounts/signup/"}


def test_member_header_offers_account_links_and_post_sign_out(client_for, member, home_page):
    client = client_for(member)
    nav = parse(get_warm(client, "/", 16)).find("nav", attrs={"aria-label": "Account"})
    hrefs = {a["href"] for a in nav.find_all("a")}
    # The rest (membership, preferences, two-step verification, sessions) is on "Your account".
    assert hrefs == {"/me/", "/me/events/"}
    sign_out = nav.find("form")
    assert sign_out["method"] == "post" and sign_out["action"] == "/accounts/logout/"


def test_admin_link_only_for_staff(client_for, editor, member, home_page):
    # One query more than a member's: whether the account still has its authenticator.
    staff_nav = parse(get_warm(client_for(editor, mfa=True), "/", 17)).find(
        "nav", attrs={"aria-label": "Account"}
    )
    assert staff_nav.find("a", href="/admin/") is not None
    member_nav = parse(get_warm(client_for(member), "/", 16)).find(
        "nav", attrs={"aria-label": "Account"}
    )
    assert member_nav.find("a", href="/admin/") is None


def test_not_found_page_uses_the_layout(client, home_page):
    response = get_warm(client, "/no-such-page/", 10, status=404)
    soup = parse_any(response)
    assert_site_page(soup)
    assert soup.find("h1").get_text(strip=True) == "Page not found"


def test_server_error_page_needs_no_database_or_context():
    from django.template.loader import render_to_string

    with max_queries(0):
        html = render_to_string("500.html")
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html5lib")
    assert soup.find("main", id="main") is not None
    assert len(soup.find_all("h1")) == 1
    assert soup.find("a", class_="skip-link")["href"] == "#main"


def parse_any(response):
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.content.decode(), "html5lib")


def test_helpers_catch_an_unlabelled_control():
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(
        '<form><label for="a">A</label><input id="a"><input id="b" name="b"></form>', "html5lib"
    )
    assert unlabelled_controls(soup) == ['<input id="b" name="b"/>']
