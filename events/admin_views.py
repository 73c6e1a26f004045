"""Editors' event screens in the Wagtail admin.

The events overview (menu item and dashboard panel) and, per event: registrations listing
(filters, counts, CSV/XLSX export), bulk decisions, a message to attendees (with a preview)
and cancelling the event; the buttons event pages get in the page explorer and editor. Every
state change goes through :mod:`events.services` so the lock, the waitlist and the emails stay
in one place; these views only ask and report. Who may open them is Wagtail's permission
check against :mod:`events.permissions`, which asks the access policy. The URLs and the menu
item come from :mod:`events.viewsets`.
"""

import datetime as dt
import re
import uuid
from collections import OrderedDict
from typing import NamedTuple

from django import forms
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView

from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.widgets.button import HeaderButton

import django_filters
from django_countries import countries

from community import access, audit, vetting

from . import emails, services
from .answers import block_id_of, question_key
from .models import (
    ACTIVE_STATUSES,
    SEAT_Q,
    SEAT_STATUSES,
    Attendance,
    EventFormat,
    EventPage,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from .permissions import registration_policy

# Spreadsheet programs run a cell that starts with one of these as a formula (OWASP "CSV
# injection"). Tab and carriage return are included because some programs strip them first.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix a ``'`` to text a spreadsheet would otherwise evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# The control characters XML 1.0 cannot hold (openpyxl raises on them, failing the whole
# export). Rows written before names and answers were checked may still carry them.
ILLEGAL_CELL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_text(value):
    """A cell safe in both formats: no control characters, no formula."""
    if isinstance(value, str):
        value = ILLEGAL_CELL_CHARACTERS.sub("", value)
    return neutralise_formula(value)


def registration_counts(event) -> dict:
    """Seats and queue sizes of one event, in one query."""
    counts = Registration.objects.filter(event=event).aggregate(
        # The capacity counts the room: online attendees of a hybrid event take no seat.
        confirmed=Count("pk", filter=SEAT_Q),
        online=Count("pk", filter=Q(status__in=SEAT_STATUSES, attendance=Attendance.ONLINE)),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        pending=Count("pk", filter=Q(status=RegistrationStatus.PENDING)),
        cancelled=Count("pk", filter=Q(status=RegistrationStatus.CANCELLED)),
        active=Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
    )
    counts["capacity"] = event.capacity
    counts["hybrid"] = event.format == EventFormat.HYBRID
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


# Date cells in XLSX exports: ISO 8601's order, readable and sortable in every locale.
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


class ExportQuestion(NamedTuple):
    """One answers column of the export: ``answers.question_key``, its heading, its kind."""

    key: str
    label: str
    block_type: str = "text"

    def display(self, value) -> str:
        if value in ("", None):
            return ""
        if self.block_type == "yes_no" and value in ("yes", "no"):
            return _("Yes") if value == "yes" else _("No")
        return str(value)


def removed_questions(questions, registrations) -> list[ExportQuestion]:
    """Questions answered by these registrants that the event no longer asks.

    An editor may delete a question after people answered it; the answers stay until the
    retention purge and keep their own column, under the label the registrant saw.
    """
    current = {q.key for q in questions}
    found = {}
    for answers in registrations.values_list("answers", flat=True):
        for block_id, item in (answers or {}).items():
            key = question_key(block_id)
            if key in current or key in found or not isinstance(item, dict):
                continue
            found[key] = ExportQuestion(key, str(item.get("question") or key))
    return list(found.values())


class EventScreenMixin(PermissionCheckedMixin):
    """One event's admin screen: loads the event from the URL, and Wagtail's permission check
    (``permission_required``, asked in ``dispatch``) asks the events policy about that event.

    Wagtail's own admin check (``access_admin``) runs first, around every admin URL.
    """

    permission_policy = registration_policy
    permission_required = "change"
    any_permission_required = None
    header_icon = "date"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.event = get_object_or_404(EventPage, pk=kwargs["event_id"])

    def user_has_permission(self, permission):
        # Every question this screen asks is about its event: the access rule takes it.
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, permission, self.event
        )

    def url(self, name):
        return reverse(f"events_admin:{name}", args=[self.event.pk])

    def get_page_subtitle(self):
        return self.event.title

    def event_breadcrumbs(self):
        """The viewset's base items (Home › Events), then this event, linked to its editor."""
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
                "label": self.event.title,
            },
        ]


