"""The member's own preferences: the time zone event times are shown in."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.test import Client

import pytest
from bs4 import BeautifulSoup

from community.models import Membership
from community.preferences import set_time_zone
from community.timezones import time_zone_names
from tests.helpers import assert_site_page
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


def test_page_offers_canonical_zones_grouped_by_region(client_for, member):
    soup = assert_site_page(get_page(client_for(member)))
    select = soup.find("select", attrs={"name": "time_zone"})
    label = soup.find("label", attrs={"for": select["id"]})
    assert label.get_text(strip=True).startswith("Time zone")
    options = select.find_all("option")
    assert options[0]["value"] == "" and "Not set" in options[0].get_text()
    assert options[1]["value"] == "UTC" and options[1].get_text() == "UTC"
    groups = select.find_all("optgroup")
    assert [g["label"] for g in groups] == [
        "Africa",
        "Americas",
        "Asia",
        "Atlantic Ocean",
        "Australia",
        "Europe",
        "Indian Ocean",
        "Pacific",
    ]
    values = [o["value"] for o in options]
    assert values[1:] == list(time_zone_names())
    assert len(values) == len(set(values)) and 380 < len(values) < 430
    # No legacy aliases, no offsets posing as places, nothing outside the eight regions.
    for legacy in ("US/Pacific", "US/Eastern", "Etc/GMT+3", "Asia/Calcutta", "GB", "EST5EDT"):
        assert legacy not in values
    assert not [v for v in values if v.startswith(("Etc/", "Antarctica/", "Arctic/"))]
    # Each option reads as city, country and the offset now, and sits in its own region.
    americas = {o["value"]: o.get_text() for o in groups[1].find_all("option")}
    assert re.match(
        r"^Buenos Aires, Argentina \(UTC\N{MINUS SIGN}3\)$",
        americas["America/Argentina/Buenos_Aires"],
    )
    assert americas["America/Indiana/Knox"].startswith("Knox, Indiana, United States")
    asia = {o["value"]: o.get_text() for o in groups[2].find_all("option")}
    assert asia["Asia/Kolkata"] == "Kolkata, India (UTC+5:30)"
    assert asia["Asia/Kathmandu"] == "Kathmandu, Nepal (UTC+5:45)"
    for group in groups:
        cities = [o.get_text().rsplit(",", 1)[0].casefold() for o in group.find_all("option")]
        assert cities == sorted(cities), group["label"]
    assert "_" not in select.get_text() and "/" not in select.get_text()
    assert soup.find("form")["method"] == "post"
    assert soup.find("input", attrs={"name": "csrfmiddlewaretoken"})


def test_the_filter_box_waits_for_javascript(client_for, member):
    soup = get_page(client_for(member))
    box = soup.find(attrs={"data-zone-filter": True})
    assert box.has_attr("hidden") and box["data-zone-filter"] == "id_time_zone"
    search = box.find("input", attrs={"type": "search"})
    assert soup.find("label", attrs={"for": search["id"]}).get_text(strip=True)
    assert search["aria-controls"] == "id_time_zone"
    status = soup.find(id=search["aria-describedby"])
    assert status["aria-live"] == "polite" and "{count}" in status["data-template"]
    script = soup.find("script", src=re.compile(r"zone-picker\.js$"))
    assert script["nonce"] and script.has_attr("defer")


def test_offsets_follow_daylight_saving(client_for, member, settings):
    from community.zone_picker import zone_option_label

    july = dt.datetime(2027, 7, 1, tzinfo=dt.UTC)
    january = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert zone_option_label("Europe/Paris", july) == "Paris, France (UTC+2)"
    assert zone_option_label("Europe/Paris", january) == "Paris, France (UTC+1)"
    assert zone_option_label("America/Santiago", july).endswith("(UTC\N{MINUS SIGN}4)")
    assert zone_option_label("America/Santiago", january).endswith("(UTC\N{MINUS SIGN}3)")


def test_picker_speaks_the_page_language(client_for, member, settings):
    client = client_for(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    soup = get_page(client)
    select = soup.find("select", attrs={"name": "time_zone"})
    option = select.find("option", attrs={"value": "Europe/Berlin"})
    assert option.get_text().startswith("Berlin, Allemagne (UTC+")


def test_a_stored_legacy_alias_still_shows_and_survives_a_save(client_for, member):
    Membership.objects.filter(user=member).update(time_zone="US/Eastern")
    client = client_for(member)
    soup = get_page(client)
    select = soup.find("select", attrs={"name": "time_zone"})
    selected = select.find("option", selected=True)
    assert selected["value"] == "US/Eastern"
    assert re.match(r"^New York \(UTC\N{MINUS SIGN}[45]\)$", selected.get_text())
    assert selected.parent.name == "optgroup" and selected.parent["label"] == "Your current setting"
    # Saving the page unchanged keeps it; a new choice replaces it.
    assert client.post(URL, {"time_zone": "US/Eastern"}).status_code == 302
    assert zone_of(member) == "US/Eastern"
    assert client.post(URL, {"time_zone": "America/New_York"}).status_code == 302
    assert zone_of(member) == "America/New_York"
    # Once gone, the alias is refused like any name outside the list, and not offered back.
    response = client.post(URL, {"time_zone": "US/Eastern"})
    assert response.status_code == 400
    assert zone_of(member) == "America/New_York"
    select = BeautifulSoup(response.content.decode(), "html5lib").find("select")
    assert not select.find("option", attrs={"value": "US/Eastern"})
    assert "Your current setting" not in select.decode()


def test_pages_name_a_legacy_zone_by_its_city(client_for, member):
    from community.timeformat import zone_label

    now = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    assert zone_label("US/Eastern", now) == "New York (UTC\N{MINUS SIGN}5)"
    assert zone_label("Asia/Calcutta", now) == "Kolkata (UTC+5:30)"
    assert zone_label("Africa/Asmera", now) == "Asmara (UTC+3)"
    assert zone_label("GB", now) == "London (UTC)"
    assert zone_label("Etc/GMT+3", now) == "UTC\N{MINUS SIGN}3"
    assert zone_label("Etc/UTC", now) == "UTC"


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
