"""The kind / format / topic (and, on the listing, audience) filters: parsed once, here, for
the listing, the feeds and the feed links the listing offers.

The feeds are strict (an unknown value is an error the subscriber should see: their calendar
would otherwise silently show everything); the listing is forgiving (a stale bookmark shows
all events rather than an error page). Both read the same syntax: repeatable
(``?kind=a&kind=b``) or comma-separated (``?kind=a,b``)."""

import re
from dataclasses import dataclass

from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .choices import EventFormat, EventKind

# Control characters (NUL above all: PostgreSQL refuses it in any text parameter) never
# belong in a filter value; they are refused before anything reaches the database.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SLUG = re.compile(r"^[-\w]+$")
#: More values than any real filter needs only make a bigger query.
MAX_FILTER_VALUES = 50
#: The filters a calendar feed accepts (the audience is the subscriber's, not a choice).
FEED_KEYS = ("kind", "topic", "format")


class FilterError(ValueError):
    pass


def _values(query, key, *, strict) -> list[str]:
    found = []
    raws = query.getlist(key) if hasattr(query, "getlist") else [query.get(key) or ""]
    for raw in raws:
        if _CONTROL.search(raw):
            if not strict:
                continue
            raise FilterError(
                _("The %(name)s filter contains characters that are not allowed.") % {"name": key}
            )
        found.extend(v.strip() for v in raw.split(",") if v.strip())
    if len(found) > MAX_FILTER_VALUES:
        if not strict:
            return found[:MAX_FILTER_VALUES]
        raise FilterError(
            _("Choose at most %(n)s values for %(name)s.") % {"n": MAX_FILTER_VALUES, "name": key}
        )
    return found


def _known(values, allowed, key, *, strict, message=None) -> tuple[str, ...]:
    unknown = [v for v in values if v not in allowed]
    if unknown and strict:
        raise FilterError(
            message % {"values": ", ".join(unknown)}
            if message
            else _("Unknown %(name)s: %(values)s. Known values: %(known)s.")
            % {"name": key, "values": ", ".join(unknown), "known": ", ".join(allowed)}
        )
    return tuple(dict.fromkeys(v for v in values if v in allowed))


@dataclass(frozen=True)
class EventFilters:
    kinds: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()

    @classmethod
    def parse(cls, query, *, topics=(), audiences=(), strict=True) -> "EventFilters":
        """The filters in ``query`` (a QueryDict or a dict). ``topics``: the known topic
        slugs; ``audiences``: the audiences this viewer may filter by. Strict parsing raises
        :class:`FilterError` on anything unknown."""
        kinds = _known(
            _values(query, "kind", strict=strict), EventKind.values, "kind", strict=strict
        )
        formats = _known(
            _values(query, "format", strict=strict), EventFormat.values, "format", strict=strict
        )
        asked = [t for t in _values(query, "topic", strict=strict) if strict or _SLUG.match(t)]
        topic_slugs = _known(
            asked,
            set(topics) if asked else set(),
            "topic",
            strict=strict,
            message=_("Unknown topic: %(values)s."),
        )
        chosen_audiences = _known(
            _values(query, "audience", strict=False), list(audiences), "audience", strict=False
        )
        return cls(kinds, formats, topic_slugs, chosen_audiences)

    def __bool__(self):
        return bool(self.kinds or self.formats or self.topics or self.audiences)

    # The listing's selects show one value each.
    @property
    def kind(self) -> str:
        return self.kinds[0] if self.kinds else ""

    @property
    def format(self) -> str:
        return self.formats[0] if self.formats else ""

    @property
    def topic(self) -> str:
        return self.topics[0] if self.topics else ""

    @property
    def audience(self) -> str:
        return self.audiences[0] if self.audiences else ""

    def apply(self, qs):
        """``qs`` (event pages) narrowed to these filters."""
        if self.kinds:
            qs = qs.filter(kind__in=self.kinds)
        if self.formats:
            qs = qs.filter(format__in=self.formats)
        if self.audiences:
            qs = qs.filter(audience__in=self.audiences)
        if self.topics:
            # A subquery rather than a join: an event with two chosen topics appears once.
            qs = qs.filter(
                pk__in=qs.model.objects.filter(topics__slug__in=self.topics).values("pk")
            )
        return qs

    def feed_query(self) -> str:
        """These filters as the calendar feed's query string (without the audience)."""
        pairs = [(key, value) for key in FEED_KEYS for value in getattr(self, f"{key}s")]
        return urlencode(pairs)
