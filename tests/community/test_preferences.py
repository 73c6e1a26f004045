"""The member's own preferences: the time zone event times are shown in."""

from django.core.exceptions import ValidationError
from django.test import Client

import pytest
from bs4 import BeautifulSoup

from community.models import Membership
from community.preferences import set_time_zone
from community.timezones import time_zone_names
from tests.home.helpers import assert_site_page
from tests.queries import max_queries

pytestmark = pytest.mark.django_db

URL = "/me/preferences/"
PAGE_QUERY_LIMIT = 15


def zone_of(user):
    return Membership.objects.get(user=user).time_zone


def get_page(client):
    client.get(URL)  # the session record and site settings row are written once
    with max_queries(PAGE_QUERY_LIMIT):
        response = client.get(URL)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html5lib")


def test_page_offers_every_iana_zone_and_not_set(client_for, member):
    soup = assert_site_page(get_page(client_for(member)))
    select = soup.find("select", attrs={"name": "time_zone"})
    label = soup.find("label", attrs={"for": select["id"]})
    assert label.get_text(strip=True).startswith("Time zone")
    options = [o["value"] for o in select.find_all("option")]
    assert options[0] == ""
    assert "Not set" in select.find_all("option")[0].get_text()
    assert options[1:] == list(time_zone_names())
    assert "Pacific/Auckland" in options and "US/Pacific" not in options
    assert soup.find("form")["method"] == "post"
    assert soup.find("input", attrs={"name": "csrfmiddlewaretoken"})


def test_set_a_zone(client_for, member):
    client = client_for(member)
    response = client.post(URL, {"time_zone": "Pacific/Auckland"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert zone_of(member) == "Pacific/Auckland"
    soup = BeautifulSoup(response.content.decode(), "html5lib")
    selected = soup.find("select", attrs={"name": "time_zone"}).find("option", selected=True)
    assert selected["value"] == "Pacific/Auckland"
    assert "saved" in soup.find(class_="messages").get_text()


def test_clear_the_zone(client_for, member):
    Membership.objects.filter(user=member).update(time_zone="Europe/Paris")
    response = client_for(member).post(URL, {"time_zone": ""})
    assert response.status_code == 302
    assert zone_of(member) == ""


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "US/Pacific", "../etc/passwd", "x" * 200])
def test_invalid_zone_is_refused_and_nothing_written(client_for, member, bad):
    Membership.objects.filter(user=member).update(time_zone="Europe/Paris")
    response = client_for(member).post(URL, {"time_zone": bad})
    assert response.status_code == 400
    soup = BeautifulSoup(response.content.decode(), "html5lib")
    select = soup.find("select", attrs={"name": "time_zone"})
    assert select["aria-invalid"] == "true"
    assert "Choose a time zone from the list." in soup.get_text()
    assert soup.find(attrs={"role": "alert"})
    assert zone_of(member) == "Europe/Paris"


def test_pending_applicant_may_set_a_zone(client_for, pending):
    response = client_for(pending).post(URL, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert zone_of(pending) == "Asia/Tokyo"


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(URL)["Location"] == f"/accounts/login/?next={URL}"
    response = client.post(URL, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Membership.objects.filter(time_zone="Asia/Tokyo").exists()


def test_csrf_token_required(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(URL, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 403
    assert zone_of(member) == ""
    # With the token from the page it goes through.
    page = BeautifulSoup(client.get(URL).content.decode(), "html5lib")
    token = page.find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]
    response = client.post(URL, {"time_zone": "Asia/Tokyo", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert zone_of(member) == "Asia/Tokyo"


def test_other_methods_refused(client_for, member):
    assert client_for(member).put(URL).status_code == 405


def test_set_time_zone_validates_by_itself(member):
    with pytest.raises(ValidationError):
        set_time_zone(member, "Not/A_Zone")
    assert zone_of(member) == ""
    set_time_zone(member, "America/Sao_Paulo")
    assert zone_of(member) == "America/Sao_Paulo"
    set_time_zone(member, "")
    assert zone_of(member) == ""


def test_set_time_zone_creates_the_membership_row(pending):
    Membership.objects.filter(user=pending).delete()
    set_time_zone(pending, "Africa/Nairobi")
    assert zone_of(pending) == "Africa/Nairobi"
