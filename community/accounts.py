"""The person's own account: where sign-in lands, how a person is named, the account page.

Feature apps add to the account page through two Wagtail hooks, the way they add home page
sections, so this module never imports them:

- ``account_links``: ``fn(request)`` returns an iterable of :class:`AccountLink`.
- ``account_dashboard_sections``: ``fn(request)`` returns a section dict with at least
  ``title`` and ``template`` (rendered with ``section`` in its context), or ``None``.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from wagtail import hooks

# Where a person was going when the site first sent them to set up two-step verification.
DESTINATION_SESSION_KEY = "community_destination"


@dataclass(frozen=True)
class AccountLink:
    label: str
    url: str
    description: str = ""
    # Lower comes first; the account's own links use 100–190.
    order: int = 500


def dashboard_url() -> str:
    return reverse("my_account")


def safe_destination(request, url: str) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def remember_destination(request, url: str) -> None:
    """Keep ``url`` (if it is ours) as the way on after two-step verification is set up."""
    url = safe_destination(request, url)
    if url and hasattr(request, "session"):
        request.session[DESTINATION_SESSION_KEY] = url


def destination(request) -> str:
    """Where to go on from the two-step setup: where they were going, else their dashboard."""
    stored = request.session.get(DESTINATION_SESSION_KEY, "") if hasattr(request, "session") else ""
    return safe_destination(request, stored) or dashboard_url()


def user_display(user) -> str:
    """How the site names a person: the name they gave, else their address; never the
    username, which the site generates and the person never chose."""
    # getattr's default also covers an account whose membership row does not exist yet.
    membership = getattr(user, "membership", None)
    name = membership.full_name if membership is not None else ""
    return name or user.email or user.get_username()


def extra_links(request) -> list[AccountLink]:
    links = []
    for fn in hooks.get_hooks("account_links"):
        links.extend(fn(request) or ())
    return links


def dashboard_sections(request) -> list[dict]:
    sections = []
    for fn in hooks.get_hooks("account_dashboard_sections"):
        section = fn(request)
        if section:
            sections.append(section)
    return sections
