"""Wagtail admin views for the editors' vetting queue, the email log and the audit trail.

Status changes go through :mod:`community.services` only, so every approval or rejection
syncs the member's groups and emails them. The generic edit view never touches status.
"""

import datetime as dt

from django import forms
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.filters import ContentTypeFilter, WagtailFilterSet
from wagtail.admin.ui.tables import (
    BulkActionsCheckboxColumn,
    ButtonsColumnMixin,
    Column,
    DateColumn,
    TitleColumn,
)
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic import EditView, IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.admin.widgets.button import HeaderButton, ListingButton
from wagtail.log_actions import registry as log_registry
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy

import django_filters
from django_countries import countries

from . import access, audit, emails, services
from .accounts import user_display
from .forms import RejectForm
from .models import Membership, OutboundEmail


class DenyActionsPolicy(ModelPermissionPolicy):
    """Django model permissions, minus actions nobody may take from the admin.

    Superusers hold every model permission, so only a policy can keep them from adding
    memberships by hand (a membership follows its account) or editing the email log.
    """

    def __init__(self, model, denied):
        super().__init__(model)
        self.denied = frozenset(denied)

    def user_has_permission(self, user, action):
        if action in self.denied:
            return False
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action not in self.denied]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


# --- Listing ------------------------------------------------------------------------------


STATE_ALL = "all"
STATE_DEFAULT = Membership.State.PENDING


class StateFilter(django_filters.ChoiceFilter):
    """Membership state, as the queue reads it; "all" turns the filter off."""

    def filter(self, qs, value):
        if not value or value == STATE_ALL:
            return qs
        return qs.in_state(value)


