"""A large, deterministic data set for the benchmark: events, members, registrations, tokens.

Everything is drawn from ``random.Random(seed)``: the same seed and counts give the same rows
(dates are relative to the day of the run). Rows go in with ``bulk_create``; Wagtail pages get
their treebeard paths computed here rather than through ``add_child``, which would take one
tree lookup, one full save and one search-index task per page.

Forums do not exist yet. When they land, add ``_seed_forums`` (tens of thousands of posts) and
call it from ``seed_large`` where marked below.

bench/run.py calls ``seed_large`` against its own scratch database, never a developer's.
"""

import base64
import datetime as dt
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wagtail.models import Page, Site

from allauth.account.models import EmailAddress

from community import services
from community.models import Membership
from events import recurrence, tokens
from events.models import (
    CalendarToken,
    EventCalendarState,
    EventIndexPage,
    EventPage,
    Registration,
    Topic,
)
from home.models import HomePage

EMAIL_DOMAIN = "bench.example.org"
SAMPLE = "Sample benchmark event; not a real event."
TOPICS = ["Toolkit", "Biometrics", "Human rights", "Procurement", "Generative AI", "Governance"]
KINDS = ["meeting", "workshop", "panel", "webinar", "training", "roundtable"]
FORMATS = ["online", "online", "hybrid", "in_person"]
ZONES = [
    "UTC",
    "Europe/Paris",
    "Asia/Singapore",
    "Africa/Nairobi",
    "America/Argentina/Buenos_Aires",
]
COUNTRIES = ["FR", "SG", "KE", "AR", "BR", "IN", "JP", "NG", "CA", "DE", "MX", "AU", "EG", "ZA"]
# Who may register, for each audience: the narrowest group that may also see the event.
REGISTRATION_FOR = {
    "public": "members",
    "members": "members",
    "law_enforcement": "law_enforcement",
    "staff": "staff",
}
# Audiences a member of each kind can see (non-staff members).
VISIBLE_TO_KIND = {
    Membership.Kind.LAW_ENFORCEMENT: ("public", "members", "law_enforcement"),
    Membership.Kind.EXPERT: ("public", "members"),
    Membership.Kind.OTHER: ("public", "members"),
}


@dataclass
class Seeded:
    """What the benchmark needs to address its pages: ids, slugs and one known token."""

    events: int = 0
    members: int = 0
    registrations: int = 0
    tokens: int = 0
    owner_id: int | None = None
    owner_token: str = ""
    sample_event_url: str = ""
    index_url: str = ""
    timings: dict[str, float] = field(default_factory=dict)


# --- plans: pure, so determinism is testable without a database ----------------------------


def plan_events(count: int, rng: random.Random, today: dt.date) -> list[dict]:
    """Event specs spread over a year either side of ``today``; some series, some cancelled."""
    specs = []
    for i in range(count):
        audience = rng.choices(
            ["public", "members", "law_enforcement", "staff"], weights=[50, 25, 15, 10]
        )[0]
        fmt = rng.choice(FORMATS)
        day = today + dt.timedelta(days=rng.randint(-365, 365))
        hour = rng.randint(6, 18)
        repeat = ""
        if rng.random() < 0.05:
            repeat = rng.choice(["weekly", "monthly_weekday", "monthly_date"])
        spec = {
            "slug": f"bench-event-{i:05d}",
            "title": f"Sample benchmark event {i:05d}: {rng.choice(TOPICS)}",
            "kind": rng.choice(KINDS),
            "format": fmt,
            "audience": audience,
            "registration_audience": REGISTRATION_FOR[audience],
            "zone": rng.choice(ZONES),
            "start_date": day,
            "start_time": dt.time(hour, rng.choice([0, 30])),
            "end_time": dt.time(hour + rng.randint(1, 3), 0),
            "capacity": rng.choice([None, None, 20, 50, 100, 300]),
            "cancelled": rng.random() < 0.05,
            "repeat": repeat,
            "repeat_until": day + dt.timedelta(days=rng.randint(60, 240)) if repeat else None,
            "topics": rng.sample(TOPICS, rng.randint(0, 2)),
            "city": rng.choice(["Lyon", "Singapore", "Nairobi", "Buenos Aires"]),
            "country": rng.choice(COUNTRIES),
        }
        specs.append(spec)
    return specs


def plan_members(count: int, rng: random.Random) -> list[dict]:
    members = []
    for i in range(count):
        members.append(
            {
                "email": f"bench-member-{i:05d}@{EMAIL_DOMAIN}",
                "kind": rng.choices(list(VISIBLE_TO_KIND), weights=[40, 40, 20])[0],
                "verified": rng.random() < 0.9,
                "staff_role": "moderator" if rng.random() < 0.01 else "",
                "country": rng.choice(COUNTRIES),
                "time_zone": rng.choice(["", "", *ZONES]),
            }
        )
    return members


def make_token(rng: random.Random) -> str:
    """A token shaped like ``secrets.token_urlsafe(32)``, but reproducible from the seed."""
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()


# --- writing ------------------------------------------------------------------------------


