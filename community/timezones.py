"""IANA time zones: which ones people choose from, what they are called, which ones are valid.

The picker offers the zones of the time zone database's ``zone.tab`` — one or more per
country, named after a city, without the legacy aliases ("US/Eastern", "Etc/GMT+3",
"Asia/Calcutta") that make a list of 600 names unusable. Any name the database knows still
validates, so values stored before this list existed keep working and keep a readable label.
"""

import hashlib
import importlib.resources
import zoneinfo
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
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


def zone_country_code(name: str) -> str | None:
    """The ISO country code the zone table gives the zone, if any."""
    return _tables()[0].get(canonical_zone(name))


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


def validate_time_zone(value: str) -> None:
    if value not in all_zone_names():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")
