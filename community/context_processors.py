from django.conf import settings
from django.utils.functional import SimpleLazyObject

from . import access, accounts


def community(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "viewer_roles": access.roles(user) if user is not None else frozenset(),
        "viewer_is_staff": access.is_staff(user) if user is not None else False,
        # Read only by the account and two-step verification pages (some of them allauth's,
        # whose views we do not write): lazy, so no other page pays for the question.
        "viewer_mfa_setup_required": SimpleLazyObject(lambda: _mfa_setup_required(user)),
        "viewer_staff_role_pending": SimpleLazyObject(
            lambda: user is not None and access.privileges_pending(user)
        ),
        "account_destination": SimpleLazyObject(lambda: accounts.destination(request)),
    }


def _mfa_setup_required(user) -> bool:
    """The viewer's role requires two-step verification they have not set up."""
    return (
        user is not None
        and access.holds_privileged_role(user)
        and not access.has_authenticator(user)
    )
