"""Feed bodies are built once per content version and shared; a change shows at once."""

from django.core.cache import cache

import pytest
from icalendar import Calendar

from events import ical

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_public_feed_is_built_once_until_an_event_changes(client, make_event, monkeypatch):
    event = make_event(title="Sample cached workshop")
    builds = []
    real_build = ical.build_feed
    monkeypatch.setattr(ical, "build_feed", lambda *a, **k: builds.append(1) or real_build(*a, **k))

    first = client.get("/events/feed.ics")
    second = client.get("/events/feed.ics")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(builds) == 1

    page = event.get_latest_revision_as_object()
    page.title = "Sample cached workshop, renamed"
    page.save_revision().publish()
    third = client.get("/events/feed.ics")
    assert len(builds) == 2
    assert third["ETag"] != first["ETag"]
    summaries = [str(v["SUMMARY"]) for v in Calendar.from_ical(third.content).walk("VEVENT")]
    assert summaries == ["Sample cached workshop, renamed"]