def ensure_index() -> EventIndexPage:
    """The events index; created under the home page (made if missing) for a bare database."""
    index = EventIndexPage.objects.first()
    if index is not None:
        return index
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(title="Sample home", slug="bench-home", hero_title="Sample home")
        Page.get_first_root_node().add_child(instance=home)
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "port": 80, "root_page": home},
        )
    index = EventIndexPage(title="Events", slug="events")
    home.add_child(instance=index)
    return index


def seed_large(
    *,
    events: int = 3000,
    members: int = 3000,
    registrations: int = 30000,
    token_share: float = 0.1,
    seed: int = 1,
    owner_registrations: int = 30,
    log=None,
) -> Seeded:
    rng = random.Random(seed)
    log = log or (lambda message: None)
    today = timezone.localdate()
    now = timezone.now()
    result = Seeded()

    with transaction.atomic():
        index = ensure_index()
        topics = {name: Topic.objects.get_or_create(name=name)[0] for name in TOPICS}
        with _timed(result.timings, "members"):
            users = _seed_members(plan_members(members, rng), now)
        log(f"members: {len(users)}")
        with _timed(result.timings, "events"):
            pages = _seed_events(index, plan_events(events, rng, today), topics, rng, now)
        log(f"events: {len(pages)}")
        with _timed(result.timings, "registrations"):
            count, owner = _seed_registrations(
                users, pages, registrations, owner_registrations, rng, now
            )
        log(f"registrations: {count}")
        with _timed(result.timings, "tokens"):
            token_count, owner_token = _seed_tokens(users, owner, token_share, rng, now)
        log(f"calendar tokens: {token_count}")
        # Forums: add ``_seed_forums(users, rng, now)`` here once the forums app has models.

    result.events, result.members = len(pages), len(users)
    result.registrations, result.tokens = count, token_count
    result.owner_id, result.owner_token = (owner.pk if owner else None), owner_token
    index.refresh_from_db()
    result.index_url = _site_path(index.url_path)
    sample = _sample_event(pages, now)
    result.sample_event_url = _site_path(sample.url_path) if sample else ""
    return result


def _seed_members(plans, now):
    User = get_user_model()
    # Nobody signs in with a password here: sessions are made through the ORM.
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=p["email"], email=p["email"], password=unusable, date_joined=now)
            for p in plans
        ],
        batch_size=1000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=1000,
    )
    memberships = Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                status=Membership.Status.VERIFIED if p["verified"] else Membership.Status.PENDING,
                kind=p["kind"],
                full_name=f"Sample member {i:05d}",
                organisation="Sample agency",
                organisation_type=Membership.OrganisationType.POLICE,
                country=p["country"],
                time_zone=p["time_zone"],
                staff_role=p["staff_role"],
                applied_at=now,
                verified_at=now if p["verified"] else None,
                expires_at=now + dt.timedelta(days=730) if p["verified"] else None,
            )
            for i, (user, p) in enumerate(zip(users, plans, strict=True))
        ],
        batch_size=1000,
    )
    # Groups through the service, as vetting would leave them; bulk rows skip its signals.
    for membership in memberships:
        if membership.status == Membership.Status.VERIFIED:
            services.sync_groups(membership)
    for user, membership in zip(users, memberships, strict=True):
        user.bench_membership = membership
    return users


def _seed_events(index, plans, topics, rng, now):
    content_type = ContentType.objects.get_for_model(EventPage)
    last = index.get_last_child()
    first_step = (last._get_lastpos_in_path() + 1) if last else 1
    depth = index.depth + 1
    built = []
    for offset, spec in enumerate(plans):
        event = _build_event(spec, content_type, index, depth, first_step + offset, rng, now)
        built.append(event)
    base_fields = [f.attname for f in Page._meta.concrete_fields if f.attname != "id"]
    parents = Page.objects.bulk_create(
        [Page(**{name: getattr(e, name) for name in base_fields}) for e in built],
        batch_size=500,
    )
    for event, parent in zip(built, parents, strict=True):
        event.page_ptr_id = event.id = parent.pk
        # raw=True writes only EventPage's own table (the Page row exists) and skips the
        # search-index task; Django's bulk_create refuses multi-table models outright.
        event.save_base(raw=True, force_insert=True)
    Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + len(built))

    through = EventPage.topics.through
    through.objects.bulk_create(
        [
            through(eventpage_id=event.pk, topic_id=topics[name].pk)
            for event, spec in zip(built, plans, strict=True)
            for name in spec["topics"]
        ],
        batch_size=2000,
    )
    EventCalendarState.objects.bulk_create(
        [
            EventCalendarState(
                event_id=event.pk,
                uid=uuid.UUID(int=rng.getrandbits(128), version=4),
                fingerprint=event.significant_fingerprint(),
                changed_at=now,
            )
            for event in built
        ],
        batch_size=1000,
    )
    return built


