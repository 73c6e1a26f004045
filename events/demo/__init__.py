"""Sample events for ``manage.py seed_demo``: the events named in the domain notes, in
several time zones, some past with recordings, one full with a waitlist. All sample.

The copy (titles, summaries, agenda, speakers, registrations) lives in
``content/events.json``; this module only builds pages and rows from it.
"""

import datetime as dt
import io
import json
import struct
import wave
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.models import Site

from wagtailmedia.models import Media

from home.models import MenuItem, SiteSettings

from .. import recurrence
from ..models import (
    EventCalendarState,
    EventIndexPage,
    EventPage,
    Registration,
    RegistrationStatus,
    Topic,
)

CONTENT_FILE = Path(__file__).parent / "content" / "events.json"


def load() -> dict:
    """The parsed ``content/events.json``, read afresh."""
    return json.loads(CONTENT_FILE.read_text(encoding="utf-8"))


# One dict per event: slug, title, kind, days from today, local start [hour, minute], hours,
# zone, format, venue [name, city, country], audience, who registers, capacity and extras.
EVENTS = load()["events"]


def seed_events(*, report, home, rng):
    """Create the sample events under ``home`` (idempotent, by slug)."""
    content = load()
    index_spec = content["index"]
    index = home.get_children().filter(slug=index_spec["slug"]).specific().first()
    if index is None:
        index = EventIndexPage(
            title=index_spec["title"],
            slug=index_spec["slug"],
            introduction=index_spec["introduction"],
        )
        home.add_child(instance=index)
        index.save_revision().publish()
        report.note(_("page"), index.title, created=True)
    else:
        report.note(_("page"), index.title, created=False)

    topics = {}
    for name in content["topics"]:
        topics[name], _created = Topic.objects.get_or_create(name=name)

    today = timezone.localdate()
    recording_media = None
    for spec in content["events"]:
        existing = index.get_children().filter(slug=spec["slug"]).first()
        if existing is not None:
            report.note(_("event"), spec["title"], created=False)
            continue
        if spec.get("recording") and recording_media is None:
            recording_media = _sample_recording(content["recording"])
        event = _build_event(spec, content, today, recording_media)
        index.add_child(instance=event)
        event.topics.set([topics[name] for name in spec.get("topics", [])])
        event.save_revision().publish()
        EventCalendarState.for_event(event)
        report.note(_("event"), spec["title"], created=True)

    _seed_registrations(report, content["registrations"])
    _add_menu_item(index, index_spec["menu_label"])


def _build_event(spec, content, today, media):
    day = today + dt.timedelta(days=spec["days"])
    hour, minute = spec["start"]
    start = dt.datetime.combine(day, dt.time(hour, minute))
    end = start + dt.timedelta(hours=spec["hours"])
    venue_name, city, country = spec.get("venue", ("", "", ""))
    note = content["sample_note"]
    event = EventPage(
        title=spec["title"],
        slug=spec["slug"],
        kind=spec["kind"],
        summary=f"{note} {spec['summary']}",
        time_zone=spec["zone"],
        start_date=start.date(),
        start_time=start.time(),
        end_date=end.date(),
        end_time=end.time(),
        format=spec["format"],
        venue_name=venue_name,
        venue_address=content["venue_address"] if venue_name else "",
        venue_city=city,
        venue_country=country,
        online_join_url=(
            content["join_url"].format(slug=spec["slug"]) if spec["format"] != "in_person" else ""
        ),
        audience=spec["audience"],
        registration_audience=spec["registration_audience"],
        capacity=spec.get("capacity"),
        approval_required=spec.get("approval_required", False),
        chatham_house=spec.get("chatham_house", False),
        languages=spec.get("languages", "English"),
        interpretation=spec.get("interpretation", ""),
        cancellation_deadline=None,
    )
    event.body = [("rich_text", f"<p>{note}</p><p>{spec['summary']}</p>")]
    event.agenda = [
        (
            "item",
            {
                "starts": (start + dt.timedelta(minutes=item["minutes_after_start"])).time(),
                "ends": None,
                "title": item["title"],
                "description": item["description"],
                "speaker": item["speaker"],
            },
        )
        for item in content["agenda"]
    ]
    event.speakers = [("speaker", dict(speaker)) for speaker in content["speakers"]]
    if spec.get("questions"):
        event.questions = [
            (question["type"], {k: v for k, v in question.items() if k != "type"})
            for question in spec["questions"]
        ]
    if spec.get("repeat"):
        _make_series(event, spec["repeat"], today)
    if spec.get("recording") and media is not None:
        stage = spec["recording"]
        recording = content["recording"]
        public_after = dt.timedelta(days=recording["public_after_days"])
        event.recordings = [
            (
                "recording",
                {
                    "title": recording["title"],
                    "available_to": stage,
                    "members_from": None,
                    "public_from": today + public_after if stage != "public" else None,
                    "embed": None,
                    "media": media,
                },
            ),
        ]
    return event


def _make_series(event, repeat, today):
    """Six months of a monthly series; the second date skipped, the third moved a day."""
    event.repeat = repeat
    event.repeat_interval = 1
    event.repeat_until = today + dt.timedelta(days=183)
    starts = recurrence.rule_starts(event)
    changes = []
    if len(starts) > 1:
        changes.append(("skip", {"date": starts[1].date()}))
    if len(starts) > 2:
        moved = starts[2].date() + dt.timedelta(days=1)
        changes.append(
            (
                "move",
                {
                    "date": starts[2].date(),
                    "new_date": moved,
                    "new_start_time": dt.time(15, 0),
                    "new_end_time": None,
                },
            )
        )
    event.occurrence_changes = changes


def _sample_recording(recording):
    """A one-second silent WAV, made here so the demo never fetches anything."""
    existing = Media.objects.filter(title=recording["title"]).first()
    if existing is not None:
        return existing
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(struct.pack("<h", 0) * 8000)
    media = Media(title=recording["title"], type="audio", duration=1)
    media.file.save(recording["file_name"], ContentFile(buffer.getvalue()), save=False)
    media.save()
    return media


def _seed_registrations(report, registrations):
    User = get_user_model()
    users = {u.email: u for u in User.objects.filter(email__in={r["email"] for r in registrations})}
    events = {
        e.slug: e for e in EventPage.objects.filter(slug__in={r["event"] for r in registrations})
    }
    now = timezone.now()
    for offset, registration in enumerate(registrations):
        email, status = registration["email"], registration["status"]
        user, event = users.get(email), events.get(registration["event"])
        if user is None or event is None:
            continue
        # Written directly, not through services.registration_create: demo data must not email
        # anyone, and the counts here are chosen to fit each event's capacity.
        _reg, created = Registration.objects.get_or_create(
            event=event,
            user=user,
            defaults={
                "status": status,
                "country": str(getattr(getattr(user, "membership", None), "country", "") or ""),
                "created_at": now + dt.timedelta(seconds=offset),
                "confirmed_at": now if status in (RegistrationStatus.CONFIRMED,) else None,
            },
        )
        report.note(_("registration"), f"{email} → {event.title}", created)


def _add_menu_item(index, label):
    site = Site.objects.filter(is_default_site=True).first()
    settings_row = SiteSettings.objects.filter(site=site).first() if site else None
    if settings_row is None or settings_row.menu_items.filter(page=index).exists():
        return
    last = settings_row.menu_items.order_by("-sort_order").first()
    MenuItem.objects.create(
        settings=settings_row,
        label=label,
        page=index,
        sort_order=(last.sort_order + 1) if last and last.sort_order is not None else 0,
    )
