"""Admin screens of the community app: vetting queue, agency domains, email log, the audit
trail, and the membership actions it records."""

from django.http import Http404
from django.urls import include, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import access, audit, files
from .admin_views import (
    ApproveView,
    AuditTrailView,
    DenyActionsPolicy,
    MembershipEditView,
    MembershipFilterSet,
    MembershipHistoryView,
    MembershipIndexView,
    MembershipInspectView,
    OutboundEmailIndexView,
    RejectView,
    RequeueBulkAction,
)
from .models import AgencyDomain, Membership, OutboundEmail

# Registered before the viewsets so they use these policies instead of Wagtail's default.
# A membership exists for every account; nobody creates or deletes one by hand.
register_permission_policy(Membership, DenyActionsPolicy(Membership, {"add", "delete"}))
# The email log is a record: nobody writes to it from the admin.
register_permission_policy(
    OutboundEmail, DenyActionsPolicy(OutboundEmail, {"add", "change", "delete"})
)


class MembershipViewSet(ModelViewSet):
    model = Membership
    name = "membership-vetting"
    icon = "group"
    menu_label = _("Membership vetting")
    menu_order = 250
    add_to_admin_menu = True
    # Nothing links to a membership from content; indexing would cost a task on every save.
    add_to_reference_index = False
    index_view_class = MembershipIndexView
    edit_view_class = MembershipEditView
    inspect_view_class = MembershipInspectView
    history_view_class = MembershipHistoryView
    inspect_view_enabled = True
    copy_view_enabled = False
    filterset_class = MembershipFilterSet
    search_fields = ["full_name", "organisation", "user__email"]
    list_per_page = 50
    # Status, verification and staff role change only through community.services.
    form_fields = ["organisation", "organisation_type", "country", "position", "staff_notes"]
    # What the applicant wrote, then what the lab decided.
    inspect_view_fields = [
        *Membership.APPLICATION_FIELDS,
        "status",
        "applied_at",
        "verified_by",
        "verified_at",
        "expires_at",
        "auto_verified_domain",
        "decision_reason",
        "staff_role",
        "staff_notes",
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            approve_url_name=self.get_url_name("approve"),
            reject_url_name=self.get_url_name("reject"),
            inspect_url_name=self.get_url_name("inspect"),
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("approve/<id:pk>/", self.construct_view(ApproveView), name="approve"),
            path("reject/<id:pk>/", self.construct_view(RejectView), name="reject"),
        ]


class AgencyDomainViewSet(SnippetViewSet):
    model = AgencyDomain
    icon = "site"
    menu_label = _("Agency email domains")
    menu_order = 260
    add_to_admin_menu = True
    ordering = ("domain",)
    search_fields = ["domain", "organisation"]
    search_backend_name = None  # a short list: a database LIKE is enough
    list_display = ["domain", "organisation", "country", "kind", "active"]
    list_filter = ["kind", "active"]


class OutboundEmailViewSet(ModelViewSet):
    model = OutboundEmail
    name = "email-log"
    icon = "mail"
    index_view_class = OutboundEmailIndexView
    index_template_name = "community/admin/outbound_email_index.html"
    menu_label = _("Email log")
    menu_order = 270
    add_to_admin_menu = True
    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False
    ordering = "-created_at"
    list_filter = ["status"]
    search_fields = ["subject", "key"]
    list_per_page = 50
    list_display = [
        "subject",
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("to", label=_("To"), accessor=lambda email: ", ".join(email.to)),
        Column("attempts", label=_("Attempts"), sort_key="attempts"),
        Column("last_error", label=_("Last error")),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DateColumn("sent_at", label=_("Sent"), sort_key="sent_at"),
    ]
    # Bodies are left out on purpose: account emails carry sign-in codes and reset links.
    inspect_view_fields = [
        "subject",
        "to",
        "from_email",
        "status",
        "attempts",
        "next_attempt_at",
        "queued_at",
        "last_error",
        "message_id",
        "created_at",
        "sent_at",
    ]

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]


@hooks.register("register_admin_viewset")
def register_membership_viewset():
    return MembershipViewSet()


