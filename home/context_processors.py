"""Context every page template may use, supplied lazily: a template that never reads it
costs no query (the admin's templates, for one)."""

from django.utils.functional import SimpleLazyObject

from .navigation import site_navigation


def navigation(request):
    """``nav``: the site's menu, footer links and organisation details (``home.navigation``)."""
    return {"nav": SimpleLazyObject(lambda: site_navigation(request))}
