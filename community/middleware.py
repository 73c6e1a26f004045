"""Editors, moderators and administrators reach their tools only with MFA turned on."""

from django.conf import settings
from django.contrib import messages
from django.middleware import csp
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from allauth.mfa.utils import is_mfa_enabled

from . import access

PROTECTED_PREFIXES = ("/admin/", "/django-admin/", "/moderation/")


class RequireMFAForPrivilegedRolesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            path.startswith(PROTECTED_PREFIXES)
            and request.user.is_authenticated
            and access.is_privileged(request.user)
            and not is_mfa_enabled(request.user)
        ):
            messages.warning(
                request,
                _("Your role requires two-factor authentication. Set it up to continue."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's CSP, with the admin's own policy: Wagtail's admin still ships inline scripts."""

    def process_response(self, request, response):
        if request.path_info.startswith("/admin/") and not hasattr(response, "_csp_config"):
            response._csp_config = settings.ADMIN_CSP
        return super().process_response(request, response)