class MembershipFilterSet(WagtailFilterSet):
    state = StateFilter(
        label=gettext_lazy("State"),
        choices=[
            (STATE_DEFAULT, gettext_lazy("Awaiting a decision")),
            *[
                (value, label)
                for value, label in Membership.State.choices
                if value != STATE_DEFAULT
            ],
            (STATE_ALL, gettext_lazy("All memberships")),
        ],
        empty_label=None,
        initial=STATE_DEFAULT,
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Kind"), choices=Membership.Kind.choices)
    organisation_type = django_filters.ChoiceFilter(
        label=gettext_lazy("Organisation type"), choices=Membership.OrganisationType.choices
    )
    country = django_filters.ChoiceFilter(label=gettext_lazy("Country"), choices=countries)

    class Meta:
        model = Membership
        fields = ["state", "kind", "organisation_type", "country"]

    def __init__(self, data=None, *args, **kwargs):
        # The queue opens on what needs a decision; the other states are one choice away.
        if data is not None and not data.get("state"):
            data = data.copy()
            data["state"] = STATE_DEFAULT
        super().__init__(data, *args, **kwargs)


class MembershipIndexView(IndexView):
    """The vetting queue: by default only applications awaiting a decision, oldest first."""

    page_title = gettext_lazy("Membership vetting")
    approve_url_name = None
    reject_url_name = None

    def get_base_queryset(self):
        waiting = Membership.AWAITING_DECISION
        return (
            super()
            .get_base_queryset()
            .select_related("user")
            .annotate(
                queue_rank=Case(
                    When(waiting, then=Value(0)),
                    When(applied_at__isnull=False, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                )
            )
        )

    def get_page_subtitle(self):
        # The queue opens filtered; the header says on what, so nobody takes it for everyone.
        if self.filters is not None and self.filters.is_valid():
            state = self.filters.form.cleaned_data.get("state")
            return dict(self.filters.filters["state"].extra["choices"]).get(state, "")
        return ""

    def order_queryset(self, queryset):
        if self.is_explicitly_ordered and self.ordering:
            return queryset.order_by(self.ordering, "pk")
        return queryset.order_by("queue_rank", F("applied_at").asc(nulls_last=True), "pk")

    @cached_property
    def columns(self):
        view = self

        class NameColumn(ButtonsColumnMixin, TitleColumn):
            def get_buttons(self, instance, parent_context):
                return view.get_list_buttons(instance)

        return [
            NameColumn(
                "name",
                label=_("Name"),
                accessor="display_name",
                sort_key="full_name",
                get_url=self.get_inspect_url,
            ),
            Column("email", label=_("Email"), accessor="user.email", sort_key="user__email"),
            Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
            Column("organisation", label=_("Organisation"), sort_key="organisation"),
            Column(
                "organisation_type",
                label=_("Organisation type"),
                accessor="get_organisation_type_display",
                sort_key="organisation_type",
            ),
            Column("country", label=_("Country"), accessor="country.name", sort_key="country"),
            Column("state", label=_("State"), accessor="get_state_display", sort_key="status"),
            DateColumn("applied_at", label=_("Applied at"), sort_key="applied_at"),
        ]

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not self.user_has_permission("change"):
            return buttons
        if services.may_approve(instance):
            buttons.append(
                ListingButton(
                    _("Approve"),
                    url=reverse(self.approve_url_name, args=(quote(instance.pk),)),
                    icon_name="check",
                    attrs={"aria-label": _("Approve %(name)s") % {"name": instance.display_name}},
                    priority=1,
                )
            )
        if services.may_reject(instance):
            buttons.append(
                ListingButton(
                    _("Reject"),
                    url=reverse(self.reject_url_name, args=(quote(instance.pk),)),
                    icon_name="cross",
                    attrs={"aria-label": _("Reject %(name)s") % {"name": instance.display_name}},
                    priority=2,
                )
            )
        return buttons


# --- Inspect and edit ---------------------------------------------------------------------


class MembershipInspectView(InspectView):
    approve_url_name = None
    reject_url_name = None
    history_url_name = None

    def get_object(self, queryset=None):
        return get_object_or_404(
            Membership.objects.select_related("user", "verified_by"), pk=self.pk
        )

    def get_fields_context(self):
        email = {"label": _("Email"), "value": self.object.user.email, "component": None}
        return [email, *super().get_fields_context()]

    @cached_property
    def header_buttons(self):
        buttons = []
        if access.can(self.request.user, "vet_members"):
            buttons += [
                HeaderButton(
                    _("History"),
                    url=reverse(self.history_url_name, args=(quote(self.object.pk),)),
                    icon_name="history",
                    priority=30,
                ),
                HeaderButton(
                    _("Audit trail of this member"),
                    url=audit.trail_url(member=self.object.user_id),
                    icon_name="list-ul",
                    priority=40,
                ),
            ]
        if not self.user_has_permission("change"):
            return buttons
        if services.may_approve(self.object):
            buttons.append(
                HeaderButton(
                    _("Approve"),
                    url=reverse(self.approve_url_name, args=(quote(self.object.pk),)),
                    icon_name="check",
                    priority=10,
                )
            )
        if services.may_reject(self.object):
            buttons.append(
                HeaderButton(
                    _("Reject"),
                    url=reverse(self.reject_url_name, args=(quote(self.object.pk),)),
                    icon_name="cross",
                    priority=20,
                )
            )
        return buttons


class MembershipHistoryView(HistoryView):
    """Wagtail's history of one membership (its decisions and edits), for those who vet."""

    def dispatch(self, request, *args, **kwargs):
        if not access.can(request.user, "vet_members"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def header_buttons(self):
        return [
            *super().header_buttons,
            HeaderButton(
                _("Audit trail of this member"),
                url=audit.trail_url(member=self.object.user_id),
                icon_name="list-ul",
            ),
        ]


STAFF_ROLE_CHOICES = Membership._meta.get_field("staff_role").choices


def with_staff_role_field(form_class):
    """The edit form plus a staff-role choice, which is saved through the service."""

    class MembershipStaffRoleForm(form_class):
        staff_role = forms.ChoiceField(
            label=gettext_lazy("Staff role"),
            choices=STAFF_ROLE_CHOICES,
            required=False,
            help_text=gettext_lazy(
                "Lab staff and trusted members. Takes effect only while verified."
            ),
        )

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["staff_role"].initial = self.instance.staff_role

    return MembershipStaffRoleForm


class MembershipEditView(EditView):
    """Edits staff notes and organisation details; status changes only through vetting."""

    def get_form_class(self):
        form_class = super().get_form_class()
        if access.can(self.request.user, "manage_staff_roles"):
            return with_staff_role_field(form_class)
        return form_class

    def save_instance(self):
        instance = super().save_instance()
        if "staff_role" in self.form.fields:
            role = self.form.cleaned_data.get("staff_role") or ""
            if role != instance.staff_role:
                instance = services.membership_set_staff_role(
                    instance, by=self.request.user, staff_role=role
                )
        return instance


# --- Vetting decisions --------------------------------------------------------------------


class VettingActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Shared by approve and reject: load the application, check rights, go back to the queue."""

    model = Membership
    permission_required = "change"
    index_url_name = None
    inspect_url_name = None
    header_icon = "user"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Membership.objects.select_related("user"), pk=kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        # Staff rights come from the access policy; the model permission alone is not enough.
        if not access.can(request.user, "vet_members"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.object.display_name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Membership vetting")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["membership"] = self.object
        context["index_url"] = reverse(self.index_url_name)
        context["inspect_url"] = reverse(self.inspect_url_name, args=(quote(self.object.pk),))
        return context

    def back_to_queue(self):
        return redirect(self.index_url_name)

    def refuse(self, message):
        messages.error(self.request, message)
        return self.back_to_queue()

    #: The service's own predicate for this decision (``services.may_approve`` …).
    allowed = None

    def get(self, request, *args, **kwargs):
        # A stale link to a decision already taken says so instead of offering a form.
        if not self.allowed(self.object):
            return self.refuse(services.refusal(self.object))
        return super().get(request, *args, **kwargs)


class ApproveView(VettingActionView):
    template_name = "community/admin/approve.html"
    page_title = gettext_lazy("Approve application")

    allowed = staticmethod(services.may_approve)

    def post(self, request, *args, **kwargs):
        try:
            membership = services.membership_approve(self.object, by=request.user)
        except services.VettingError as exc:
            return self.refuse(str(exc))
        messages.success(
            request,
            _("%(name)s is now a verified member; they have been emailed.")
            % {"name": membership.display_name},
        )
        return self.back_to_queue()


class RejectView(VettingActionView):
    template_name = "community/admin/reject.html"
    page_title = gettext_lazy("Reject application")

    allowed = staticmethod(services.may_reject)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RejectForm())
        return context

    def post(self, request, *args, **kwargs):
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason the applicant will read."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            membership = services.membership_reject(
                self.object, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.VettingError as exc:
            return self.refuse(str(exc))
        messages.success(
            request,
            _("The application of %(name)s was rejected; they have been emailed.")
            % {"name": membership.display_name},
        )
        return self.back_to_queue()


# --- Email log ----------------------------------------------------------------------------


class OutboundEmailIndexView(IndexView):
    """The email log with row checkboxes, so staff can re-queue failed mail in bulk."""

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="outboundemail"),
            *super().columns,
        ]

    def _get_title_column(self, *args, **kwargs):
        # Each checkbox is described by its row's subject (the id the checkbox points at).
        return super()._get_title_column(
            *args, **kwargs, get_title_id=lambda email: f"outboundemail_{quote(email.pk)}_title"
        )


class RequeueBulkAction(BulkAction):
    """Put failed emails back in the queue with a fresh retry window; others stay as they are."""

    display_name = gettext_lazy("Re-queue")
    action_type = "requeue"
    aria_label = gettext_lazy("Re-queue the selected failed emails")
    template_name = "community/admin/confirm_bulk_requeue.html"
    action_priority = 10
    models = [OutboundEmail]

    def check_perm(self, obj):
        # Whoever may read the email log may send failed mail again; nobody may edit it.
        return self.request.user.has_perm("community.view_outboundemail")

    def get_queryset(self, model, object_ids):
        return list(model.objects.filter(pk__in=object_ids, status=OutboundEmail.Status.FAILED))

    def object_context(self, obj):
        return {"item": obj}

    @classmethod
    def execute_action(cls, objects, **kwargs):
        count = emails.requeue(OutboundEmail.objects.filter(pk__in=[obj.pk for obj in objects]))
        return count, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d email re-queued.", "%(count)d emails re-queued.", num_parent_objects
        ) % {"count": num_parent_objects}


# --- Audit trail --------------------------------------------------------------------------


def _requested_pk(request, name):
    """The id a link asked to filter on, so that a member or event with no entries yet
    filters down to nothing instead of being refused (Wagtail drops invalid filters)."""
    value = request.GET.get(name, "") if request is not None else ""
    return int(value) if value.isdigit() and len(value) <= 18 else None


def _with_requested(queryset, ids, requested):
    condition = Q(pk__in=ids)
    if requested is not None:
        condition |= Q(pk=requested)
    return queryset.filter(condition)


def _members(request):
    users = get_user_model().objects.select_related("membership")
    subjects = audit.subject_ids(request.user)
    return _with_requested(users, subjects, _requested_pk(request, "member")).order_by("email")


def _events(request):
    pages = audit.page_ids(request.user)
    return _with_requested(Page.objects.all(), pages, _requested_pk(request, "event")).order_by(
        "title"
    )


class MemberChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        name = user_display(obj)
        return name if name == obj.email else f"{name} ({obj.email})"


class PageChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_admin_display_title()


class MemberFilter(django_filters.ModelChoiceFilter):
    field_class = MemberChoiceField


class PageFilter(django_filters.ModelChoiceFilter):
    field_class = PageChoiceField


class AuditTrailFilterSet(SiteHistoryReportFilterSet):
    """Wagtail's site-history filters over the lab's own entries, plus the two questions
    editors ask most: everything about one member, and everything about one event."""

    object_type = ContentTypeFilter(
        label=gettext_lazy("Type"),
        method="filter_object_type",
        queryset=lambda request: audit.content_types(request.user),
    )
    member = MemberFilter(
        label=gettext_lazy("About member"), method="filter_member", queryset=_members
    )
    event = PageFilter(label=gettext_lazy("Event"), method="filter_event", queryset=_events)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Page comments are not among the lab's actions.
        self.filters.pop("is_commenting_action", None)

    def get_action_choices(self):
        used = set()
        for model in audit.log_models():
            used |= audit.entries(self.request.user, model).get_actions()
        return [choice for choice in log_registry.get_choices() if choice[0] in used]

    def get_users_queryset(self):
        User = get_user_model()
        return User.objects.filter(pk__in=audit.actor_ids(self.request.user)).order_by(
            User.USERNAME_FIELD
        )

    def filter_member(self, queryset, name, value):
        return queryset.filter(data__member=value.pk)

    def filter_event(self, queryset, name, value):
        return queryset.filter(audit.about_event(queryset.model, value.pk))


class AuditTrailView(LogEntriesView):
    """Wagtail's site history report, reading the lab's own entries as the access policy
    allows (Wagtail's report asks Django model permissions, which editors do not hold for
    registrations or calendar links)."""

    page_title = gettext_lazy("Audit trail")
    filterset_class = AuditTrailFilterSet
    index_url_name = "audit_trail:index"
    index_results_url_name = "audit_trail:index_results"
    export_headings = {**LogEntriesView.export_headings, "message": gettext_lazy("Details")}
    list_export = [*LogEntriesView.list_export, "message"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.custom_field_preprocess["message"] = {
            self.FORMAT_CSV: force_str,
            self.FORMAT_XLSX: force_str,
        }

    def dispatch(self, request, *args, **kwargs):
        if not audit.may_read(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_filename(self):
        return f"audit-trail-{dt.date.today():%Y-%m-%d}"

    def get_filtered_queryset(self):
        # As Wagtail's report does: one filtered values() query per log model, joined with
        # union() and ordered; decorate_paginated_queryset turns the page back into entries.
        # Only the starting rows differ: the lab's actions this person may read.
        self.log_models = audit.log_models()
        queryset = None
        for index, log_model in enumerate(self.log_models):
            rows = (
                audit.entries(self.request.user, log_model)
                .values("pk", "timestamp")
                .annotate(log_model_index=Value(index, output_field=IntegerField()))
            )
            rows = self.filter_queryset(rows).order_by()
            queryset = rows if queryset is None else queryset.union(rows, all=True)
        return queryset.order_by("-timestamp", "-pk")