@hooks.register("register_admin_viewset")
def register_outbound_email_viewset():
    return OutboundEmailViewSet()


hooks.register("register_bulk_action", RequeueBulkAction)

register_snippet(AgencyDomainViewSet)


@hooks.register("before_serve_document")
def serve_documents_only_to_those_allowed(document, request):
    """Wagtail's serve view asks before sending a document: a viewer who may not have it
    gets the same 404 as for a missing one; on a signing storage, a short-lived URL."""
    if not access.can(request.user, "files.download", document):
        raise Http404
    return files.document_response_or_none(document)


# --- Audit trail --------------------------------------------------------------------------


class MembershipAction(audit.AuditFormatter):
    # Whoever vets members reads what happened to memberships.
    capability = "vet_members"


class MembershipSubmitted(MembershipAction):
    label = _("Membership: application submitted")

    def describe(self, data):
        if data.get("auto_verified_domain"):
            return gettext(
                "Submitted the application; verified automatically (agency domain %(domain)s)"
            ) % {"domain": data["auto_verified_domain"]}
        if data.get("old_status") == Membership.Status.VERIFIED:
            return gettext("Updated the membership details")
        return gettext("Submitted the membership application")


class MembershipApproved(MembershipAction):
    label = _("Membership: approved")

    def describe(self, data):
        if data.get("old_status") == Membership.Status.REJECTED:
            return gettext("Approved the membership, reversing the rejection")
        return gettext("Approved the membership")


class MembershipRejected(MembershipAction):
    label = _("Membership: rejected")

    def describe(self, data):
        return gettext("Rejected the application: %(reason)s") % {
            "reason": self.short(data.get("reason"))
        }


class MembershipSuspended(MembershipAction):
    label = _("Membership: suspended")

    def describe(self, data):
        if not data.get("reason"):
            return gettext("Suspended the membership")
        return gettext("Suspended the membership: %(reason)s") % {
            "reason": self.short(data["reason"])
        }


def _role(value) -> str:
    return str(dict(Membership._meta.get_field("staff_role").choices).get(value, value))


class MembershipStaffRole(MembershipAction):
    label = _("Membership: staff role changed")

    def describe(self, data):
        text = gettext("Changed the staff role from %(old)s to %(new)s") % {
            "old": _role(data.get("old_role", "")),
            "new": _role(data.get("new_role", "")),
        }
        if data.get("via") == "command line":
            text = gettext("%(change)s (on the command line)") % {"change": text}
        return text


class MembershipExpired(MembershipAction):
    label = _("Membership: expired")
    message = _("The membership expired")


MEMBERSHIP_ACTIONS = {
    "community.membership.submit": MembershipSubmitted,
    "community.membership.approve": MembershipApproved,
    "community.membership.reject": MembershipRejected,
    "community.membership.suspend": MembershipSuspended,
    "community.membership.staff_role": MembershipStaffRole,
    "community.membership.expire": MembershipExpired,
}


@hooks.register("register_log_actions")
def register_membership_log_actions(actions):
    for name, formatter in MEMBERSHIP_ACTIONS.items():
        audit.register(actions, name, formatter)


audit_trail_urlpatterns = [
    path("", AuditTrailView.as_view(), name="index"),
    path("results/", AuditTrailView.as_view(results_only=True), name="index_results"),
]


@hooks.register("register_admin_urls")
def register_audit_trail_urls():
    # Beside Wagtail's own reports (its "reports/" patterns do not claim this path).
    return [
        path(
            "reports/audit-trail/",
            include((audit_trail_urlpatterns, "audit_trail"), namespace="audit_trail"),
        )
    ]


class AuditTrailMenuItem(MenuItem):
    def is_shown(self, request):
        return audit.may_read(request.user)


@hooks.register("register_reports_menu_item")
def register_audit_trail_menu_item():
    # Right after Wagtail's "Site history" (order 1000).
    return AuditTrailMenuItem(
        _("Audit trail"),
        reverse("audit_trail:index"),
        name="audit-trail",
        icon_name="history",
        order=1010,
    )
