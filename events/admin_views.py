"""Editors' screens for one event in the Wagtail admin.

Registrations listing (filters, counts, CSV/XLSX export), bulk decisions, a message to
attendees and cancelling the event. Every state change goes through :mod:`events.services`
so the lock, the waitlist and the emails stay in one place; these views only ask and report.
"""

import uuid
from collections import OrderedDict

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView

from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

import django_filters
from django_countries import countries

from community import access
from community.emails import queue_message
from community.models import OutboundEmail

from . import ical, services
from .models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    EventPage,
    Registration,
    RegistrationStatus,
)

# Spreadsheet programs run a cell that starts with one of these as a formula (OWASP "CSV
# injection"). Tab and carriage return are included because some programs strip them first.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix a ``'`` to text a spreadsheet would otherwise evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def registration_counts(event) -> dict:
    """Seats and queue sizes of one event, in one query."""
    counts = Registration.objects.filter(event=event).aggregate(
        confirmed=Count("pk", filter=Q(status__in=SEAT_STATUSES)),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        pending=Count("pk", filter=Q(status=RegistrationStatus.PENDING)),
        cancelled=Count("pk", filter=Q(status=RegistrationStatus.CANCELLED)),
        active=Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
    )
    counts["capacity"] = event.capacity
    counts["over_capacity"] = event.capacity is not None and counts["confirmed"] > event.capacity
    return counts


def member_name(registration) -> str:
    membership = getattr(registration.user, "membership", None)
    return (membership and membership.full_name) or registration.user.get_username()


def member_organisation(registration) -> str:
    membership = getattr(registration.user, "membership", None)
    return (membership and membership.organisation) or ""


def short_answers(registration) -> str:
    parts = [
        f"{item.get('question', '')}: {item.get('answer', '')}"
        for item in (registration.answers or {}).values()
        if isinstance(item, dict) and item.get("answer") not in ("", None)
    ]
    return Truncator("; ".join(parts)).chars(80)


class EventStaffMixin:
    """Loads the event from the URL; only staff who manage registrations get further.

    Wagtail's own admin check (``access_admin``) runs first, from ``register_admin_urls``.
    """

    # The access policy decides, not Django model permissions.
    permission_policy = None
    any_permission_required = None
    permission_required = None
    header_icon = "date"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.event = get_object_or_404(EventPage, pk=kwargs["event_id"])

    def dispatch(self, request, *args, **kwargs):
        if not access.can(request.user, "events.manage_registrations", self.event):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def url(self, name):
        return reverse(f"events_admin:{name}", args=[self.event.pk])

    def get_page_subtitle(self):
        return self.event.title

    def event_breadcrumbs(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
                "label": self.event.title,
            },
        ]


# --- Listing and export -------------------------------------------------------------------


class RegistrationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=RegistrationStatus.choices
    )
    country = django_filters.ChoiceFilter(label=gettext_lazy("Country"), choices=countries)

    class Meta:
        model = Registration
        fields = ["status", "country"]


class SelectColumn(Column):
    """A checkbox per row, tied by ``form=`` to the bulk-action form outside the table
    (the table is re-rendered on filtering, the form is not)."""

    def __init__(self, form_id):
        super().__init__("select", label=_("Select"))
        self.form_id = form_id

    def get_value(self, instance):
        return format_html(
            '<input type="checkbox" name="registrations" value="{}" form="{}" aria-label="{}">',
            instance.pk,
            self.form_id,
            _("Select %(name)s") % {"name": member_name(instance)},
        )


