"""The test scaffolding itself: nothing imports a conftest, and the page factories build what
their names say."""

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone

import pytest

from events.models import EventCalendarState, EventIndexPage, EventPage, Registration
from tests.factories import EventIndexPageFactory, EventPageFactory

TESTS = Path(__file__).resolve().parent
# ``from tests.conftest import x``, ``from .conftest import x``, ``import tests.conftest``,
# ``from tests.events import conftest`` — also inside the scripts tests hand to a subprocess.
CONFTEST_IMPORT = re.compile(
    r"^\s*(?:from\s+[\w.]*\bconftest\b\s+import|import\s+[\w.]*\bconftest\b"
    r"|from\s+[\w.]+\s+import\s+(?:\(\s*)?(?:[\w\s,]*,\s*)?conftest\b)",
    re.MULTILINE,
)


def test_no_test_file_imports_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{text.count(chr(10), 0, match.start()) + 1}"
        for path in sorted(TESTS.rglob("*.py"))
        for text in [path.read_text(encoding="utf-8")]
        for match in CONFTEST_IMPORT.finditer(text)
    ]
    assert offenders == [], "import from tests.helpers instead: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "line",
    [
        "from tests.conftest import site_home",
        "from .conftest import site_home",
        "    from tests.browser.conftest import sign_in",
        "import tests.conftest",
        "from tests.events import conftest as event_fixtures",
        "from tests.events import helpers, conftest",
    ],
)
def test_the_check_sees_every_spelling_of_a_conftest_import(line):
    assert CONFTEST_IMPORT.search(line)


def test_the_check_leaves_other_imports_alone():
    assert not CONFTEST_IMPORT.search("from tests.helpers import site_home  # not conftest")


# --- Factories -------------------------------------------------------------------------------


@pytest.fixture
def index(home_root):
    return EventIndexPageFactory(parent=home_root)


def test_an_event_is_a_published_public_workshop_a_week_ahead_under_the_index(index):
    event = EventPageFactory()
    assert event.get_parent().specific == index
    assert event.live and event.has_unpublished_changes is False
    assert event.latest_revision is not None
    # Publishing fired page_published, which records the calendar state.
    assert EventCalendarState.objects.filter(event=event).exists()
    assert (event.format, event.audience, event.registration_audience) == (
        "online",
        "public",
        "members",
    )
    assert event.online_join_url
    assert event.start_date == event.end_date
    assert event.start > timezone.now()
    assert event.registration_is_open()


def test_publish_false_adds_the_page_without_a_revision(index):
    event = EventPageFactory(publish=False)
    assert event.latest_revision is None
    assert not EventCalendarState.objects.filter(event=event).exists()


def test_the_index_is_made_under_the_default_site_root_when_missing(home_root):
    assert not EventIndexPage.objects.exists()
    event = EventPageFactory()
    assert event.get_parent().get_parent().specific == home_root


def test_online_in_person_and_hybrid(index):
    online = EventPageFactory(online=True)
    in_person = EventPageFactory(in_person=True)
    hybrid = EventPageFactory(hybrid=True)
    assert (online.format, bool(online.online_join_url), online.venue_name) == ("online", True, "")
    assert (in_person.format, in_person.online_join_url) == ("in_person", "")
    assert in_person.venue_name and in_person.venue_city and in_person.venue_country
    assert hybrid.format == "hybrid" and hybrid.venue_name and hybrid.online_join_url


def test_series_with_a_past_first_date_has_dates_to_come(index):
    event = EventPageFactory(series_with_past_first_date=True)
    now = timezone.now()
    assert event.is_recurring
    assert event.start < now
    assert event.next_start_after(now) is not None
    assert event.last_end > now
    assert event.registration_is_open(now)


@pytest.mark.parametrize("traits", [{}, {"hybrid": True}, {"capacity": 3}])
def test_full_takes_every_seat_with_confirmed_registrations(index, traits):
    event = EventPageFactory(full=True, **traits)
    assert event.capacity == traits.get("capacity", 2)
    assert event.registrations.filter(status="confirmed").count() == event.capacity
    assert Registration.objects.seats_taken(event) == event.capacity


def test_explicit_values_win_over_a_trait(index):
    day = timezone.localdate() + dt.timedelta(days=3)
    event = EventPageFactory(series_with_past_first_date=True, start_date=day, end_date=day)
    assert event.start_date == day
    assert EventPage.objects.get(pk=event.pk).repeat == "weekly"
