"""The time-zone picker: every listed zone grouped by region, each labelled by its city, its
country and the offset in force now ("Buenos Aires, Argentina (UTC−3)"). The zone data is
``community/timezones.py``'s; the words and offsets are ``community/timeformat.py``'s."""

import datetime as dt
from functools import lru_cache

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from django_countries import countries

from .timeformat import offset_text, zone_info, zone_label
from .timezones import (
    REGIONS,
    UTC,
    all_zone_names,
    listed_zones,
    time_zone_names,
    zone_city,
    zone_country_code,
)


def _country_name(code: str) -> str:
    return str(countries.name(code)) or code


def zone_option_label(name: str, at: dt.datetime | None = None) -> str:
    """A picker entry: "Buenos Aires, Argentina (UTC−3)" — city first, so typing a city's
    first letters in the closed list finds it; the country helps tell cities apart."""
    at = at or timezone.now()
    offset = offset_text(at.astimezone(zone_info(name)).utcoffset())
    city = zone_city(name)
    code = zone_country_code(name)
    if not city:
        return offset if name == UTC else f"{offset} ({name})"
    place = f"{city}, {_country_name(code)}" if code else city
    return f"{place} ({offset})"


@lru_cache(maxsize=16)
def _grouped_choices(language: str, hour: dt.datetime):
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for name in time_zone_names()[1:]:
        groups[name.split("/", 1)[0]].append((name, zone_option_label(name, hour)))
    return [(UTC, "UTC")] + [(str(REGIONS[region]), items) for region, items in groups.items()]


def time_zone_choices(current: str | None = None):
    """Choices grouped by region (Django renders them as <optgroup>s), labelled by city and
    the offset in force now. ``current``: a stored value the list does not offer (a legacy
    alias) is kept as a choice of its own, so that saving the form does not change it."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    choices = list(_grouped_choices(translation.get_language() or "", now))
    if current and current not in listed_zones() and current in all_zone_names():
        choices.insert(0, (str(_("Your current setting")), [(current, zone_label(current))]))
    return choices


class TimeZoneSelect(forms.Select):
    """The zone picker as a widget: ``time_zone_choices`` for the value being edited, so a
    stored legacy alias stays selected instead of the browser falling back to the first
    option (and a save silently moving the value to it)."""

    def __init__(self, attrs=None, blank_label=None, stored=None):
        super().__init__(attrs)
        self.blank_label = blank_label
        #: The saved value, when the form knows it: only that one is kept as an extra
        #: choice, not whatever a refused submission sent.
        self.stored = stored

    def optgroups(self, name, value, attrs=None):
        blank = [("", self.blank_label)] if self.blank_label is not None else []
        current = self.stored if self.stored is not None else (value[0] if value else "")
        self.choices = blank + time_zone_choices(current)
        return super().optgroups(name, value, attrs)
