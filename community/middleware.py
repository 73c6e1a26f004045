"""Gates in front of the admin: staff only, and with MFA for every privileged role.

Also the one place that keeps a signed-in person out of sign-in loops: any page that answers a
signed-in person with "go and sign in" (Wagtail's admin, a Wagtail page restricted to groups)
would send them to the sign-in page, which sends a signed-in person straight back.
"""

from urllib.parse import urlparse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import get_user
from django.http import Http404
from django.middleware import csp
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

from allauth.account.authentication import get_authentication_records

from . import access
from .accounts import remember_destination

ADMIN_PREFIX = "/admin/"
PROTECTED_PREFIXES = (ADMIN_PREFIX, "/django-admin/", "/moderation/")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def no_admin_access(request):
    """The admin's answer to a signed-in person who is not lab staff: a page, not a loop.

    403 rather than the policy's 404: every Wagtail site has an admin at /admin/, so saying
    it exists hides nothing, and "your account has no access" is what the person needs.
    """
    return TemplateResponse(request, "community/no_admin_access.html", status=403).render()


def _admin_admits(user) -> bool:
    """Whether Wagtail's admin lets ``user`` in at all, once their session has passed two-step
    verification. Only when it would not does this middleware answer in its place (Wagtail's
    own answer is the sign-in loop). Wagtail's permission is honoured beside the policy so that
    a hand-granted ``access_admin`` reaches the admin, where each screen still asks the access
    policy."""
    return access.admin_once_verified(user)


def session_passed_mfa(request, user) -> bool:
    """This session signed in (or re-authenticated) with a second factor the account still
    has. allauth records each authentication step in the session; we record one more when an
    authenticator is set up (community.signals), which also proves the second factor."""
    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records) and (
        access.has_authenticator(user)
    )


def _assured_user(request):
    user = get_user(request)
    if user.is_authenticated:
        passed = session_passed_mfa(request, user) if access.holds_privileged_role(user) else False
        access.assure(
            user,
            access.Assurance.VERIFIED_SESSION if passed else access.Assurance.UNVERIFIED_SESSION,
        )
    return user


class SessionAssuranceMiddleware:
    """Tells the access policy whether this session passed two-step verification: privileged
    roles are in force only in a session that did (see ``access.Assurance``). Lazy, like
    Django's own ``request.user``: a request that never looks at the user costs nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: _assured_user(request))
        return self.get_response(request)


class RequireMFAForPrivilegedRolesMiddleware:
    """Staff only in the admin, MFA for privileged roles, and no sign-in loops (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.gate(request) or self.get_response(request)
        return self.never_back_to_login(request, response)

    def gate(self, request):
        path = request.path_info
        if path.startswith(PROTECTED_PREFIXES) and request.user.is_authenticated:
            # Who may use the admin at all comes first: a moderator without MFA is not sent
            # to set it up for a place their role cannot open anyway.
            if path.startswith(ADMIN_PREFIX) and not _admin_admits(request.user):
                return no_admin_access(request)
            if access.privileges_pending(request.user):
                return self.verify_first(request)
        return None

    @staticmethod
    def verify_first(request):
        """A privileged account in a session without two-step verification: set it up, or
        confirm it with the second factor, then come back here."""
        destination = request.get_full_path() if request.method == "GET" else ""
        if access.has_authenticator(request.user):
            messages.info(
                request,
                _("Confirm it is you with your authenticator app to use your staff role."),
            )
            url = resolve_url("mfa_reauthenticate")
            return redirect(f"{url}?{urlencode({'next': destination})}" if destination else url)
        messages.warning(
            request,
            _("Your role requires two-step verification. Set it up to continue."),
        )
        if destination:
            remember_destination(request, destination)
        return redirect("mfa_activate_totp")

    @staticmethod
    def never_back_to_login(request, response):
        """A signed-in person sent to the sign-in page gets "not found" instead (the policy's
        answer for content they may not open), so no redirect cycles through the login page."""
        if (
            response.status_code in _REDIRECTS
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and urlparse(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)
            and request.path_info != resolve_url(settings.LOGIN_URL)
        ):
            if request.path_info.startswith(ADMIN_PREFIX):
                return no_admin_access(request)
            return page_not_found(request, Http404())
        return response


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's CSP, with the admin's own policy: Wagtail's admin still ships inline scripts."""

    def process_response(self, request, response):
        if request.path_info.startswith("/admin/") and not hasattr(response, "_csp_config"):
            response._csp_config = settings.ADMIN_CSP
        return super().process_response(request, response)
