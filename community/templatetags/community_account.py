"""Formatting for the account pages and emails; decisions stay in community.accounts/access."""

from django import template

from .. import access, accounts, user_agents

register = template.Library()


@register.filter
def device(user_agent: str) -> str:
    """ "Chrome on Windows" for a raw User-Agent header."""
    return user_agents.describe(user_agent)


@register.simple_tag(takes_context=True)
def account_destination(context) -> str:
    """Where to go on after setting up two-step verification."""
    return accounts.destination(context["request"])


@register.simple_tag(takes_context=True)
def mfa_setup_required(context) -> bool:
    """True when the viewer's role requires two-step verification they have not set up."""
    user = context["request"].user
    return access.holds_privileged_role(user) and not access.has_authenticator(user)


@register.simple_tag(takes_context=True)
def staff_role_pending(context) -> bool:
    """True when the viewer's account has a staff role that this session has not confirmed
    with two-step verification yet (set up or not)."""
    return access.privileges_pending(context["request"].user)
