"""IANA time zones: which ones people choose from, what they are called, which ones are valid.

The picker offers the zones of the time zone database's ``zone.tab`` — one or more per
country, named after a city, without the legacy aliases ("US/Eastern", "Etc/GMT+3",
"Asia/Calcutta") that make a list of 600 names unusable. Any name the database knows still
validates, so values stored before this list existed keep working and keep a readable label.
"""

import datetime as dt
import hashlib
import importlib.resources
import zoneinfo
from difflib import SequenceMatcher
from functools import cache, lru_cache
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

UTC = "UTC"

#: The regions of the picker, in its order. Antarctic stations and Arctic/Longyearbyen are
#: left out of the list (nobody the lab serves works there) but stay valid.
REGIONS = {
    "Africa": _("Africa"),
    "America": _("Americas"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}

# Sub-regions whose city names need the state to be told apart ("Knox, Indiana").
_STATES = {"Indiana": "Indiana", "Kentucky": "Kentucky", "North_Dakota": "North Dakota"}

# Names zoneinfo lists that are not places: the host's own zone and the "Factory" placeholder.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


def _data_file(name: str) -> bytes | None:
    """A file of the zone database: from the locked ``tzdata`` package, else the system's."""
    try:
        return (importlib.resources.files("tzdata.zoneinfo") / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        pass
    for root in zoneinfo.TZPATH:
        path = Path(root) / name
        if path.is_file():
            return path.read_bytes()
    return None


#: Regions of zone.tab that stay valid and named but are not offered in the picker.
_UNLISTED_REGIONS = {"Antarctica", "Arctic"}


@cache
def _tables() -> tuple[dict[str, str], tuple[str, ...]]:
    """({zone: country code} from zone.tab, zones of zone1970.tab)."""
    countries: dict[str, str] = {}
    for line in (_data_file("zone.tab") or b"").decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, name, *_comment = line.split("\t")
        countries[name] = code
    preferred = []
    for line in (_data_file("zone1970.tab") or b"").decode().splitlines():
        if not line.startswith("#") and line.strip():
            preferred.append(line.split("\t")[2])
    return countries, tuple(preferred)


def _listed(name: str) -> bool:
    return name.split("/", 1)[0] in REGIONS


def canonical_zones() -> frozenset[str]:
    """The zones of zone.tab, and UTC: real places, one name each."""
    return frozenset(_tables()[0]) | {UTC}


@cache
def all_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


@cache
def _alias_map() -> dict[str, str]:
    """{legacy name: the zone.tab zone with the very same rules}. Links in the zone database
    are stored as copies of their target, so equal bytes mean the same zone. Among several
    candidates, the most similar name wins ("Africa/Asmera" → "Africa/Asmara", not
    "Africa/Nairobi"), then zone1970.tab's representative ("GB" → "Europe/London")."""
    countries, preferred = _tables()
    rank = {name: index for index, name in enumerate(preferred)}
    by_digest: dict[bytes, list[str]] = {}
    for name in countries:
        data = _data_file(name)
        if data is not None:
            by_digest.setdefault(hashlib.sha256(data).digest(), []).append(name)
    aliases = {}
    for name in all_zone_names() - canonical_zones():
        data = _data_file(name)
        candidates = by_digest.get(hashlib.sha256(data).digest(), []) if data else []
        if candidates:
            last = name.rsplit("/", 1)[-1]

            def score(candidate, last=last):
                ratio = SequenceMatcher(None, last, candidate.rsplit("/", 1)[-1]).ratio()
                return (ratio if ratio >= 0.5 else 0, -rank.get(candidate, len(rank)))

            aliases[name] = max(candidates, key=score)
    return aliases


@cache
def renamed_zones() -> dict[str, str]:
    """{old name: zone.tab zone} for old names whose city reads differently from the zone's
    ("Asia/Calcutta" → "Asia/Kolkata"). Browsers may still report such names (their ICU
    data keeps them), so local-time.js gets this list to name the visitor's city right."""
    return {
        alias: target
        for alias, target in _alias_map().items()
        if alias.split("/", 1)[0] in {*REGIONS, *_UNLISTED_REGIONS}
        and alias.rsplit("/", 1)[-1].replace("_", " ") != zone_city(target)
    }


def canonical_zone(name: str) -> str:
    """The listed zone ``name`` stands for ("Asia/Calcutta" → "Asia/Kolkata"); UTC's
    aliases give UTC; a name with no listed equivalent ("Etc/GMT+3") comes back as is."""
    name = name or UTC
    if name in canonical_zones():
        return name
    if name in {"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu"}:
        return UTC
    return _alias_map().get(name, name)


def zone_city(name: str) -> str:
    """The place a zone is named after ("America/Argentina/Buenos_Aires" → "Buenos Aires",
    "America/Indiana/Knox" → "Knox, Indiana"); "" for UTC and for zones that name an offset
    or nothing ("Etc/GMT+3", "EST5EDT")."""
    name = canonical_zone(name)
    parts = name.split("/")
    if name == UTC or parts[0] not in REGIONS and parts[0] not in _UNLISTED_REGIONS:
        return ""
    city = parts[-1].replace("_", " ")
    if len(parts) == 3 and parts[1] in _STATES:
        city = f"{city}, {_STATES[parts[1]]}"
    return city


def _country_name(code: str) -> str:
    from django_countries import countries

    return str(countries.name(code)) or code


@cache
def time_zone_names() -> tuple[str, ...]:
    """The listed zones, UTC first, then by region and city: the picker's order."""
    ordered = sorted(
        filter(_listed, _tables()[0]),
        key=lambda name: (list(REGIONS).index(name.split("/", 1)[0]), zone_city(name).casefold()),
    )
    return (UTC, *ordered)


def listed_zones() -> frozenset[str]:
    """The zones the picker offers."""
    return frozenset(time_zone_names())


def zone_option_label(name: str, at: dt.datetime | None = None) -> str:
    """A picker entry: "Buenos Aires, Argentina (UTC−3)" — city first, so typing a city's
    first letters in the closed list finds it; the country helps tell cities apart."""
    from .timeformat import offset_text, zone_info

    at = at or timezone.now()
    offset = offset_text(at.astimezone(zone_info(name)).utcoffset())
    city = zone_city(name)
    code = _tables()[0].get(canonical_zone(name))
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
        from .timeformat import zone_label

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


def validate_time_zone(value: str) -> None:
    if value not in all_zone_names():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


def viewer_zone_info(request) -> tuple[str, bool]:
    """(zone, fixed): the zone from the viewer's profile and True, else ("UTC", False) — pages
    then render UTC and local-time.js moves it to the browser's zone. One query at most,
    cached on the request."""
    cached = getattr(request, "_viewer_zone_info", None)
    if cached:
        return cached
    zone = ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from .models import Membership

        zone = (
            Membership.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""
        )
    if zone not in all_zone_names():
        zone = ""
    request._viewer_zone_info = (zone, True) if zone else (UTC, False)
    return request._viewer_zone_info
