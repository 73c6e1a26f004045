"""Personal calendar links: created once, shown once, stored as a hash, revocable."""

import datetime as dt
import hashlib

from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from events import tokens
from events.feeds import ONE_TIME_TOKEN_KEY
from events.models import CalendarToken
from tests.queries import max_queries

pytestmark = pytest.mark.django_db

PAGE = "/me/calendar/"


def soup(response):
    return BeautifulSoup(response.content, "html5lib")


def shown_urls(response):
    return [i["value"] for i in soup(response).select("input.calendar-link__url")]


def token_from(urls):
    return urls[0].rstrip("/").split("/")[-2]


def test_page_url_name_and_login_required(client):
    assert reverse("events:calendar_token") == PAGE
    response = client.get(PAGE)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert client.post(PAGE, {"action": "create"}).status_code == 302
    assert not CalendarToken.objects.exists()


def test_create_shows_the_link_once_and_stores_only_a_hash(client_for, member, settings):
    client = client_for(member)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    buttons = [b["value"] for b in soup(page).select("button[name=action]")]
    assert buttons == ["create"]

    response = client.post(PAGE, {"action": "create"})
    assert response.status_code == 302
    with max_queries(18):
        shown = client.get(PAGE)
    urls = shown_urls(shown)
    assert len(urls) == 4
    token = token_from(urls)
    assert len(token) >= 43  # 32 random bytes, base64url
    assert any(u.startswith(settings.SITE_URL) for u in urls)
    assert any(u.startswith("webcal://") for u in urls)
    assert all(i.has_attr("readonly") for i in soup(shown).select("input.calendar-link__url"))
    text = soup(shown).get_text()
    assert "cannot be shown again" in text
    assert "Anyone who has it" in text

    row = CalendarToken.objects.get(user=member)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarToken.objects.values_list().get())
    assert ONE_TIME_TOKEN_KEY not in client.session

    again = client.get(PAGE)
    assert shown_urls(again) == []
    assert token.encode() not in again.content
    assert sorted(b["value"] for b in soup(again).select("button[name=action]")) == [
        "regenerate",
        "revoke",
    ]
    assert client.get(f"/calendar/{token}/my-events.ics").status_code == 200


def test_regenerate_revokes_the_old_link(client, client_for, member):
    browser = client_for(member)
    browser.post(PAGE, {"action": "create"})
    old = token_from(shown_urls(browser.get(PAGE)))
    browser.post(PAGE, {"action": "regenerate"})
    new = token_from(shown_urls(browser.get(PAGE)))
    assert new != old
    assert CalendarToken.objects.filter(user=member, revoked_at__isnull=True).count() == 1
    assert client.get(f"/calendar/{old}/events.ics").status_code == 404
    assert client.get(f"/calendar/{new}/events.ics").status_code == 200


def test_revoked_unknown_and_malformed_tokens_look_the_same(client, client_for, member):
    _row, token = tokens.issue(member)
    client_for(member).post(PAGE, {"action": "revoke"})
    assert CalendarToken.objects.get(user=member).revoked_at is not None

    never = "A" * 43
    answers = [
        client.get(f"/calendar/{value}/{feed}")
        for value in (token, never, "short", "x" * 300)
        for feed in ("events.ics", "my-events.ics")
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert token.encode() not in answers[0].content


def test_inactive_users_token_stops_working(client, member):
    _row, token = tokens.issue(member)
    member.is_active = False
    member.save()
    assert client.get(f"/calendar/{token}/events.ics").status_code == 404


def test_unknown_action_and_missing_csrf_write_nothing(client_for, member):
    client = client_for(member)
    response = client.post(PAGE, {"action": "steal"})
    assert response.status_code == 400
    assert not CalendarToken.objects.exists()

    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(PAGE, {"action": "create"}).status_code == 403
    assert not CalendarToken.objects.exists()


def test_last_used_is_written_at_most_hourly(client, member, django_assert_num_queries):
    row, token = tokens.issue(member)
    url = f"/calendar/{token}/events.ics"
    client.get(url)
    first = CalendarToken.objects.get(pk=row.pk).last_used_at
    assert first is not None
    client.get(url)
    assert CalendarToken.objects.get(pk=row.pk).last_used_at == first

    CalendarToken.objects.filter(pk=row.pk).update(
        last_used_at=timezone.now() - dt.timedelta(hours=2)
    )
    client.get(url)
    assert CalendarToken.objects.get(pk=row.pk).last_used_at > first - dt.timedelta(minutes=1)


def test_one_active_token_per_member_is_a_database_rule(member):
    from django.db import IntegrityError, transaction

    tokens.issue(member)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarToken.objects.create(user=member, token_hash="0" * 64)


def test_a_token_regenerated_elsewhere_is_not_shown(client_for, member):
    client = client_for(member)
    client.post(PAGE, {"action": "create"})
    tokens.issue(member)  # another tab
    assert shown_urls(client.get(PAGE)) == []
