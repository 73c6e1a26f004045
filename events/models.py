"""Events: index and event pages, their calendar state, and registrations."""

import datetime as dt
import hashlib
import uuid
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from django_countries.fields import CountryField
from modelcluster.fields import ParentalManyToManyField

from community import access
from community.timezones import TimeZoneSelect, validate_time_zone
from home.blocks import BodyBlock

from . import recurrence
from .blocks import (
    AgendaItemBlock,
    MaterialBlock,
    MoveOccurrenceBlock,
    QuestionsBlock,
    RecordingBlock,
    SkipOccurrenceBlock,
    SpeakerBlock,
)


@register_snippet
class Topic(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name, allow_unicode=True)
        super().save(*args, **kwargs)


class EventKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    WORKSHOP = "workshop", _("Workshop")
    PANEL = "panel", _("Panel discussion")
    WEBINAR = "webinar", _("Webinar")
    TRAINING = "training", _("Training")
    ROUNDTABLE = "roundtable", _("Roundtable")


class EventFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


class Repeat(models.TextChoices):
    NONE = "", _("Does not repeat")
    WEEKLY = "weekly", _("Every week (or every N weeks)")
    MONTHLY_WEEKDAY = "monthly_weekday", _("Every month on the same weekday, e.g. first Tuesday")
    MONTHLY_DATE = "monthly_date", _("Every month on the same date")


class RegistrationAudience(models.TextChoices):
    """Who may register. Always a subset of who may see the event."""

    NOBODY = "nobody", _("No registration")
    # Outside speakers, academia, industry and civil society: any account with a confirmed
    # email address, vetted or not. Only on public events.
    SIGNED_IN = "signed_in", _("Anyone signed in with a confirmed email address")
    MEMBERS = access.Audience.MEMBERS.value, _("Verified members")
    LAW_ENFORCEMENT = access.Audience.LAW_ENFORCEMENT.value, _("Law-enforcement members")
    STAFF = access.Audience.STAFF.value, _("Lab staff")


class EventPageQuerySet(access.VisibleQuerySetMixin, PageQuerySet):
    pass


EventPageManager = PageManager.from_queryset(EventPageQuerySet)


class EventIndexPage(Page):
    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["events.EventPage"]
    max_count = 1

    class Meta:
        verbose_name = _("event index page")


