"""HTML checks shared by the page tests, done on a real parser's tree."""

from bs4 import BeautifulSoup

NON_LABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def parse(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html5lib")


def unlabelled_controls(soup):
    """Form controls a screen reader would announce without a name."""
    missing = []
    for control in soup.find_all(["input", "select", "textarea"]):
        if control.name == "input" and control.get("type", "text") in NON_LABELLED_TYPES:
            continue
        if control.get("aria-label") or control.get("aria-labelledby"):
            continue
        control_id = control.get("id")
        if control_id and soup.find("label", attrs={"for": control_id}):
            continue
        if control.find_parent("label"):
            continue
        missing.append(str(control)[:120])
    return missing


def assert_site_page(soup, *, lang="en", direction="ltr"):
    """Our layout: landmarks, skip link, one h1, labelled controls, language and direction."""
    html = soup.find("html")
    assert html["lang"] == lang
    assert html["dir"] == direction
    mains = soup.find_all("main")
    assert len(mains) == 1
    assert mains[0].get("id") == "main"
    skip = soup.find("a", class_="skip-link")
    assert skip is not None and skip["href"] == "#main"
    assert soup.find("header", class_="site-header") is not None
    assert soup.find("footer", class_="site-footer") is not None
    assert len(soup.find_all("h1")) == 1, [h.get_text(strip=True) for h in soup.find_all("h1")]
    assert unlabelled_controls(soup) == []
    return soup


def heading_levels(soup):
    return [int(tag.name[1]) for tag in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]


def assert_headings_in_order(soup):
    levels = heading_levels(soup)
    assert levels and levels[0] == 1, levels
    for previous, current in zip(levels, levels[1:], strict=False):
        assert current <= previous + 1, f"heading skips a level: {levels}"


def get_warm(client, url, limit, status=200):
    """GET ``url`` twice and hold the second, steady-state request to ``limit`` queries.

    The first request fills the shared cache (site root paths) and creates the site settings
    row; counting it would hide an N+1 behind one-off work.
    """
    from tests.queries import max_queries

    client.get(url)
    with max_queries(limit):
        response = client.get(url)
    assert response.status_code == status, response.status_code
    return response
