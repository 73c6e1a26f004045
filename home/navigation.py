"""Site-wide navigation and organisation details from SiteSettings, in a fixed number of queries.

Every page's header and footer read them as ``nav``, from the ``navigation`` context processor
(``home/context_processors.py``): built in Python, never by a template tag that queries.
"""

from wagtail.models import Site

from .models import SiteSettings


def _links(queryset, request):
    """Resolve each link once; a link to an unpublished page is left out rather than broken."""
    links = []
    for item in queryset.select_related("page"):
        if item.page_id:
            if not item.page.live:
                continue
            href = item.page.get_url(request)
        else:
            href = item.url
        if href:
            links.append({"label": item.label, "href": href})
    return links


def site_navigation(request):
    """Menu, footer links and contact details for the current site.

    Cached on the request so the header and the footer share the same three queries.
    """
    if request is None:
        return {"settings": None, "menu": [], "footer": []}
    cached = getattr(request, "_site_navigation", None)
    if cached is not None:
        return cached
    site = Site.find_for_request(request)
    if site is None:
        result = {"settings": None, "menu": [], "footer": []}
    else:
        site_settings = SiteSettings.for_request(request)
        path = request.path
        menu = _links(site_settings.menu_items.all(), request)
        for link in menu:
            # The current section is marked too, so a reader deep in it still sees where they are.
            link["current"] = link["href"] == path or (
                link["href"] not in ("/", "") and path.startswith(link["href"])
            )
        result = {
            "settings": site_settings,
            "menu": menu,
            "footer": _links(site_settings.footer_links.all(), request),
        }
    request._site_navigation = result
    return result