def _build_event(spec, content_type, index, depth, step, rng, now):
    in_person = spec["format"] != "online"
    event = EventPage(
        title=spec["title"],
        draft_title=spec["title"],
        slug=spec["slug"],
        content_type=content_type,
        path=Page._get_path(index.path, depth, step),
        depth=depth,
        numchild=0,
        url_path=f"{index.url_path}{spec['slug']}/",
        locale_id=index.locale_id,
        translation_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        live=True,
        has_unpublished_changes=False,
        first_published_at=now,
        last_published_at=now,
        kind=spec["kind"],
        summary=f"{SAMPLE} A session on {spec['title'].split(': ', 1)[1].lower()}.",
        time_zone=spec["zone"],
        start_date=spec["start_date"],
        start_time=spec["start_time"],
        end_date=spec["start_date"],
        end_time=spec["end_time"],
        repeat=spec["repeat"],
        repeat_until=spec["repeat_until"],
        format=spec["format"],
        venue_name="Sample venue" if in_person else "",
        venue_address="1 Sample Street" if in_person else "",
        venue_city=spec["city"] if in_person else "",
        venue_country=spec["country"] if in_person else "",
        online_join_url="" if spec["format"] == "in_person" else "https://meet.example.org/s",
        audience=spec["audience"],
        registration_audience=spec["registration_audience"],
        capacity=spec["capacity"],
        status="cancelled" if spec["cancelled"] else "scheduled",
        languages="English",
    )
    event.body = [("rich_text", f"<p>{SAMPLE}</p><p>Agenda and speakers to follow.</p>")]
    # EventPage.save() derives these; save_base(raw=True) below does not call it.
    event.start, event.end = event.compute_instants()
    event.last_end = recurrence.series_end(event) if event.is_recurring else event.end
    return event


def _seed_registrations(users, pages, wanted, owner_registrations, rng, now):
    verified = [u for u in users if u.bench_membership.status == Membership.Status.VERIFIED]
    if not verified or not pages:
        return 0, None
    by_audience = {}
    for event in pages:
        if event.registration_audience != "staff":
            by_audience.setdefault(event.audience, []).append(event)
    visible = {
        kind: [e for audience in audiences for e in by_audience.get(audience, [])]
        for kind, audiences in VISIBLE_TO_KIND.items()
    }
    # The benchmark's signed-in member: a law-enforcement member with a full "My events".
    owner = next(
        (
            u
            for u in verified
            if u.bench_membership.kind == Membership.Kind.LAW_ENFORCEMENT
            and not u.bench_membership.staff_role
        ),
        verified[0],
    )
    pairs = set()
    rows = []

    def add(user, event):
        if (user.pk, event.pk) in pairs:
            return
        pairs.add((user.pk, event.pk))
        rows.append(_registration(user, event, len(rows), rng, now))

    owner_events = visible[owner.bench_membership.kind]
    for event in rng.sample(owner_events, min(owner_registrations, len(owner_events))):
        add(owner, event)
    attempts = 0
    # Bounded: a tiny data set may not have ``wanted`` distinct pairs to give.
    while len(rows) < wanted and attempts < wanted * 3:
        attempts += 1
        user = rng.choice(verified)
        choices = visible[user.bench_membership.kind]
        if choices:
            add(user, rng.choice(choices))
    Registration.objects.bulk_create(rows, batch_size=2000)
    return len(rows), owner


def _registration(user, event, n, rng, now):
    past = event.last_end <= now
    if past:
        status = rng.choices(["attended", "confirmed", "cancelled"], weights=[60, 20, 20])[0]
    else:
        status = rng.choices(
            ["confirmed", "waitlisted", "pending", "cancelled"], weights=[75, 10, 5, 10]
        )[0]
    created = min(event.start, now) - dt.timedelta(days=rng.randint(1, 60), seconds=n)
    return Registration(
        event_id=event.pk,
        user_id=user.pk,
        status=status,
        country=user.bench_membership.country,
        created_at=created,
        confirmed_at=created if status in ("confirmed", "attended") else None,
        cancelled_at=created + dt.timedelta(days=1) if status == "cancelled" else None,
    )


def _seed_tokens(users, owner, share, rng, now):
    holders = [u for u in users if u is owner or rng.random() < share]
    owner_token = ""
    rows = []
    for user in holders:
        token = make_token(rng)
        if user is owner:
            owner_token = token
        rows.append(CalendarToken(user=user, token_hash=tokens.hash_token(token), created_at=now))
    CalendarToken.objects.bulk_create(rows, batch_size=1000)
    return len(rows), owner_token


def _site_path(url_path: str) -> str:
    """The address of a page under the default site (url_path starts with the site root's)."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    root = site.root_page.url_path if site else "/"
    return "/" + url_path.removeprefix(root) if url_path.startswith(root) else url_path


def _sample_event(pages, now):
    """A public, upcoming, scheduled event with seats counted: the typical page to open."""
    for event in sorted(pages, key=lambda e: e.start):
        if (
            event.audience == "public"
            and event.start > now
            and event.status == "scheduled"
            and event.capacity
            and not event.is_recurring
        ):
            return event
    return next(iter(pages), None)


@contextmanager
def _timed(into, name):
    started = time.perf_counter()
    try:
        yield
    finally:
        into[name] = round(time.perf_counter() - started, 2)
