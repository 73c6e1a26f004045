from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from allauth.mfa.utils import is_mfa_enabled

from . import access, accounts, services
from .forms import MembershipApplicationForm


@login_required
def my_account(request):
    """ "Your account": where sign-in lands without a ``next``. Membership state first, then
    what feature apps add (upcoming events), then every page that manages the account."""
    user = request.user
    membership = services.membership_for(user)
    links = [
        accounts.AccountLink(
            _("Membership"),
            reverse("membership"),
            _("Your application, your vetting status and how long it is valid."),
            100,
        ),
        accounts.AccountLink(
            _("Email addresses"),
            reverse("account_email"),
            _("The addresses you sign in with and receive the lab's emails at."),
            110,
        ),
        accounts.AccountLink(
            _("Password"), reverse("account_change_password"), _("Change your password."), 120
        ),
        accounts.AccountLink(
            _("Two-step verification"),
            reverse("mfa_index"),
            _("On: a code from your authenticator app is asked at sign-in.")
            if is_mfa_enabled(user)
            else _("Off: turn it on to protect your account with a code from an app."),
            130,
        ),
        accounts.AccountLink(
            _("Sessions"),
            reverse("usersessions_list"),
            _("The devices and browsers signed in to your account; sign the others out."),
            140,
        ),
        accounts.AccountLink(
            _("Time zone and language"),
            reverse("preferences"),
            _("The time zone event times are shown in, and the site's language."),
            150,
        ),
        *accounts.extra_links(request),
    ]
    links.sort(key=lambda link: link.order)
    return render(
        request,
        "community/my_account.html",
        {
            "membership": membership,
            "links": links,
            "sections": accounts.dashboard_sections(request),
            "display_name": accounts.user_display(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def membership(request):
    """The member's own page: vetting status and the application form."""
    record = services.membership_for(request.user)
    may_apply = access.can(request.user, "apply_for_membership") and record.status not in (
        record.Status.REJECTED,
        record.Status.SUSPENDED,
    )
    form = None
    if may_apply:
        # Not ``request.POST or None``: an empty POST must be bound, so it shows its errors.
        data = request.POST if request.method == "POST" else None
        form = MembershipApplicationForm(data, instance=record)
        if request.method == "POST" and form.is_valid():
            record = services.membership_submit(request.user, form.cleaned_data)
            if record.is_verified:
                messages.success(request, _("Welcome! Your membership is verified."))
            else:
                messages.success(
                    request, _("Thank you. The lab's editors will review your application.")
                )
            return redirect("membership")
    elif request.method == "POST":
        messages.error(request, _("Your membership cannot be changed here."))
        return redirect("membership")
    return render(
        request,
        "community/membership.html",
        {"membership": record, "form": form, "roles": access.roles(request.user)},
    )


def admin_login_redirect(request):
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        # Already signed in: straight on; the admin's own gates answer from there.
        return redirect(next_url or "wagtailadmin_home")
    target = reverse("account_login")
    if next_url:
        target = f"{target}?{urlencode({'next': next_url})}"
    return redirect(target)


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 — any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