# --- Events overview (menu item and dashboard) --------------------------------------------


def events_with_counts(user, *, period="upcoming", now=None):
    """The events this viewer may see, with their seat and queue counts, in one query.

    "upcoming" keeps events that are not over (a series until its last date ends), soonest
    first; "past" the others, latest first. Drafts are included: editors prepare them here.
    """
    now = now or timezone.now()
    over = Q(last_end__lte=now) | Q(last_end__isnull=True, end__lte=now)
    events = (
        EventPage.objects.visible_to(user)
        .with_seat_counts()
        .annotate(
            online=Count(
                "registrations",
                filter=Q(
                    registrations__status__in=SEAT_STATUSES,
                    registrations__attendance=Attendance.ONLINE,
                ),
            ),
            waitlisted=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
            ),
            pending=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.PENDING)
            ),
        )
    )
    if period == "past":
        return events.filter(over).order_by("-start", "-pk")
    if period == "upcoming":
        return events.exclude(over).order_by("start", "pk")
    return events.order_by("-start", "-pk")


def event_when(event, now=None) -> str:
    """The event's date in its own zone; a series shows its next date and that it repeats."""
    if event.all_day:
        return emails.format_dates(event)
    if not event.is_recurring:
        return emails.format_span(event, event.time_zone)
    upcoming = emails.next_occurrence(event, now)
    if upcoming is None:
        return emails.format_span(event, event.time_zone)
    return _("Next: %(when)s; the series runs until %(until)s") % {
        "when": emails.format_span(upcoming, event.time_zone),
        "until": dateformat.format(event.repeat_until, "j F Y"),
    }


def seats_label(event) -> str:
    if event.capacity is None:
        label = _("%(taken)s (unlimited)") % {"taken": event.seats_taken}
    else:
        label = _("%(taken)s / %(capacity)s") % {
            "taken": event.seats_taken,
            "capacity": event.capacity,
        }
    if event.format == EventFormat.HYBRID:
        # In-person seats against the room's capacity, then those attending online.
        label = _("%(room)s in person, %(online)s online") % {
            "room": label,
            "online": getattr(event, "online", 0),
        }
    return label


def event_state_label(event) -> str:
    label = str(event.get_status_display())
    if not event.live:
        return _("%(status)s, draft") % {"status": label}
    if event.has_unpublished_changes:
        return _("%(status)s, draft changes") % {"status": label}
    return label


class RegistrationsLinkColumn(Column):
    cell_template_name = "events/admin/includes/registrations_link_cell.html"

    def __init__(self):
        super().__init__("registrations_link", label=_("Registrations"))

    def get_value(self, instance):
        return None

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = reverse("events_admin:registrations", args=[instance.pk])
        context["export_url"] = context["url"] + "?export=csv"
        context["title"] = instance.title
        return context


class EventsOverviewView(IndexView):
    """Admin menu "Events": upcoming events with dates, seats and links to registrations."""

    model = EventPage
    template_name = "events/admin/events_index.html"
    page_title = gettext_lazy("Events")
    header_icon = "date"
    list_per_page = 50
    is_searchable = False
    permission_policy = registration_policy
    permission_required = "view"
    any_permission_required = None
    PERIODS = {
        "upcoming": gettext_lazy("Upcoming"),
        "past": gettext_lazy("Past"),
        "all": gettext_lazy("All"),
    }

    @cached_property
    def period(self):
        period = self.request.GET.get("period", "upcoming")
        return period if period in self.PERIODS else "upcoming"

    def get_base_queryset(self):
        return events_with_counts(self.request.user, period=self.period)

    def order_queryset(self, queryset):
        # The period decides the order (soonest first, or latest first).
        return queryset

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Event"),
                get_url=lambda event: reverse("wagtailadmin_pages:edit", args=[event.pk]),
            ),
            Column("when", label=_("When (event's time zone)"), accessor=event_when),
            Column("state", label=_("Status"), accessor=event_state_label),
            Column("seats", label=_("Seats taken"), accessor=seats_label),
            Column("waitlisted", label=_("Waitlist")),
            Column("pending", label=_("Pending approval")),
            RegistrationsLinkColumn(),
        ]

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        base = reverse(self.index_url_name)
        context["periods"] = [
            {"url": f"{base}?period={key}", "label": label, "current": key == self.period}
            for key, label in self.PERIODS.items()
        ]
        return context


