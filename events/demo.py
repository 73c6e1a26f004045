"""Sample events for ``manage.py seed_demo``: the events named in the domain notes, in
several time zones, some past with recordings, one full with a waitlist. All sample."""

import datetime as dt
import io
import struct
import wave

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.models import Site

from wagtailmedia.models import Media

from home.models import MenuItem, SiteSettings

from . import recurrence
from .models import (
    EventCalendarState,
    EventIndexPage,
    EventPage,
    Registration,
    RegistrationStatus,
    Topic,
)

SAMPLE_NOTE = "Sample event for demonstration; not a real event."
JOIN_URL = "https://meet.example.org/sample-room-{slug}"

TOPICS = [
    "Toolkit",
    "Biometrics",
    "Human rights",
    "Procurement",
    "Generative AI",
    "Governance",
    "Evidence",
    "Training",
]

# (slug, title, kind, days from today, local start, hours, zone, format, venue/city/country,
#  audience, who registers, capacity, extra)
EVENTS = [
    dict(
        slug="getting-started-with-the-toolkit",
        title="Getting started with the Responsible AI Toolkit",
        kind="webinar",
        days=10,
        start=(9, 0),
        hours=1.5,
        zone="Asia/Singapore",
        format="online",
        audience="public",
        registration_audience="members",
        languages="English",
        interpretation="Arabic, French, Spanish",
        topics=["Toolkit"],
        summary="A guided tour of the seven Toolkit resources and how agencies start using "
        "them, with interpretation into Arabic, French and Spanish.",
    ),
    dict(
        slug="facial-recognition-and-human-rights",
        title="Facial recognition and human rights: necessity and proportionality",
        kind="panel",
        days=17,
        start=(14, 0),
        hours=2,
        zone="Europe/Paris",
        format="hybrid",
        venue=("Sample conference centre", "Lyon", "FR"),
        audience="public",
        registration_audience="members",
        capacity=60,
        topics=["Biometrics", "Human rights"],
        summary="Experts in human-rights law and police practitioners discuss when 1:1 and "
        "1:N facial recognition can be necessary and proportionate.",
    ),
    dict(
        slug="risk-assessing-an-lpr-pilot",
        title="Risk-assessing a licence-plate recognition pilot",
        kind="workshop",
        days=24,
        start=(10, 0),
        hours=3,
        zone="America/Argentina/Buenos_Aires",
        format="in_person",
        venue=("Sample training academy", "Buenos Aires", "AR"),
        audience="law_enforcement",
        registration_audience="law_enforcement",
        capacity=1,
        topics=["Toolkit", "Biometrics"],
        questions=[
            (
                "text",
                {
                    "label": "Which system is your agency considering?",
                    "help_text": "",
                    "required": True,
                },
            ),
            (
                "yes_no",
                {
                    "label": "Has a data protection impact assessment been started?",
                    "help_text": "",
                    "required": False,
                },
            ),
        ],
        summary="A hands-on workshop working through the Risk Assessment Questionnaire for "
        "a sample licence-plate recognition pilot. Law enforcement only; seats are limited.",
    ),
    dict(
        slug="ai-governance-for-police-leadership",
        title="AI governance for police leadership",
        kind="roundtable",
        days=31,
        start=(15, 0),
        hours=2,
        zone="Africa/Nairobi",
        format="in_person",
        venue=("Sample leadership college", "Nairobi", "KE"),
        audience="members",
        registration_audience="members",
        capacity=20,
        approval_required=True,
        chatham_house=True,
        topics=["Governance"],
        summary="An executive roundtable under the Chatham House rule on accountability, "
        "traceability and auditability of AI in policing.",
    ),
    dict(
        slug="generative-ai-for-report-drafting",
        title="Generative AI for report drafting and translation",
        kind="meeting",
        days=5,
        start=(12, 0),
        hours=1,
        zone="Europe/Paris",
        format="online",
        audience="members",
        registration_audience="members",
        topics=["Generative AI"],
        repeat="monthly_weekday",
        summary="A monthly discussion room for members sharing experience with generative AI "
        "for drafting and translating reports, and the oversight it needs.",
    ),
    dict(
        slug="procurement-due-diligence-clinic",
        title="Procurement due diligence: questions for AI vendors",
        kind="training",
        days=-20,
        start=(9, 30),
        hours=2,
        zone="Asia/Singapore",
        format="online",
        audience="public",
        registration_audience="members",
        topics=["Procurement"],
        recording="public",
        summary="A clinic on the questions agencies should ask AI vendors before procurement.",
    ),
    dict(
        slug="deepfakes-as-evidence",
        title="Deepfakes and synthetic media as evidence",
        kind="panel",
        days=-45,
        start=(16, 0),
        hours=1.5,
        zone="America/Argentina/Buenos_Aires",
        format="online",
        audience="public",
        registration_audience="members",
        topics=["Evidence", "Generative AI"],
        recording="members",
        summary="How courts and investigators assess the reliability of media that may be "
        "synthetic.",
    ),
    dict(
        slug="human-oversight-and-automation-bias",
        title="Human oversight and automation bias for analysts",
        kind="training",
        days=38,
        start=(8, 0),
        hours=4,
        zone="Asia/Singapore",
        format="online",
        audience="members",
        registration_audience="members",
        capacity=3,
        topics=["Training"],
        summary="A training for analysts on keeping meaningful human control over AI "
        "recommendations.",
    ),
]