class RegistrationIndexView(EventStaffMixin, IndexView):
    model = Registration
    template_name = "events/admin/registrations_index.html"
    filterset_class = RegistrationFilterSet
    page_title = gettext_lazy("Registrations")
    default_ordering = "created_at"
    list_per_page = 100
    bulk_form_id = "registrations-bulk"

    def get_base_queryset(self):
        return Registration.objects.filter(event=self.event).select_related(
            "user", "user__membership"
        )

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "pk")

    def get_index_url(self):
        return self.url("registrations")

    def get_index_results_url(self):
        return self.url("registrations_results")

    def get_breadcrumbs_items(self):
        return [*self.event_breadcrumbs(), {"url": "", "label": self.get_page_title()}]

    @cached_property
    def columns(self):
        return [
            SelectColumn(self.bulk_form_id),
            Column(
                "name",
                label=_("Name"),
                accessor=member_name,
                sort_key="user__membership__full_name",
            ),
            Column("email", label=_("Email"), accessor="user.email", sort_key="user__email"),
            Column("country", label=_("Country"), accessor="country.name", sort_key="country"),
            Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
            DateColumn("created_at", label=_("Registered at"), sort_key="created_at"),
            Column("answers", label=_("Answers"), accessor=short_answers),
        ]

    @cached_property
    def header_buttons(self):
        buttons = [
            HeaderButton(
                _("Message attendees"), url=self.url("message"), icon_name="mail", priority=10
            )
        ]
        if not self.event.is_cancelled:
            buttons.append(
                HeaderButton(
                    _("Cancel event"), url=self.url("cancel"), icon_name="cross", priority=20
                )
            )
        return buttons

    # Export: one column per question, named by the question's block id so a label edited
    # after registration still lines up.

    @cached_property
    def questions(self):
        return [(f"q_{block.id}", block.value["label"]) for block in self.event.questions]

    @property
    def list_export(self):
        return [
            "name",
            "email",
            "organisation",
            "country",
            "status",
            "registered_at",
            *(key for key, _label in self.questions),
        ]

    @property
    def export_headings(self):
        return {
            "name": _("Name"),
            "email": _("Email"),
            "organisation": _("Organisation"),
            "country": _("Country"),
            "status": _("Status"),
            "registered_at": _("Registered at"),
            **dict(self.questions),
        }

    def get_filename(self):
        return f"registrations-{self.event.slug}"

    def to_row_dict(self, item):
        answers = item.answers or {}
        row = OrderedDict(
            name=member_name(item),
            email=item.user.email,
            organisation=member_organisation(item),
            country=str(item.country.name) if item.country else "",
            status=str(item.get_status_display()),
            registered_at=item.created_at,
        )
        for key, _label in self.questions:
            answer = answers.get(key.removeprefix("q_"), {})
            row[key] = answer.get("answer", "") if isinstance(answer, dict) else ""
        return row

    def preprocess_field_value(self, field, value, export_format):
        # Wagtail stores a leading "=" as text in XLSX but writes CSV cells as they are;
        # members type names and answers, so neutralise every text cell in both formats.
        return neutralise_formula(super().preprocess_field_value(field, value, export_format))

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["event"] = self.event
        context["counts"] = registration_counts(self.event)
        context["bulk_form_id"] = self.bulk_form_id
        context["bulk_form"] = BulkActionForm(event=self.event)
        context["bulk_url"] = self.url("bulk")
        return context


# --- Bulk decisions -----------------------------------------------------------------------


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("approve", gettext_lazy("Approve")),
        ("reject", gettext_lazy("Reject")),
        ("attended", gettext_lazy("Mark attended")),
    ]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS)
    reason = forms.CharField(
        label=gettext_lazy("Reason (for rejections; the registrant reads it)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    registrations = forms.ModelMultipleChoiceField(
        queryset=Registration.objects.none(),
        error_messages={"required": gettext_lazy("Select at least one registration.")},
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registrations"].queryset = Registration.objects.filter(event=event)
        self.fields["registrations"].widget = forms.MultipleHiddenInput()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason the registrants will read."))
        return cleaned


class BulkActionView(EventStaffMixin, WagtailAdminTemplateMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = BulkActionForm(request.POST, event=self.event)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(self.url("registrations"))
        action = form.cleaned_data["action"]
        reason = form.cleaned_data["reason"].strip()
        done, skipped = 0, 0
        for registration in form.cleaned_data["registrations"].order_by("created_at", "pk"):
            try:
                if action == "approve":
                    services.approve(registration, by=request.user)
                elif action == "reject":
                    services.reject(registration, by=request.user, reason=reason)
                else:
                    services.mark_attended(registration, by=request.user)
            except services.NotAllowed as exc:
                raise Http404 from exc
            except services.RegistrationError:
                skipped += 1
            else:
                done += 1
        messages.success(request, self.done_message(action, done))
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)s registration was skipped: its status does not allow this.",
                    "%(count)s registrations were skipped: their status does not allow this.",
                    skipped,
                )
                % {"count": skipped},
            )
        return redirect(self.url("registrations"))

    @staticmethod
    def done_message(action, count):
        if action == "approve":
            text = ngettext(
                "%(count)s registration approved.", "%(count)s registrations approved.", count
            )
        elif action == "reject":
            text = ngettext(
                "%(count)s registration rejected.", "%(count)s registrations rejected.", count
            )
        else:
            text = ngettext(
                "%(count)s registrant marked as attended.",
                "%(count)s registrants marked as attended.",
                count,
            )
        return text % {"count": count}


