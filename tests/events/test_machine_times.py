"""Every <time datetime> on the site is a valid HTML date/time string.

The Nu HTML checker rejected ``/membership/`` for "2027-12-01T10:22:31.123456+00:00": HTML
allows at most three fractional digits. One filter, ``machine_time``, writes every value
now; these tests parse each page a member can reach and check every value with a strict
reading of the HTML standard's grammar.
"""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

import pytest
from bs4 import BeautifulSoup

from community.timeformat import machine_time
from events.models import Registration

pytestmark = pytest.mark.django_db

# The HTML standard's "valid date string", "valid time string", "valid local date and time
# string" and "valid global date and time string" (the forms this site may write).
DATE = r"(?P<year>\d{4,})-(?P<month>\d{2})-(?P<day>\d{2})"
TIME = r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:\.\d{1,3})?)?"
ZONE = r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)"
VALID = [
    re.compile(rf"^{DATE}$"),
    re.compile(rf"^{TIME}$"),
    re.compile(rf"^{DATE}[T ]{TIME}$"),
    re.compile(rf"^{DATE}[T ]{TIME}{ZONE}$"),
]


def is_valid_html_datetime(value: str) -> bool:
    for pattern in VALID:
        match = pattern.match(value)
        if not match:
            continue
        parts = match.groupdict()
        if parts.get("year"):
            try:  # the day must exist in that month
                dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
            except ValueError:
                return False
        return True
    return False


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-11",
        "2026-12-11T08:00:00Z",
        "2026-12-11T08:00Z",
        "2026-12-11 08:00:00.123+05:30",
        "08:00",
        "23:59:59.5",
        "2028-02-29",
    ],
)
def test_the_checker_accepts_valid_strings(value):
    assert is_valid_html_datetime(value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-11T08:00:00.123456+00:00",  # six fractional digits: the bug
        "2026-12-11T08:00:00.123456",
        "2026-02-30",
        "2026-12-11T24:00",
        "Dec. 11, 2026",
        "2026-12-11T08:00:00+0530x",
        "",
    ],
)
def test_the_checker_refuses_invalid_strings(value):
    assert not is_valid_html_datetime(value)


def test_machine_time_forms():
    instant = dt.datetime(2026, 12, 11, 9, 0, 0, 654321, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert machine_time(instant) == "2026-12-11T08:00:00Z"
    assert machine_time(dt.datetime(2026, 12, 11, 8, 0)) == "2026-12-11T08:00:00Z"  # naive: UTC
    assert machine_time(dt.date(2026, 12, 11)) == "2026-12-11"
    assert machine_time(dt.time(9, 30)) == "09:30"
    assert machine_time(dt.time(9, 30, 15)) == "09:30:15"
    assert machine_time(None) == "" and machine_time("soon") == ""
    assert machine_time(timezone.now()).endswith("Z")


def time_values(response):
    assert response.status_code == 200, response.status_code
    soup = BeautifulSoup(response.content.decode(), "html5lib")
    return [element.get("datetime") for element in soup.find_all("time")]


@pytest.fixture
def site_with_events(make_event, member):
    now = timezone.now()
    day = (now + dt.timedelta(days=9)).date()
    agenda = [
        {
            "type": "item",
            "value": {
                "starts": "09:30:00",
                "ends": "10:00:00",
                "title": "Sample opening",
                "description": "",
                "speaker": "",
            },
        }
    ]
    timed = make_event(title="Sample timed", time_zone="Asia/Kolkata", agenda=agenda)
    # A registration opening time with microseconds, as a model default would store it.
    later = make_event(
        title="Sample later",
        start_date=day,
        end_date=day,
        registration_opens=now + dt.timedelta(days=2, microseconds=123456),
    )
    all_day = make_event(title="Sample all day", start_time=None, end_time=None)
    series = make_event(
        title="Sample series",
        start_date=day,
        end_date=day,
        repeat="weekly",
        repeat_until=day + dt.timedelta(days=60),
    )
    for event in (timed, all_day, series):
        Registration.objects.create(event=event, user=member, status="confirmed")
    return {"timed": timed, "later": later, "all_day": all_day, "series": series}


def home_response(client):
    from wagtail import hooks

    from events.sections import home_upcoming_section

    registered = any(
        getattr(fn, "__module__", "").startswith("events")
        for fn in hooks.get_hooks("home_page_sections")
    )
    if registered:
        return client.get("/")
    with hooks.register_temporarily("home_page_sections", home_upcoming_section):
        return client.get("/")


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("zone", ["", "Pacific/Chatham"])
def test_every_page_writes_valid_machine_times(
    client_for, member, site_with_events, language, zone
):
    member.membership.time_zone = zone
    member.membership.save()
    client = client_for(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    index_url = site_with_events["timed"].get_parent().url
    pages = {
        "home": home_response(client),
        "events": client.get(index_url),
        "my events": client.get("/me/events/"),
        "membership": client.get(reverse("membership")),
        "preferences": client.get("/me/preferences/"),
        **{name: client.get(event.url) for name, event in site_with_events.items()},
    }
    seen = {}
    for name, response in pages.items():
        values = time_values(response)
        seen[name] = len(values)
        for value in values:
            assert value is not None, f"{name}: a <time> without datetime"
            assert is_valid_html_datetime(value), f"{name}: {value!r}"
    # The pages that show times do show them (so the loop above checked something).
    for name in ("home", "events", "my events", "membership", "timed", "later", "all_day"):
        assert seen[name], f"no <time> on {name}"
    assert seen["series"] > 3  # the next dates of the series


def test_membership_page_expiry_is_a_date_without_fractions(client_for, member):
    member.membership.expires_at = dt.datetime(2027, 12, 1, 10, 22, 31, 123456, tzinfo=dt.UTC)
    member.membership.save()
    values = time_values(client_for(member).get(reverse("membership")))
    assert "2027-12-01T10:22:31Z" in values


def test_every_template_writes_datetime_through_the_filter():
    """A new template that writes ``datetime="{{ x|date:'c' }}"`` fails here."""
    root = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for attribute in re.findall(r'datetime="([^"]*)"', line):
                if "{{" in attribute and "|machine_time" not in attribute:
                    offenders.append(f"{path.relative_to(root)}:{number}: {attribute}")
    assert offenders == []


def test_the_filter_in_a_template():
    html = Template('{% load times %}<time datetime="{{ value|machine_time }}"></time>').render(
        Context({"value": dt.datetime(2026, 12, 11, 8, 0, 0, 999999, tzinfo=dt.UTC)})
    )
    assert html == '<time datetime="2026-12-11T08:00:00Z"></time>'