# (event slug, account email, status)
REGISTRATIONS = [
    ("getting-started-with-the-toolkit", "member@example.org", "confirmed"),
    ("getting-started-with-the-toolkit", "le-member@example.org", "confirmed"),
    ("facial-recognition-and-human-rights", "expert@example.org", "confirmed"),
    ("risk-assessing-an-lpr-pilot", "le-member@example.org", "confirmed"),
    ("risk-assessing-an-lpr-pilot", "moderator@example.org", "waitlisted"),
    ("ai-governance-for-police-leadership", "member@example.org", "pending"),
    ("procurement-due-diligence-clinic", "le-member@example.org", "attended"),
    ("deepfakes-as-evidence", "expert@example.org", "attended"),
]


def seed_events(*, report, home, rng):
    """Create the sample events under ``home`` (idempotent, by slug)."""
    index = home.get_children().filter(slug="events").specific().first()
    if index is None:
        index = EventIndexPage(
            title="Events",
            slug="events",
            introduction="Sample content for demonstration. Meetings, workshops, panels and "
            "trainings of the lab.",
        )
        home.add_child(instance=index)
        index.save_revision().publish()
        report.note(_("page"), index.title, created=True)
    else:
        report.note(_("page"), index.title, created=False)

    topics = {}
    for name in TOPICS:
        topics[name], _created = Topic.objects.get_or_create(name=name)

    today = timezone.localdate()
    recording_media = None
    for spec in EVENTS:
        existing = index.get_children().filter(slug=spec["slug"]).first()
        if existing is not None:
            report.note(_("event"), spec["title"], created=False)
            continue
        if spec.get("recording") and recording_media is None:
            recording_media = _sample_recording()
        event = _build_event(spec, today, recording_media)
        index.add_child(instance=event)
        event.topics.set([topics[name] for name in spec.get("topics", [])])
        event.save_revision().publish()
        EventCalendarState.for_event(event)
        report.note(_("event"), spec["title"], created=True)

    _seed_registrations(report)
    _add_menu_item(index)


def _build_event(spec, today, media):
    day = today + dt.timedelta(days=spec["days"])
    hour, minute = spec["start"]
    start = dt.datetime.combine(day, dt.time(hour, minute))
    end = start + dt.timedelta(hours=spec["hours"])
    venue_name, city, country = spec.get("venue", ("", "", ""))
    event = EventPage(
        title=spec["title"],
        slug=spec["slug"],
        kind=spec["kind"],
        summary=f"{SAMPLE_NOTE} {spec['summary']}",
        time_zone=spec["zone"],
        start_date=start.date(),
        start_time=start.time(),
        end_date=end.date(),
        end_time=end.time(),
        format=spec["format"],
        venue_name=venue_name,
        venue_address="1 Sample Street" if venue_name else "",
        venue_city=city,
        venue_country=country,
        online_join_url=(
            JOIN_URL.format(slug=spec["slug"]) if spec["format"] != "in_person" else ""
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
    event.body = [("rich_text", f"<p>{SAMPLE_NOTE}</p><p>{spec['summary']}</p>")]
    event.agenda = [
        (
            "item",
            {
                "starts": dt.time(hour, minute),
                "ends": None,
                "title": "Welcome",
                "description": "",
                "speaker": "Sample moderator",
            },
        ),
        (
            "item",
            {
                "starts": (start + dt.timedelta(minutes=15)).time(),
                "ends": None,
                "title": "Discussion",
                "description": "",
                "speaker": "",
            },
        ),
    ]
    event.speakers = [
        (
            "speaker",
            {"name": "Sample speaker", "affiliation": "Sample University", "role": "Speaker"},
        ),
    ]
    if spec.get("questions"):
        event.questions = spec["questions"]
    if spec.get("repeat"):
        _make_series(event, spec["repeat"], today)
    if spec.get("recording") and media is not None:
        stage = spec["recording"]
        event.recordings = [
            (
                "recording",
                {
                    "title": "Sample recording (silent placeholder)",
                    "available_to": stage,
                    "members_from": None,
                    "public_from": today + dt.timedelta(days=30) if stage != "public" else None,
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


def _sample_recording():
    """A one-second silent WAV, made here so the demo never fetches anything."""
    existing = Media.objects.filter(title="Sample recording (silent placeholder)").first()
    if existing is not None:
        return existing
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(struct.pack("<h", 0) * 8000)
    media = Media(title="Sample recording (silent placeholder)", type="audio", duration=1)
    media.file.save("sample-recording.wav", ContentFile(buffer.getvalue()), save=False)
    media.save()
    return media


def _seed_registrations(report):
    User = get_user_model()
    users = {u.email: u for u in User.objects.filter(email__in={r[1] for r in REGISTRATIONS})}
    events = {e.slug: e for e in EventPage.objects.filter(slug__in={r[0] for r in REGISTRATIONS})}
    now = timezone.now()
    for offset, (slug, email, status) in enumerate(REGISTRATIONS):
        user, event = users.get(email), events.get(slug)
        if user is None or event is None:
            continue
        # Written directly, not through services.register: demo data must not email anyone,
        # and the counts here are chosen to fit each event's capacity.
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


def _add_menu_item(index):
    site = Site.objects.filter(is_default_site=True).first()
    settings_row = SiteSettings.objects.filter(site=site).first() if site else None
    if settings_row is None or settings_row.menu_items.filter(page=index).exists():
        return
    last = settings_row.menu_items.order_by("-sort_order").first()
    MenuItem.objects.create(
        settings=settings_row,
        label="Events",
        page=index,
        sort_order=(last.sort_order + 1) if last and last.sort_order is not None else 0,
    )
