"""allauth glue: account emails go through the recorded, queued sender like every other;
people are named by their name or address, never by a username the site made up."""

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_email, user_username
from allauth.core import context as allauth_context
from allauth.mfa.utils import is_mfa_enabled

from . import access, accounts
from .emails import queue_message


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Reached only without a ``next``. Moderators, editors and admins without MFA set it
        # up first; the setup's last page offers the way on to their dashboard.
        if access.holds_privileged_role(request.user) and not is_mfa_enabled(request.user):
            accounts.remember_destination(request, accounts.dashboard_url())
            return reverse("mfa_activate_totp")
        return accounts.dashboard_url()

    def _get_login_attempts_cache_key(self, request, **credentials):
        """The "key" of the ``login_failed`` rate limit: the address *and* the client's IP.

        allauth keys it on the address alone, so five wrong passwords from anywhere lock the
        account for everyone, its owner included: a way to keep a member out of their own
        account. Per address and IP, an attacker only pauses their own attempts; guessing from
        many addresses is held back by the per-IP limit, the password rules and, for every
        privileged role, two-step verification. Overrides a private allauth method on purpose:
        tests/community/test_rate_limits.py fails if allauth stops calling it."""
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{key}:{self.get_client_ip(request)}"

    def get_signup_redirect_url(self, request):
        # A new account has one thing to do: apply for membership.
        return reverse("membership")

    def populate_username(self, request, user):
        """Django's user model needs a username; people sign in with their address only.

        The address itself is the username when it fits, so that nothing (Wagtail's admin
        included) ever shows a name like "user12" that the person never chose.
        """
        email = (user_email(user) or "").strip().lower()
        taken = get_user_model()._default_manager.filter(username__iexact=email).exists()
        if email and len(email) <= 150 and not taken and not user_username(user):
            user_username(user, email)
        super().populate_username(request, user)

    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            # Our templates name the site and link to it by these, never by the request's host.
            "site_name": settings.WAGTAIL_SITE_NAME,
            "site_url": settings.SITE_URL,
        }
        ctx.update(context)
        # The greeting's name is looked up here, not by the template. Notifications (a
        # changed password, a new authenticator) name no user: they go to the one signed in.
        recipient = ctx.get("user") or getattr(request, "user", None)
        membership = getattr(recipient, "membership", None)
        ctx["recipient_name"] = membership.full_name if membership is not None else ""
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