class EventPage(Page):
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    summary = models.TextField(_("summary"), max_length=600)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("description"))
    topics = ParentalManyToManyField(
        Topic, blank=True, related_name="events", verbose_name=_("topics")
    )

    # Editors enter wall-clock date and time in the event's own zone; ``start``/``end`` are
    # the derived instants (UTC in the database) every query and calendar uses.
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    start_date = models.DateField(_("start date"))
    start_time = models.TimeField(
        _("start time"), null=True, blank=True, help_text=_("Empty for an all-day event.")
    )
    end_date = models.DateField(_("end date"))
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    start = models.DateTimeField(_("starts"), editable=False, db_index=True)
    end = models.DateTimeField(_("ends"), editable=False)
    # For a series, when its last occurrence ends; equal to ``end`` otherwise. Listings use it
    # to keep a series among upcoming events until its last date.
    last_end = models.DateTimeField(
        _("last occurrence ends"), editable=False, db_index=True, null=True
    )

    repeat = models.CharField(
        _("repeats"), max_length=20, choices=Repeat.choices, blank=True, default=""
    )
    repeat_interval = models.PositiveSmallIntegerField(
        _("every"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 = every week or month, 2 = every other one, …"),
    )
    repeat_until = models.DateField(_("repeats until"), null=True, blank=True)
    occurrence_changes = StreamField(
        [("skip", SkipOccurrenceBlock()), ("move", MoveOccurrenceBlock())],
        blank=True,
        verbose_name=_("skipped and moved dates"),
    )

    format = models.CharField(
        _("format"), max_length=20, choices=EventFormat.choices, default=EventFormat.ONLINE
    )
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    venue_address = models.TextField(_("address"), blank=True)
    venue_city = models.CharField(_("city"), max_length=120, blank=True)
    venue_country = CountryField(_("country"), blank=True)
    online_join_url = models.URLField(
        _("online join link"),
        blank=True,
        help_text=_("Shown only to confirmed registrants, never on public pages or feeds."),
    )

    audience = models.CharField(
        _("who may see it"),
        max_length=20,
        choices=access.Audience.choices,
        default=access.Audience.PUBLIC,
        db_index=True,
    )
    registration_audience = models.CharField(
        _("who may register"),
        max_length=20,
        choices=RegistrationAudience.choices,
        default=RegistrationAudience.MEMBERS,
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty for unlimited seats.")
    )
    country_quota = models.PositiveIntegerField(
        _("seats per country"),
        null=True,
        blank=True,
        help_text=_("Optional: at most this many confirmed seats for one member country."),
    )
    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(_("registration closes"), null=True, blank=True)
    cancellation_deadline = models.DateTimeField(
        _("registrants may cancel until"), null=True, blank=True
    )
    approval_required = models.BooleanField(_("registrations need approval"), default=False)
    questions = StreamField(QuestionsBlock(), blank=True, verbose_name=_("registration questions"))

    agenda = StreamField([("item", AgendaItemBlock())], blank=True, verbose_name=_("agenda"))
    speakers = StreamField([("speaker", SpeakerBlock())], blank=True, verbose_name=_("speakers"))
    languages = models.CharField(
        _("languages"), max_length=200, blank=True, help_text=_("For example: English")
    )
    interpretation = models.CharField(
        _("interpretation"),
        max_length=200,
        blank=True,
        help_text=_("For example: Arabic, French, Spanish"),
    )
    chatham_house = models.BooleanField(_("Chatham House rule"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.SCHEDULED
    )
    materials = StreamField(
        [("material", MaterialBlock())], blank=True, verbose_name=_("materials")
    )
    recordings = StreamField(
        [("recording", RecordingBlock())], blank=True, verbose_name=_("recordings")
    )

    objects = EventPageManager()

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("status")]),
        FieldPanel("summary"),
        FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel(
            [
                FieldPanel("time_zone", widget=TimeZoneSelect()),
                FieldRowPanel([FieldPanel("start_date"), FieldPanel("start_time")]),
                FieldRowPanel([FieldPanel("end_date"), FieldPanel("end_time")]),
            ],
            heading=_("When (in the event's time zone)"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("repeat"),
                        FieldPanel("repeat_interval"),
                        FieldPanel("repeat_until"),
                    ]
                ),
                FieldPanel("occurrence_changes"),
            ],
            heading=_("Repeats"),
            classname="collapsed",
        ),
        MultiFieldPanel(
            [
                FieldPanel("format"),
                FieldPanel("venue_name"),
                FieldPanel("venue_address"),
                FieldRowPanel([FieldPanel("venue_city"), FieldPanel("venue_country")]),
                FieldPanel("online_join_url"),
            ],
            heading=_("Where"),
        ),
        FieldPanel("body"),
        FieldPanel("agenda"),
        FieldPanel("speakers"),
        FieldRowPanel([FieldPanel("languages"), FieldPanel("interpretation")]),
        FieldPanel("chatham_house"),
    ]
    registration_panels = [
        FieldRowPanel([FieldPanel("audience"), FieldPanel("registration_audience")]),
        FieldRowPanel([FieldPanel("capacity"), FieldPanel("country_quota")]),
        FieldRowPanel([FieldPanel("registration_opens"), FieldPanel("registration_closes")]),
        FieldPanel("cancellation_deadline"),
        FieldPanel("approval_required"),
        FieldPanel("questions"),
    ]
    after_panels = [FieldPanel("materials"), FieldPanel("recordings")]

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.FilterField("audience"),
        index.FilterField("start"),
        index.FilterField("kind"),
    ]

    parent_page_types = ["events.EventIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("event page")
        ordering = ["start"]

    # --- time ---------------------------------------------------------------------------

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone or "UTC")

    @property
    def all_day(self):
        return self.start_time is None

    def compute_instants(self):
        zone = self.zone
        if self.all_day:
            start = dt.datetime.combine(self.start_date, dt.time.min, zone)
            # An all-day event ends at the end of its last day.
            end = dt.datetime.combine(self.end_date + dt.timedelta(days=1), dt.time.min, zone)
        else:
            start = dt.datetime.combine(self.start_date, self.start_time, zone)
            end = dt.datetime.combine(self.end_date, self.end_time or self.start_time, zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def clean(self):
        super().clean()
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The event cannot end before it starts.")
        if self.start_time is None and self.end_time is not None:
            errors["start_time"] = _("Give a start time, or leave both times empty.")
        if self.start_date and self.end_date and not errors and self.time_zone:
            try:
                start, end = self.compute_instants()
            except zoneinfo.ZoneInfoNotFoundError:
                start = end = None
            if start and end and end <= start and not self.all_day:
                errors["end_time"] = _("The event must end after it starts.")
        if self.repeat:
            if not self.repeat_until:
                errors["repeat_until"] = _("Give the last date of the series.")
            elif self.start_date and self.repeat_until < self.start_date:
                errors["repeat_until"] = _("The series cannot end before its first date.")
            elif self.start_date and (self.repeat_until - self.start_date).days > 3 * 366:
                errors["repeat_until"] = _("A series can run for at most three years.")
            if self.start_date and self.end_date and self.end_date != self.start_date:
                errors["end_date"] = _("Each occurrence of a series starts and ends on one day.")
        if (
            self.registration_opens
            and self.registration_closes
            and (self.registration_closes <= self.registration_opens)
        ):
            errors["registration_closes"] = _("Registration must close after it opens.")
        if self.format in (EventFormat.IN_PERSON, EventFormat.HYBRID) and not self.venue_name:
            errors["venue_name"] = _("In-person and hybrid events need a venue.")
        if not self.registration_audience_within_audience():
            errors["registration_audience"] = _(
                "Who may register must be among those who may see the event."
            )
        if errors:
            raise ValidationError(errors)

    def registration_audience_within_audience(self):
        if self.registration_audience == RegistrationAudience.NOBODY:
            return True
        narrower = {
            access.Audience.PUBLIC: {"signed_in", "members", "law_enforcement", "staff"},
            access.Audience.MEMBERS: {"members", "law_enforcement", "staff"},
            access.Audience.LAW_ENFORCEMENT: {"law_enforcement", "staff"},
            access.Audience.STAFF: {"staff"},
        }
        return self.registration_audience in narrower.get(self.audience, set())

    def save(self, *args, **kwargs):
        if self.start_date and self.end_date:
            self.start, self.end = self.compute_instants()
            self.last_end = recurrence.series_end(self) if self.is_recurring else self.end
        super().save(*args, **kwargs)

    @property
    def is_recurring(self):
        return recurrence.is_recurring(self)

    def next_occurrences(self, limit=3, now=None):
        return recurrence.occurrences(self, after=now or timezone.now(), limit=limit)

    # --- state ---------------------------------------------------------------------------

    @property
    def is_cancelled(self):
        return self.status == EventStatus.CANCELLED

    def is_over_at(self, now) -> bool:
        """Whether the event is over at ``now``: its last occurrence has ended. The one
        predicate for "over" (a series is not over while a date is still to come)."""
        return (self.last_end or self.end) <= now

    @property
    def is_over(self) -> bool:
        return self.is_over_at(timezone.now())

    def next_start_after(self, now):
        """When the next date still to begin starts (UTC), or None when none is left."""
        if not self.is_recurring:
            return self.start if self.start > now else None
        for occurrence in recurrence.occurrences(self, after=now):
            if occurrence.start > now:
                return occurrence.start.astimezone(dt.UTC)
        return None

    def registration_state(self, now=None):
        """Why the registration form is shown or not: "open" or the reason it is closed."""
        now = now or timezone.now()
        if self.registration_audience == RegistrationAudience.NOBODY:
            return "none"
        if self.status != EventStatus.SCHEDULED:
            return "not_scheduled"
        # A registration covers every date still to come, so a series takes registrations
        # until its last date has begun; a single event until it begins.
        if self.next_start_after(now) is None:
            return "started"
        if self.registration_opens and now < self.registration_opens:
            return "not_open"
        if self.registration_closes and now >= self.registration_closes:
            return "closed"
        return "open"

    def registration_is_open(self, now=None) -> bool:
        return self.registration_state(now) == "open"

    def may_cancel_until(self, now=None):
        """Until when a registrant may cancel: the editor's deadline, else the start of the
        next date (for a series, the next date still to come; once the last one has begun,
        its start, which is past)."""
        if self.cancellation_deadline:
            return self.cancellation_deadline
        now = now or timezone.now()
        upcoming = self.next_start_after(now)
        if upcoming is not None:
            return upcoming
        if self.is_recurring:
            starts = [o.start for o in recurrence.occurrences(self)]
            if starts:
                return max(starts).astimezone(dt.UTC)
        return self.start

    def may_cancel_at(self, now) -> bool:
        return now < self.may_cancel_until(now)

    def significant_fingerprint(self):
        """What attendees' calendars depend on: time, place, status."""
        parts = [
            self.start.isoformat(),
            self.end.isoformat(),
            self.time_zone,
            self.status,
            self.format,
            self.venue_name,
            self.venue_address,
            self.venue_city,
            str(self.venue_country),
            self.title,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    @cached_property
    def calendar(self):
        return EventCalendarState.for_event(self)

    def serve(self, request, *args, **kwargs):
        from django.http import Http404

        # Missing and forbidden look the same.
        if not access.can(request.user, "view", self):
            raise Http404
        if request.method == "POST":
            # The registration form posts to the page itself, so every answer — success or
            # refusal — is at the event's own address.
            from . import views

            return views.register_on_page(request, self)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from . import views

        context = super().get_context(request, *args, **kwargs)
        context.update(views.event_page_context(request, self))
        return context


from wagtail.admin.panels import ObjectList, TabbedInterface  # noqa: E402

EventPage.edit_handler = TabbedInterface(
    [
        ObjectList(EventPage.content_panels, heading=_("Content")),
        ObjectList(EventPage.registration_panels, heading=_("Registration")),
        ObjectList(EventPage.after_panels, heading=_("Materials and recordings")),
        ObjectList(EventPage.promote_panels, heading=_("Promote")),
        ObjectList(EventPage.settings_panels, heading=_("Settings")),
    ]
)


class EventLock(models.Model):
    """The row every operation that counts an event's seats locks (``SELECT … FOR UPDATE``)
    before it recounts and writes: see ``events.services.lock_event``. It holds nothing else,
    so nothing but seat counting ever waits on it."""

    event = models.OneToOneField(
        EventPage, on_delete=models.CASCADE, related_name="lock", primary_key=True
    )

    class Meta:
        verbose_name = _("event lock")

    def __str__(self):
        return f"lock of event {self.event_id}"


class EventCalendarState(models.Model):
    """Calendar identity of an event, kept outside page revisions.

    The UID never changes (not the URL, not the slug). SEQUENCE goes up whenever time, place
    or status change. Changed only under the event's lock (``EventLock``).
    """

    event = models.OneToOneField(
        EventPage, on_delete=models.CASCADE, related_name="calendar_state", primary_key=True
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("event calendar state")

    def __str__(self):
        return f"{self.uid} #{self.sequence}"

    @property
    def ical_uid(self):
        # A constant suffix: deriving it from the site's address would change every UID the
        # day the site moves.
        return f"{self.uid}@rai-community-events"

    @classmethod
    def for_event(cls, event):
        state, _ = cls.objects.get_or_create(
            event=event, defaults={"fingerprint": event.significant_fingerprint()}
        )
        return state


class Attendance(models.TextChoices):
    """How a registrant attends a hybrid event. Only in-person seats count for capacity."""

    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")
    ATTENDED = "attended", _("Attended")


ACTIVE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.ATTENDED,
)
SEAT_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)


# Registrations that take one of the event's seats: confirmed or attended, and not attending
# a hybrid event online (capacity is the room's).
SEAT_Q = Q(status__in=SEAT_STATUSES) & ~Q(attendance=Attendance.ONLINE)


def seat_q(prefix: str = "") -> Q:
    """``SEAT_Q`` seen through a relation, e.g. ``seat_q("registrations__")``."""
    return Q(**{f"{prefix}status__in": SEAT_STATUSES}) & ~Q(
        **{f"{prefix}attendance": Attendance.ONLINE}
    )


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def holding_seats(self):
        """Confirmed or attended, however they attend."""
        return self.filter(status__in=SEAT_STATUSES)

    def taking_capacity(self):
        """The registrations the capacity and country quotas count."""
        return self.filter(SEAT_Q)

    def visible_to(self, user):
        """Registrations a viewer may list: their own; staff see all."""
        if access.can(user, "events.manage_registrations"):
            return self
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Registration(models.Model):
    event = models.ForeignKey(
        EventPage, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("event")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("member"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RegistrationStatus.choices, db_index=True
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    attendance = models.CharField(
        _("attends"),
        max_length=20,
        choices=Attendance.choices,
        blank=True,
        help_text=_("For hybrid events: in person or online. Empty for other formats."),
    )
    country = CountryField(_("country"), blank=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="Bumped when this registrant's invite changes on its own."
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    answers_purged_at = models.DateTimeField(_("answers purged at"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["pending", "confirmed", "waitlisted", "attended"]),
                name="one_active_registration_per_member",
            )
        ]
        indexes = [models.Index(fields=["event", "status", "created_at"])]

    def __str__(self):
        return f"{self.user} → {self.event} ({self.get_status_display()})"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def holds_seat(self):
        return self.status in SEAT_STATUSES

    @property
    def attends_online(self):
        """Whether the join link is theirs: online and hybrid-online registrants."""
        if self.event.format == EventFormat.IN_PERSON:
            return False
        return self.attendance != Attendance.IN_PERSON


class CalendarToken(models.Model):
    """A member's secret calendar-feed address. Only the token's SHA-256 is stored.

    Calendar apps fetch without cookies, so the token in the URL is the credential: one
    active token per member; regenerating revokes the old one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_tokens",
        verbose_name=_("member"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar link")
        verbose_name_plural = _("calendar links")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_calendar_token_per_member",
            )
        ]

    def __str__(self):
        return f"{self.user} ({'revoked' if self.revoked_at else 'active'})"

    @property
    def is_active(self):
        return self.revoked_at is None
