"""allauth glue: account emails go through the recorded, queued sender like every other."""

import uuid

from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.utils import is_mfa_enabled

from . import access
from .emails import queue_message


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Moderators, editors and admins without MFA go straight to set it up.
        if access.is_privileged(request.user) and not is_mfa_enabled(request.user):
            return reverse("mfa_activate_totp")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (
                body
                for body, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        queue_message(
            # Each account email (a verification link, a reset code) is its own message.
            key=f"account:{template_prefix}:{uuid.uuid4()}",
            to=list(message.to),
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            from_email=message.from_email,
        )
