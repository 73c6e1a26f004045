"""The event pages: the index with its listing and the event page with its registration panel.

Each page builds its own template context (``get_context``) from the reads on the models'
querysets, and the event page takes its registration form's POST itself so every answer is at
the event's own address; the writes go through ``events.services``."""

import datetime as dt
import hashlib
import zoneinfo

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from django_countries.fields import CountryField
from modelcluster.fields import ParentalManyToManyField

from community import access
from community.timezones import validate_time_zone
from community.viewer_zone import viewer_zone_info
from community.zone_picker import TimeZoneSelect
from home.blocks import BodyBlock

from .. import recurrence, services
from ..blocks import (
    AgendaItemBlock,
    MaterialBlock,
    MoveOccurrenceBlock,
    QuestionsBlock,
    RecordingBlock,
    SkipOccurrenceBlock,
    SpeakerBlock,
)
from ..choices import (
    REGISTRATION_WITHIN_AUDIENCE,
    EventFormat,
    EventKind,
    EventStatus,
    Panel,
    RegistrationAudience,
    RegistrationStatus,
    RegistrationWindow,
    Repeat,
)
from ..filters import EventFilters
from ..forms import RegistrationForm
from ..records import EventCalendarState, Registration, seat_q
from .topics import Topic


class EventPageQuerySet(access.VisibleQuerySetMixin, PageQuerySet):
    """The reads every listing of events shares; ``visible_to`` (from the access policy) is
    the one road to event rows."""

    def listed_for(self, user, parent=None):
        """Live events ``user`` may see (under ``parent``, when given)."""
        qs = self.live().visible_to(user)
        return qs.child_of(parent) if parent is not None else qs

    def upcoming(self, now=None):
        """Not over yet (a series stays until its last date has ended), soonest first."""
        return self.filter(last_end__gt=now or timezone.now()).order_by("start", "pk")

    def past(self, now=None):
        """Over, most recent first."""
        return self.filter(last_end__lte=now or timezone.now()).order_by("-start", "pk")

    def when(self, when: str, now=None):
        return self.past(now) if when == "past" else self.upcoming(now)

    def with_seat_counts(self):
        """Each event with ``seats_taken``: the seats its capacity counts."""
        return self.annotate(seats_taken=Count("registrations", filter=seat_q("registrations__")))


EventPageManager = PageManager.from_queryset(EventPageQuerySet)

LISTING_PAGE_SIZE = 12


class EventIndexPage(Page):
    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["events.EventPage"]
    max_count = 1

    class Meta:
        verbose_name = _("event index page")

    def get_context(self, request, *args, **kwargs):
        """The listing: upcoming or past events the viewer may see, filtered by kind, format,
        audience and topic, a page at a time, each card with its seats and the viewer's own
        registration (a constant number of queries for the whole page)."""
        context = super().get_context(request, *args, **kwargs)
        user = request.user
        now = timezone.now()
        when = "past" if request.GET.get("when") == "past" else "upcoming"
        topics = list(Topic.objects.all())
        audience_choices = [
            (value, label)
            for value, label in access.Audience.choices
            if value in access.audiences(user)
        ]
        # A listing is forgiving: a value it does not know is dropped, not refused.
        filters = EventFilters.parse(
            request.GET,
            topics=[topic.slug for topic in topics],
            audiences=[value for value, _label in audience_choices],
            strict=False,
        )
        qs = filters.apply(EventPage.objects.listed_for(user, self).when(when, now))
        qs = qs.with_seat_counts().prefetch_related("topics")
        events_page = Paginator(qs, LISTING_PAGE_SIZE).get_page(request.GET.get("page"))
        mark_viewer_registrations(user, events_page)
        for event in events_page:
            event.seats_left = event.seats_left_after(event.seats_taken)
            event.is_full = event.seats_left == 0
            # A series shows its next dates on the card (computed in Python: no query).
            event.upcoming_dates = (
                event.next_occurrences(limit=3, now=now) if event.is_recurring else []
            )
        context.update(
            when=when,
            events_page=events_page,
            filters=filters,
            has_filters=bool(filters),
            kind_choices=EventKind.choices,
            format_choices=EventFormat.choices,
            audience_choices=audience_choices if len(audience_choices) > 1 else [],
            topics=topics,
            viewer_zone=viewer_zone_info(request)[0],
            **self.withheld_summary(user, when, now),
        )
        return context

    def withheld_summary(self, user, when, now):
        """How many more events here a verified membership would show: a count only, through
        the policy, never with titles. Filters are ignored on purpose: counting hidden events
        per kind or topic would tell more about them than "there are more"."""
        withheld = access.withheld_audiences(user)
        if not withheld:
            return {"withheld_count": 0}
        qs = EventPage.objects.live().child_of(self).withheld_from(user).when(when, now)
        return {
            "withheld_count": qs.count(),
            # Members who are not police can see everything but law-enforcement events.
            "withheld_to": "members" if access.Audience.MEMBERS in withheld else "law_enforcement",
            "viewer_is_anonymous": access.Role.ANONYMOUS in access.roles(user),
        }