# --- Message attendees --------------------------------------------------------------------


class AttendeeMessageForm(forms.Form):
    RECIPIENTS = [
        ("confirmed", gettext_lazy("Confirmed registrants")),
        ("confirmed_waitlisted", gettext_lazy("Confirmed and waitlisted registrants")),
        ("active", gettext_lazy("Everyone with an active registration (also pending)")),
    ]
    recipients = forms.ChoiceField(
        label=gettext_lazy("Send to"),
        choices=RECIPIENTS,
        initial="confirmed",
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    message = forms.CharField(
        label=gettext_lazy("Message"), max_length=10000, widget=forms.Textarea(attrs={"rows": 10})
    )
    # Generated when the form is shown: sending the same form twice queues nothing new.
    batch = forms.UUIDField(widget=forms.HiddenInput)


def recipients_for(event, choice):
    qs = Registration.objects.filter(event=event)
    if choice == "confirmed":
        qs = qs.holding_seats()
    elif choice == "confirmed_waitlisted":
        qs = qs.filter(status__in=[*SEAT_STATUSES, RegistrationStatus.WAITLISTED])
    else:
        qs = qs.active()
    return qs.select_related("user", "user__membership").order_by("created_at", "pk")


class RegistrationsSubpageMixin:
    """Breadcrumbs and counts shared by the pages reached from the registrations listing."""

    def get_breadcrumbs_items(self):
        return [
            *self.event_breadcrumbs(),
            {"url": self.url("registrations"), "label": _("Registrations")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        context["counts"] = registration_counts(self.event)
        context["index_url"] = self.url("registrations")
        return context


class MessageAttendeesView(
    RegistrationsSubpageMixin, EventStaffMixin, WagtailAdminTemplateMixin, FormView
):
    template_name = "events/admin/message.html"
    form_class = AttendeeMessageForm
    page_title = gettext_lazy("Message attendees")

    def get_initial(self):
        return {"batch": uuid.uuid4(), "recipients": "confirmed"}

    def form_invalid(self, form):
        messages.error(self.request, _("The message could not be sent. Correct the form."))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        data = form.cleaned_data
        event_url = ical.event_url(self.event)
        recipients = list(recipients_for(self.event, data["recipients"]))
        keys = {reg.pk: f"event-message:{data['batch']}:{reg.pk}" for reg in recipients}
        already = set(
            OutboundEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True)
        )
        queued = 0
        with transaction.atomic():
            for registration in recipients:
                key = keys[registration.pk]
                if key in already:
                    continue
                body = render_to_string(
                    "events/admin/attendee_message.txt",
                    {
                        "name": member_name(registration),
                        "message": data["message"],
                        "event": self.event,
                        "event_url": event_url,
                    },
                )
                queue_message(
                    key=key, to=[registration.user.email], subject=data["subject"], body_text=body
                )
                queued += 1
        if queued:
            messages.success(
                self.request,
                ngettext(
                    "%(count)s email is being sent.", "%(count)s emails are being sent.", queued
                )
                % {"count": queued},
            )
        else:
            messages.warning(
                self.request,
                _("No email was sent: nobody matched, or this message had already been sent."),
            )
        return redirect(self.url("registrations"))


# --- Cancel the event ---------------------------------------------------------------------


class CancelEventView(
    RegistrationsSubpageMixin, EventStaffMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "events/admin/cancel_event.html"
    page_title = gettext_lazy("Cancel event")

    def post(self, request, *args, **kwargs):
        if self.event.is_cancelled:
            messages.error(request, _("This event is already cancelled."))
            return redirect(self.url("registrations"))
        notified = registration_counts(self.event)["active"]
        try:
            services.cancel_event(self.event, by=request.user)
        except services.NotAllowed as exc:
            raise Http404 from exc
        messages.success(
            request,
            ngettext(
                "The event is cancelled; %(count)s registrant is being notified.",
                "The event is cancelled; %(count)s registrants are being notified.",
                notified,
            )
            % {"count": notified},
        )
        return redirect(self.url("registrations"))