class EventsDashboardPanel(Component):
    """The admin dashboard's panel for staff: the vetting queue's size and the next events."""

    name = "events_overview"
    template_name = "events/admin/includes/dashboard_panel.html"
    order = 50  # above Wagtail's own panels: this is what the lab's editors come for
    limit = 5

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = self.request.user
        if access.can(user, "vet_members"):
            context["vetting_count"] = vetting.awaiting_decision().count()
            context["vetting_url"] = reverse("membership-vetting:index")
        events = list(events_with_counts(user)[: self.limit])
        context["events"] = [
            {
                "event": event,
                "edit_url": reverse("wagtailadmin_pages:edit", args=[event.pk]),
                "registrations_url": reverse("events_admin:registrations", args=[event.pk]),
                "when": event_when(event),
                "seats": seats_label(event),
                # Only what differs from a published, scheduled event is worth a label here.
                "note": (
                    event_state_label(event)
                    if not event.live
                    or event.has_unpublished_changes
                    or event.status != EventStatus.SCHEDULED
                    else ""
                ),
            }
            for event in events
        ]
        context["overview_url"] = reverse("events_overview:index")
        return context


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


class RegistrationIndexView(EventScreenMixin, IndexView):
    model = Registration
    permission_required = "view"
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
            *(
                [
                    Column(
                        "attendance",
                        label=_("Attends"),
                        accessor="get_attendance_display",
                        sort_key="attendance",
                    )
                ]
                if self.event.format == EventFormat.HYBRID
                else []
            ),
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
        # Wagtail keeps the downloads in the "…" menu; here they are a main task.
        buttons += [
            HeaderButton(
                _("Audit trail"),
                url=audit.trail_url(event=self.event.pk),
                icon_name="history",
                priority=25,
            ),
            HeaderButton(
                _("Download CSV"),
                url=self.csv_export_url,
                icon_name="download",
                priority=30,
                attrs={"download": ""},
            ),
            HeaderButton(
                _("Download XLSX"),
                url=self.xlsx_export_url,
                icon_name="download",
                priority=40,
                attrs={"download": ""},
            ),
        ]
        return buttons

    @cached_property
    def header_more_buttons(self):
        return []

    # Export: one column per question, keyed by the question's block id so a label edited
    # after registration still lines up; headed by the question's current label.

    #: Columns before the answers, with their headings.
    export_fields = {
        "name": gettext_lazy("Name"),
        "email": gettext_lazy("Email"),
        "organisation": gettext_lazy("Organisation"),
        "country": gettext_lazy("Country"),
        "status": gettext_lazy("Status"),
        "attendance": gettext_lazy("Attends"),
        "waitlist_position": gettext_lazy("Waitlist position"),
        "registered_at": gettext_lazy("Registered at"),
        "confirmed_at": gettext_lazy("Confirmed at"),
        "cancelled_at": gettext_lazy("Cancelled at"),
        "time_zone": gettext_lazy("Time zone"),
    }
    #: Export column → the registration's timestamp it shows.
    TIME_FIELDS = {
        "registered_at": "created_at",
        "confirmed_at": "confirmed_at",
        "cancelled_at": "cancelled_at",
    }

    @cached_property
    def questions(self) -> list[ExportQuestion]:
        return [
            ExportQuestion(question_key(block.id), block.value["label"], block.block_type)
            for block in self.event.questions
        ]

    #: Questions removed from the event since people answered them; set per export.
    removed_questions: list = []

    @property
    def list_export(self):
        return [
            *self.export_fields,
            *(q.key for q in self.questions),
            *(q.key for q in self.removed_questions),
        ]

    @property
    def export_headings(self):
        removed = {
            q.key: _("%(question)s (question removed)") % {"question": q.label}
            for q in self.removed_questions
        }
        return {
            **{key: str(label) for key, label in self.export_fields.items()},
            **{q.key: q.label for q in self.questions},
            **removed,
        }

    def get_heading(self, queryset, field):
        # Question labels are typed by editors: a spreadsheet must not run them either.
        return spreadsheet_text(super().get_heading(queryset, field))

    def get_filename(self):
        return f"registrations-{self.event.slug}"

    def as_spreadsheet(self, queryset, spreadsheet_format):
        self.removed_questions = removed_questions(self.questions, queryset)
        return super().as_spreadsheet(queryset, spreadsheet_format)

    @cached_property
    def waitlist_positions(self) -> dict[int, int]:
        """Everyone's place in the whole waitlist (not among the filtered rows), one query."""
        waiting = (
            Registration.objects.filter(event=self.event, status=RegistrationStatus.WAITLISTED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        return {pk: position for position, pk in enumerate(waiting, start=1)}

    def to_row_dict(self, item):
        zone = self.event.zone
        answers = item.answers or {}
        row = OrderedDict(
            name=member_name(item),
            email=item.user.email,
            organisation=member_organisation(item),
            country=str(item.country.name) if item.country else "",
            status=str(item.get_status_display()),
            attendance=str(item.get_attendance_display()) if item.attendance else "",
            waitlist_position=self.waitlist_positions.get(item.pk, ""),
        )
        for column, field in self.TIME_FIELDS.items():
            value = getattr(item, field)
            row[column] = value.astimezone(zone) if value else ""
        row["time_zone"] = self.event.time_zone
        for question in [*self.questions, *self.removed_questions]:
            answer = answers.get(block_id_of(question.key), {})
            value = answer.get("answer", "") if isinstance(answer, dict) else ""
            row[question.key] = question.display(value)
        return row

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, dt.datetime):
            # CSV: ISO 8601 with the offset, in the event's zone. XLSX cannot store an
            # offset: a real date cell with the event's wall-clock time; the zone column
            # says which zone that is.
            if export_format == self.FORMAT_CSV:
                return value.isoformat(timespec="seconds")
            return value.replace(tzinfo=None, microsecond=0)
        # Wagtail stores a leading "=" as text in XLSX but writes CSV cells as they are;
        # members type names and answers, so neutralise every text cell in both formats.
        return spreadsheet_text(super().preprocess_field_value(field, value, export_format))

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        # One unambiguous, sortable date format whatever the editor's language.
        return super().generate_xlsx_row(worksheet, row_dict, date_format=XLSX_DATETIME_FORMAT)

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


class BulkActionView(EventScreenMixin, WagtailAdminTemplateMixin, TemplateView):
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
                    services.registration_approve(registration, by=request.user)
                elif action == "reject":
                    services.registration_reject(registration, by=request.user, reason=reason)
                else:
                    services.registration_mark_attended(registration, by=request.user)
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
        label=gettext_lazy("Message"),
        help_text=gettext_lazy(
            "Sent as you write it, greeting included; the site adds only a closing line "
            "with the event's title and address."
        ),
        max_length=10000,
        # dir=auto: a message in Arabic reads right to left while it is typed.
        widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
    )
    # Generated when the form is first shown and carried through the preview: sending the
    # same form twice queues nothing new.
    batch = forms.UUIDField(widget=forms.HiddenInput)

    def clean_message(self):
        # Browsers send CRLF; the preview and the email show the same lines.
        return "\n".join(line.rstrip() for line in self.cleaned_data["message"].splitlines())


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
    RegistrationsSubpageMixin, EventScreenMixin, WagtailAdminTemplateMixin, FormView
):
    """Write → preview (the exact email) → send. Plain form posts: no JavaScript needed.

    A valid form without ``send`` shows the preview; the preview's form carries the same
    values (and batch) in hidden fields, with "Send" and "Change the message" buttons.
    """

    template_name = "events/admin/message.html"
    preview_template_name = "events/admin/message_preview.html"
    form_class = AttendeeMessageForm
    page_title = gettext_lazy("Message attendees")
    is_preview = False

    def get_initial(self):
        return {"batch": uuid.uuid4(), "recipients": "confirmed"}

    def form_invalid(self, form):
        messages.error(self.request, _("The message could not be sent. Correct the form."))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        if "edit" in self.request.POST:
            return self.render_to_response(self.get_context_data(form=form))
        recipients = list(services.message_recipients(self.event, form.cleaned_data["recipients"]))
        if "send" not in self.request.POST or not recipients:
            return self.preview(form, recipients)
        data = form.cleaned_data
        try:
            queued = services.event_message_attendees(
                self.event,
                by=self.request.user,
                recipients=data["recipients"],
                subject=data["subject"],
                message=data["message"],
                batch=data["batch"],
            )
        except services.NotAllowed as exc:
            raise Http404 from exc
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

    def preview(self, form, recipients):
        self.is_preview = True
        data = form.cleaned_data
        email = emails.attendee_message(
            self.event, subject=data["subject"], message=data["message"]
        )
        context = self.get_context_data(
            form=form,
            email=email,
            recipients=recipients,
            example_to=recipients[0].user.email if recipients else "",
            other_count=max(len(recipients) - 1, 0),
            recipients_label=dict(form.fields["recipients"].choices)[data["recipients"]],
        )
        return self.response_class(
            request=self.request,
            template=[self.preview_template_name],
            context=context,
            using=self.template_engine,
        )

    def get_page_title(self):
        if self.is_preview:
            return _("Preview the message")
        return super().get_page_title()