def mark_viewer_registrations(user, events) -> None:
    """Set ``event.viewer_registration`` (the viewer's active registration, with its
    ``waitlist_position``) on each listed event: two queries for the whole list, none per card."""
    events = list(events)
    for event in events:
        event.viewer_registration = None
    if user is None or not user.is_authenticated or not events:
        return
    registrations = (
        Registration.objects.visible_to(user)
        .active()
        .filter(user=user, event_id__in=[event.pk for event in events])
        .with_positions()
    )
    by_event = {registration.event_id: registration for registration in registrations}
    for event in events:
        event.viewer_registration = by_event.get(event.pk)


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
        """(start, end) in UTC of the first date, from the wall-clock fields (see
        ``recurrence.first_span``)."""
        start, end = recurrence.first_span(self)
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
        return self.registration_audience in REGISTRATION_WITHIN_AUDIENCE.get(
            self.audience, frozenset()
        )

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

    def registration_window(self, now=None) -> RegistrationWindow:
        """Why the registration form is shown or not: open, or the reason it is closed."""
        now = now or timezone.now()
        if self.registration_audience == RegistrationAudience.NOBODY:
            return RegistrationWindow.NONE
        if self.status != EventStatus.SCHEDULED:
            return RegistrationWindow.NOT_SCHEDULED
        # A registration covers every date still to come, so a series takes registrations
        # until its last date has begun; a single event until it begins.
        if self.next_start_after(now) is None:
            return RegistrationWindow.STARTED
        if self.registration_opens and now < self.registration_opens:
            return RegistrationWindow.NOT_OPEN
        if self.registration_closes and now >= self.registration_closes:
            return RegistrationWindow.CLOSED
        return RegistrationWindow.OPEN

    def registration_is_open(self, now=None) -> bool:
        return self.registration_window(now) == RegistrationWindow.OPEN

    def seats_left_after(self, taken: int) -> int | None:
        """Seats still free when ``taken`` are taken; None for unlimited seats."""
        if self.capacity is None:
            return None
        return max(self.capacity - taken, 0)

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

    def location_text(self) -> str:
        """Venue name, address, city and country on one line; "Online" for online events.
        What calendars, emails and "add to calendar" links say for the place."""
        if self.format == EventFormat.ONLINE:
            return gettext("Online")
        address = " ".join((self.venue_address or "").split())
        parts = [self.venue_name, address, self.venue_city]
        if self.venue_country:
            parts.append(str(self.venue_country.name))
        text = ", ".join(p for p in parts if p)
        if self.format == EventFormat.HYBRID and not text:
            return gettext("Online")
        if self.format == EventFormat.HYBRID:
            return gettext("%(place)s (and online)") % {"place": text}
        return text

    def summary_text(self) -> str:
        """The title a calendar shows, with the status in front when it is not scheduled."""
        if self.status == EventStatus.CANCELLED:
            return gettext("Cancelled: %(title)s") % {"title": self.title}
        if self.status == EventStatus.POSTPONED:
            return gettext("Postponed: %(title)s") % {"title": self.title}
        return self.title

    @cached_property
    def calendar(self):
        return EventCalendarState.for_event(self)

    # --- the page --------------------------------------------------------------------------

    def serve(self, request, *args, **kwargs):
        # Missing and forbidden look the same.
        if not access.can(request.user, "view", self):
            raise Http404
        if request.method == "POST":
            # The registration form posts to the page itself, so every answer — success or
            # refusal — is at the event's own address.
            return self.serve_registration(request)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        user = request.user
        registration = Registration.objects.active_for(user, self)
        window = self.registration_window()
        may_register = access.can(user, "events.register", self)
        panel = self.panel_for(user, registration, window, may_register)
        taken = Registration.objects.seats_taken(self) if self.capacity is not None else 0
        join_url = ""
        if registration is not None and access.can(user, "events.see_join_link", registration):
            join_url = self.online_join_url
        zone, fixed = viewer_zone_info(request)
        login_query = urlencode({"next": self.get_url(request)})
        context.update(
            registration=registration,
            may_register=may_register,
            registration_state=window,
            panel=panel,
            form=RegistrationForm(self) if panel == Panel.OPEN else None,
            viewer_zone=zone,
            viewer_zone_fixed=fixed,
            materials=self.released(user, self.materials, registration),
            recordings=self.released(user, self.recordings, registration),
            waitlist_position=Registration.objects.waitlist_position(registration),
            seats_left=self.seats_left_after(taken),
            may_cancel=registration is not None and registration.member_may_cancel(),
            join_url=join_url,
            series_dates=self.next_occurrences(limit=6) if self.is_recurring else [],
            login_url=f"{reverse('account_login')}?{login_query}",
        )
        return context

    @staticmethod
    def panel_for(user, registration, window, may_register) -> Panel:
        """Which registration panel the viewer gets; the order matters (most specific first)."""
        if window == RegistrationWindow.NONE:
            return Panel.NONE
        if registration is not None:
            return Panel.REGISTERED
        if window != RegistrationWindow.OPEN:
            return Panel.CLOSED
        user_roles = access.roles(user)
        if access.Role.ANONYMOUS in user_roles:
            return Panel.ANONYMOUS
        if not may_register and access.Role.PENDING in user_roles:
            return Panel.PENDING
        if not may_register:
            return Panel.NOT_ALLOWED
        return Panel.OPEN

    def released(self, user, stream, registration):
        """Items of a materials/recordings stream this viewer may see, per the release rule."""
        return [
            block
            for block in stream
            if access.can(user, "events.view_release", (self, block.value, registration))
        ]

    def serve_registration(self, request):
        """A registration POSTed to the page: success redirects back to it (post/redirect/get),
        a refusal renders it with one error summary at the top."""
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(self.get_url(request))
        if not access.can(user, "events.register", self):
            # The event is visible, so a 404 would only confuse: say why, write nothing.
            message = self._refusal_message(user)
            return self._render(request, 403, error_summary=_summary_errors(None, message))
        form = RegistrationForm(self, data=request.POST)
        if not form.is_valid():
            return self._render(
                request, 400, form=form, panel=Panel.OPEN, error_summary=_summary_errors(form)
            )
        try:
            registration = services.registration_create(
                user, self, form.answers(), attendance=form.attendance()
            )
        except services.NotAllowed as exc:
            raise Http404 from exc
        except services.Busy as exc:
            # Nothing was written; the answers stay in the form for a second try.
            response = self._render(
                request,
                503,
                form=form,
                panel=Panel.OPEN,
                error_summary=_summary_errors(None, exc.message),
            )
            response["Retry-After"] = "2"
            return response
        except services.RegistrationError as exc:
            for key, message in exc.field_errors.items():
                if key in form.fields:
                    form.add_error(key, message)
            extra = {}
            if exc.field_errors:
                extra.update(form=form, panel=Panel.OPEN)
                summary = _summary_errors(form)
            else:
                summary = _summary_errors(None, exc.message)
            return self._render(request, 400, error_summary=summary, **extra)
        messages.success(request, self._registered_message(registration))
        return redirect(self.get_url(request))

    def _render(self, request, status, **extra):
        context = self.get_context(request)
        context.update(extra)
        return TemplateResponse(request, self.get_template(request), context, status=status)

    def _refusal_message(self, user) -> str:
        if self.registration_audience == RegistrationAudience.SIGNED_IN:
            return gettext("Please confirm your email address before registering.")
        if access.Role.PENDING in access.roles(user):
            return gettext("You can register for events once your membership is verified.")
        return gettext("Registration for this event is reserved for: %(audience)s.") % {
            "audience": self.get_registration_audience_display()
        }

    def _registered_message(self, registration) -> str:
        title = self.title
        if registration.status == RegistrationStatus.CONFIRMED:
            return gettext("You are registered for “%(title)s”. Your seat is confirmed.") % {
                "title": title
            }
        if registration.status == RegistrationStatus.WAITLISTED:
            return gettext(
                "“%(title)s” is full. You are on the waitlist at position %(position)s; "
                "we will email you if a seat frees up."
            ) % {"title": title, "position": Registration.objects.waitlist_position(registration)}
        return gettext(
            "Your registration for “%(title)s” is pending approval. We will email you "
            "when the organisers have decided."
        ) % {"title": title}


def _summary_errors(form, *messages_without_field):
    """The error summary's items: (anchor or "", message), fields first in form order."""
    items = [("", message) for message in messages_without_field if message]
    if form is not None and form.is_bound:
        for name in form.fields:
            bound = form[name]
            # Radio buttons label their fieldset, not one input: link to the first choice.
            anchor = bound.id_for_label or f"{bound.auto_id}_0"
            for message in form.errors.get(name, []):
                items.append((f"#{anchor}", message))
        for message in form.non_field_errors():
            items.append(("", message))
    return items


EventPage.edit_handler = TabbedInterface(
    [
        ObjectList(EventPage.content_panels, heading=_("Content")),
        ObjectList(EventPage.registration_panels, heading=_("Registration")),
        ObjectList(EventPage.after_panels, heading=_("Materials and recordings")),
        ObjectList(EventPage.promote_panels, heading=_("Promote")),
        ObjectList(EventPage.settings_panels, heading=_("Settings")),
    ]
)
