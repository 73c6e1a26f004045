"""Event fixtures: a home page as site root, an event index, and an event builder."""

import datetime as dt

from django.utils import timezone

import pytest

from events.models import EventPage
from tests.conftest import published_event_index, site_home


@pytest.fixture
def home_root(db):
    return site_home(slug="events-home", hero_title="Lab")


@pytest.fixture
def event_index(home_root):
    return published_event_index(home_root)


@pytest.fixture
def make_event(event_index):
    counter = {"n": 0}

    def make(publish=True, **overrides):
        counter["n"] += 1
        day = (timezone.now() + dt.timedelta(days=7)).date()
        values = {
            "title": f"Sample workshop {counter['n']}",
            "slug": f"sample-workshop-{counter['n']}",
            "kind": "workshop",
            "summary": "Sample event for tests.",
            "time_zone": "Europe/Paris",
            "start_date": day,
            "start_time": dt.time(9, 0),
            "end_date": day,
            "end_time": dt.time(12, 0),
            "format": "online",
            "online_join_url": "https://meet.example.org/secret-room-123",
            "audience": "public",
            "registration_audience": "members",
        }
        values.update(overrides)
        event = event_index.add_child(instance=EventPage(**values))
        if publish:
            event.save_revision().publish()
            event.refresh_from_db()
        return event

    return make
