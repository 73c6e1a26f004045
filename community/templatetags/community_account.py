"""Formatting for the account pages and emails. What the viewer's account needs (two-step
verification, a role not yet in force, where to go next) comes from the ``community`` context
processor, not from tags here: template tags only format."""

from django import template

from .. import user_agents

register = template.Library()


@register.filter
def device(user_agent: str) -> str:
    """ "Chrome on Windows" for a raw User-Agent header."""
    return user_agents.describe(user_agent)
