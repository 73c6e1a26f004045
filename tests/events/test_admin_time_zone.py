"""The editor's time-zone field keeps a stored zone the picker no longer lists."""

import pytest
from bs4 import BeautifulSoup

from events.models import EventPage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("stored", ["America/Buenos_Aires", "Europe/Paris"])
def test_edit_form_keeps_the_stored_zone_selected(make_event, editor, stored):
    event = make_event(time_zone=stored)
    form_class = EventPage.get_edit_handler().get_form_class()
    form = form_class(instance=event, for_user=editor)
    soup = BeautifulSoup(str(form["time_zone"]), "html5lib")
    selected = soup.select("option[selected]")
    assert [option["value"] for option in selected] == [stored]
    # The grouped list, not 500 flat entries with aliases.
    assert soup.find("optgroup") is not None
    assert soup.find("option", value="US/Eastern") is None
