"""Event fixtures: a home page as site root, an event index, and an event builder."""

import datetime as dt

from django.utils import timezone

from wagtail.models import Site

import pytest

from events.models import EventIndexPage, EventPage
from home.models import HomePage
from tests.conftest import wagtail_root


@pytest.fixture
def home_root(db):
    root = wagtail_root()
    home = root.add_child(instance=HomePage(title="Home", slug="events-home", hero_title="Lab"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"root_page": home, "hostname": "localhost", "port": 80},
    )
    return home


@pytest.fixture
def event_index(home_root):
    index = home_root.add_child(instance=EventIndexPage(title="Events", slug="events"))
    index.save_revision().publish()
    return index


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
