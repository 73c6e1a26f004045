"""People: membership vetting, agency domains, and the outbound email log."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.search import index

from django_countries.fields import CountryField

from .validators import multi_line, single_line


class MembershipQuerySet(models.QuerySet):
    def awaiting_decision(self):
        """Applications the lab's editors have still to decide: the vetting queue."""
        return self.filter(Membership.AWAITING_DECISION)

    def in_state(self, state: str):
        """Memberships in one of :class:`Membership.State`, as :attr:`Membership.state` says."""
        now = timezone.now()
        live = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        S = Membership.Status
        if state == Membership.State.NOT_APPLIED:
            return self.filter(status=S.PENDING, applied_at__isnull=True)
        if state == Membership.State.PENDING:
            return self.awaiting_decision()
        if state == Membership.State.VERIFIED:
            return self.filter(models.Q(status=S.VERIFIED) & live)
        if state == Membership.State.EXPIRED:
            return self.filter(
                models.Q(status=S.EXPIRED) | models.Q(status=S.VERIFIED, expires_at__lte=now)
            )
        return self.filter(status=state)


class Membership(models.Model):
    """One per user: who they are, and whether the lab has vetted them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")

    class State(models.TextChoices):
        """What the membership is, as its holder and the editors read it: the status, plus
        "not applied yet" for an account that never sent an application, and "expired" for a
        verified membership past its date before the daily job marks it."""

        NOT_APPLIED = "not_applied", _("Not applied yet")
        PENDING = "pending", _("Pending review")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")

    # The one definition of "awaiting a decision", for querysets; is_awaiting_decision is the
    # same rule for one object.
    AWAITING_DECISION = models.Q(status=Status.PENDING, applied_at__isnull=False)
    #: What the applicant fills in on the membership page, in the form's order; the service
    #: saves exactly these.
    APPLICATION_FIELDS = (
        "full_name",
        "kind",
        "organisation",
        "organisation_type",
        "country",
        "position",
        "motivation",
    )
    #: Of those, the ones an application cannot do without (the model allows them blank:
    #: an account exists before it applies).
    APPLICATION_REQUIRED = ("full_name", "organisation", "organisation_type", "country", "position")

    class Kind(models.TextChoices):
        LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
        EXPERT = "expert", _("Expert")
        OTHER = "other", _("Other")

    class OrganisationType(models.TextChoices):
        POLICE = "police", _("Police or law-enforcement agency")
        JUSTICE = "justice", _("Prosecution, judiciary or ministry")
        INTERNATIONAL = "international", _("International organisation")
        ACADEMIA = "academia", _("Academia or research")
        INDUSTRY = "industry", _("Industry")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        OTHER = "other", _("Other")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    # Names and titles go into email headers, lists and spreadsheets: one line only, in every
    # form that edits them (the application and the admin's).
    full_name = models.CharField(
        _("full name"), max_length=150, blank=True, validators=[single_line]
    )
    organisation = models.CharField(
        _("organisation"), max_length=200, blank=True, validators=[single_line]
    )
    organisation_type = models.CharField(
        _("organisation type"), max_length=20, choices=OrganisationType.choices, blank=True
    )
    country = CountryField(_("country"), blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True, validators=[single_line])
    staff_role = models.CharField(
        _("staff role"),
        max_length=20,
        choices=[("", _("None")), ("moderator", _("Moderator")), ("editor", _("Editor"))],
        blank=True,
        default="",
        help_text=_("Lab staff and trusted members. Takes effect only while verified."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    motivation = models.TextField(
        _("why you want to join"), max_length=2000, blank=True, validators=[multi_line]
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    decision_reason = models.TextField(_("reason given to the member"), blank=True)
    auto_verified_domain = models.CharField(
        _("verified automatically by domain"), max_length=253, blank=True
    )
    staff_notes = models.TextField(_("staff notes"), blank=True, validators=[multi_line])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-applied_at", "-created_at"]
        indexes = [models.Index(fields=["status", "applied_at"])]

    def __str__(self):
        return f"{self.display_name} ({self.get_status_display()})"

    @property
    def display_name(self):
        # Never the username: the site generated it and the person never saw it.
        return self.full_name or self.user.email or self.user.get_username()

    @property
    def has_applied(self):
        return self.applied_at is not None

    @property
    def is_awaiting_decision(self):
        return self.status == self.Status.PENDING and self.has_applied

    @property
    def state(self) -> str:
        if self.status == self.Status.PENDING and not self.has_applied:
            return self.State.NOT_APPLIED
        if self.status == self.Status.VERIFIED and not self.is_verified:
            return self.State.EXPIRED
        return self.State(self.status)

    def get_state_display(self) -> str:
        return self.State(self.state).label

    @property
    def is_verified(self):
        return self.status == self.Status.VERIFIED and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class AgencyDomain(index.Indexed, models.Model):
    """An email domain whose verified addresses are vetted automatically."""

    domain = models.CharField(
        _("domain"),
        max_length=253,
        unique=True,
        validators=[
            RegexValidator(
                r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
                _("Enter a lower-case domain name such as police.example."),
            )
        ],
        help_text=_("Addresses at this domain or any of its subdomains are verified."),
    )
    organisation = models.CharField(_("organisation"), max_length=200, validators=[single_line])
    country = CountryField(_("country"), blank=True)
    kind = models.CharField(
        _("members from this domain are"),
        max_length=20,
        choices=Membership.Kind.choices,
        default=Membership.Kind.LAW_ENFORCEMENT,
    )
    organisation_type = models.CharField(
        _("organisation type"),
        max_length=20,
        choices=Membership.OrganisationType.choices,
        default=Membership.OrganisationType.POLICE,
    )
    active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldPanel("domain"),
        FieldPanel("organisation"),
        FieldPanel("country"),
        FieldPanel("kind"),
        FieldPanel("organisation_type"),
        FieldPanel("active"),
    ]
    search_fields = [index.SearchField("domain"), index.SearchField("organisation")]

    class Meta:
        verbose_name = _("agency email domain")
        verbose_name_plural = _("agency email domains")
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Domains are case-insensitive: store them lower-case before the pattern check.
        self.domain = (self.domain or "").strip().lower()
        super().clean_fields(exclude=exclude)


class OutboundEmail(models.Model):
    """Every email the platform sends, recorded before it is sent.

    The row is the idempotency record: a sender claims it ("sending" with a lease), commits,
    sends, then records the result; once it is marked sent no task sends it again. A lease
    that runs out (the sender died) returns the row to the queue.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        WITHHELD = "withheld", _("Withheld (recipient lost access)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(_("deduplication key"), max_length=255, unique=True)
    to = models.JSONField(_("recipients"), default=list)
    from_email = models.CharField(_("from"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # Start of the retry window: set when queued, reset when staff re-queue the message.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"
