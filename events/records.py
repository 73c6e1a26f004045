"""The records events keep beside their pages: registrations with their reads (queryset
methods), the event's lock row and calendar identity, and members' calendar links.

The layer under the services: nothing here imports the pages (relations name
``events.EventPage`` by string) and it lives outside the ``events.models`` package, so the
services import it without loading the pages, and the pages import the services.
``events.models`` re-exports these models, which is where Django finds them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_countries.fields import CountryField

from community import access

from .choices import (
    ACTIVE_STATUSES,
    CANCELLABLE_STATUSES,
    SEAT_STATUSES,
    Attendance,
    EventFormat,
    RegistrationStatus,
)


class EventLock(models.Model):
    """The row every operation that counts an event's seats locks (``SELECT … FOR UPDATE``)
    before it recounts and writes: see ``events.services.lock_event``. It holds nothing else,
    so nothing but seat counting ever waits on it."""

    event = models.OneToOneField(
        "events.EventPage", on_delete=models.CASCADE, related_name="lock", primary_key=True
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
        "events.EventPage",
        on_delete=models.CASCADE,
        related_name="calendar_state",
        primary_key=True,
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


def seat_q(prefix: str = "") -> Q:
    """Registrations that take one of the event's seats: confirmed or attended, and not
    attending a hybrid event online (capacity is the room's). ``prefix`` reads it through a
    relation, e.g. ``seat_q("registrations__")``."""
    return Q(**{f"{prefix}status__in": SEAT_STATUSES}) & ~Q(
        **{f"{prefix}attendance": Attendance.ONLINE}
    )


#: ``seat_q()`` on the registrations themselves.
SEAT_Q = seat_q()


class RegistrationQuerySet(models.QuerySet):
    """Every read of registrations the pages, feeds, emails and services share."""

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def cancellable(self):
        return self.filter(status__in=CANCELLABLE_STATUSES)

    def holding_seats(self):
        """Confirmed or attended, however they attend."""
        return self.filter(status__in=SEAT_STATUSES)

    def taking_capacity(self):
        """The registrations the capacity and country quotas count."""
        return self.filter(seat_q())

    def waitlisted(self):
        """The waitlist, in the order seats are offered."""
        return self.filter(status=RegistrationStatus.WAITLISTED).order_by("created_at", "pk")

    def seats_taken(self, event, country=None) -> int:
        """Seats ``event``'s capacity counts (per member country with ``country``)."""
        qs = self.filter(event=event).taking_capacity()
        if country is not None:
            qs = qs.filter(country=country)
        return qs.count()

    def active_for(self, user, event):
        """``user``'s active registration for ``event``, or None (for anyone signed out)."""
        if user is None or not user.is_authenticated:
            return None
        return self.filter(event=event, user=user).active().first()

    def visible_to(self, user):
        """Registrations a viewer may list: their own; staff see all."""
        if access.can(user, "events.manage_registrations"):
            return self
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def waitlist_positions(self, registrations) -> dict[int, int]:
        """{registration id: position on its event's waitlist} for the waitlisted ones among
        ``registrations`` (1 = next to be offered a seat), in one query for any number of
        events."""
        waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
        if not waiting:
            return {}
        queue = self.filter(event_id__in={r.event_id for r in waiting}).waitlisted()
        positions, counter = {}, {}
        for event_id, pk in queue.order_by("event_id", "created_at", "pk").values_list(
            "event_id", "pk"
        ):
            counter[event_id] = counter.get(event_id, 0) + 1
            positions[pk] = counter[event_id]
        return {r.pk: positions.get(r.pk) for r in waiting}

    def waitlist_position(self, registration) -> int | None:
        """One registration's place on the waitlist; None when it is not waiting."""
        if registration is None:
            return None
        return self.waitlist_positions([registration]).get(registration.pk)

    def with_positions(self):
        """The registrations as a list, each with ``waitlist_position`` set (one query more)."""
        registrations = list(self)
        positions = type(self)(self.model, using=self._db).waitlist_positions(registrations)
        for registration in registrations:
            registration.waitlist_position = positions.get(registration.pk)
        return registrations


class Registration(models.Model):
    event = models.ForeignKey(
        "events.EventPage",
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("event"),
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
                condition=Q(status__in=[str(s) for s in ACTIVE_STATUSES]),
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

    def cancel_refusal(self, *, now=None, by_staff=False, event=None) -> str | None:
        """Why this registration cannot be cancelled now — "state" (nothing left to cancel:
        cancelled, rejected, attended) or "deadline" (past the event's cancellation
        deadline; staff are not bound by it) — or None when it can. ``event``: the event as
        re-read under its lock, when the caller holds it."""
        if self.status not in CANCELLABLE_STATUSES:
            return "state"
        event = event or self.event
        if not by_staff and not event.may_cancel_at(now or timezone.now()):
            return "deadline"
        return None

    def member_may_cancel(self, now=None) -> bool:
        """Whether the member may cancel it themself now (the pages offer the button)."""
        return self.cancel_refusal(now=now) is None

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
