"""Links that put events in people's calendars, as markup: the addresses come from
``events/links.py``."""

from django import template

from events import links

register = template.Library()


@register.inclusion_tag("events/includes/calendar_links.html", takes_context=True)
def calendar_links(context, event):
    # With the request, Wagtail caches the site root paths once per request, so a listing
    # of many cards does not look them up per card.
    return {"event": event, **links.calendar_links(event, context.get("request"))}


@register.inclusion_tag("events/includes/feed_links.html")
def feed_links(filters=None):
    """The public feed's subscribe links; ``filters``: the listing's ``EventFilters``."""
    return links.feed_links(filters)