# --- Cancel the event ---------------------------------------------------------------------


class CancelEventForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Message to registrants (optional)"),
        help_text=gettext_lazy(
            "Goes into every cancellation email, as you write it: for example why, and what "
            "happens next."
        ),
        required=False,
        max_length=services.CANCEL_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
    )

    def clean_message(self):
        return "\n".join(line.rstrip() for line in self.cleaned_data["message"].splitlines())


class CancelEventView(
    RegistrationsSubpageMixin, EventScreenMixin, WagtailAdminTemplateMixin, FormView
):
    template_name = "events/admin/cancel_event.html"
    form_class = CancelEventForm
    page_title = gettext_lazy("Cancel event")

    def post(self, request, *args, **kwargs):
        if self.event.is_cancelled:
            messages.error(request, _("This event is already cancelled."))
            return redirect(self.url("registrations"))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        messages.error(self.request, _("The event was not cancelled. Correct the form."))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        notified = registration_counts(self.event)["active"]
        try:
            services.event_cancel(
                self.event, by=self.request.user, message=form.cleaned_data["message"]
            )
        except services.NotAllowed as exc:
            raise Http404 from exc
        except services.RegistrationError as exc:
            messages.error(self.request, exc.message)
            return redirect(self.url("registrations"))
        messages.success(
            self.request,
            ngettext(
                "The event is cancelled; %(count)s registrant is being notified.",
                "The event is cancelled; %(count)s registrants are being notified.",
                notified,
            )
            % {"count": notified},
        )
        return redirect(self.url("registrations"))


# --- Buttons on event pages ---------------------------------------------------------------


class RegistrationsButton(PageMenuItem):
    """ "Registrations" on each event's row in the page explorer."""

    label = gettext_lazy("Registrations")
    icon_name = "group"
    url_name = "events_admin:registrations"

    def is_shown(self, user):
        return registration_policy.user_has_permission_for_instance(user, "view", self.page)


class EventPageEditView(EditView):
    """The event page's editor, with "Registrations" and "Download CSV" in its header
    (Wagtail puts every hooked header button into the "…" menu)."""

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if registration_policy.user_has_permission_for_instance(
            self.request.user, "view", self.page
        ):
            url = reverse("events_admin:registrations", args=[self.page.pk])
            buttons += [
                HeaderButton(_("Registrations"), url=url, icon_name="group", priority=10),
                HeaderButton(
                    _("Download CSV"),
                    url=f"{url}?export=csv",
                    icon_name="download",
                    priority=20,
                    attrs={"download": ""},
                ),
            ]
        return buttons
