"""The account dashboard lists the member's own upcoming registrations and links to their events."""

import pytest
from bs4 import BeautifulSoup

from events import services

pytestmark = pytest.mark.django_db


def test_dashboard_lists_own_upcoming_registrations(client_for, member, editor, make_event):
    mine = make_event(title="Sample mine")
    make_event(title="Sample other")
    services.registration_create(member, mine, {})
    services.registration_create(editor, make_event(title="Sample editors"), {})
    client = client_for(member)
    soup = BeautifulSoup(client.get("/me/").content, "html5lib")
    section = soup.find(id="account-upcoming-heading").find_parent("section")
    titles = [a.get_text(strip=True) for a in section.select("li a")]
    assert titles == ["Sample mine"]
    manage = soup.find(id="account-manage-heading").find_parent("section")
    links = {a.get_text(strip=True): a["href"] for a in manage.select("li a")}
    assert links["My events"] == "/me/events/"
    assert links["Calendar link"] == "/me/calendar/"
    for href in links.values():
        assert client.get(href).status_code in (200, 302)
    # Staff see only their own registrations here too.
    soup = BeautifulSoup(client_for(editor).get("/me/").content, "html5lib")
    section = soup.find(id="account-upcoming-heading").find_parent("section")
    assert [a.get_text(strip=True) for a in section.select("li a")] == ["Sample editors"]
