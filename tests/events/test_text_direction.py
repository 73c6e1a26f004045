"""Text an editor typed keeps its own direction on a right-to-left page (issue 10, point 6,
first part): a title or summary in English on the Arabic interface is laid out left to right,
its full stop at its end, because the element that holds it says ``dir="auto"``."""

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db


def arabic(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html5lib")
    html = soup.find("html")
    assert (html["lang"], html["dir"]) == ("ar", "rtl")
    return soup


def test_an_event_pages_title_and_summary_take_their_own_direction(client, make_event):
    event = make_event(title="Sample workshop on oversight", summary="An English summary.")
    soup = arabic(client, event.url)
    assert soup.find("h1").get("dir") == "auto"
    assert soup.find("h1").get_text(strip=True) == "Sample workshop on oversight"
    lead = soup.find("p", class_="lead")
    assert (lead.get("dir"), lead.get_text(strip=True)) == ("auto", "An English summary.")


def test_listing_cards_give_titles_and_summaries_their_own_direction(
    client, make_event, event_index
):
    make_event(title="Sample panel", summary="Card summary.")
    soup = arabic(client, event_index.url)
    assert soup.find("h1").get("dir") == "auto"
    card = soup.find(class_="event-card")
    assert card.find(class_="event-card__title").find("a").get("dir") == "auto"
    assert card.find(class_="event-card__summary").get("dir") == "auto"


def test_the_interface_around_them_stays_in_the_pages_direction(client, make_event):
    """Only editor text is marked: the page's own labels follow the page (no dir on them)."""
    event = make_event()
    soup = arabic(client, event.url)
    labels = soup.select("main dt")
    assert labels, "no labels found on the event page"
    assert all(label.get("dir") is None for label in labels)
