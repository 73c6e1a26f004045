"""The site's public address: one source of truth for every absolute link.

Emails, calendar files, feeds and "add to calendar" links are read outside the browser that
asked for them, so they cannot be relative. They are all built from ``settings.SITE_URL``,
never from Wagtail's Site record (whose hostname and port cannot express every public address,
e.g. HTTPS on a non-standard port) nor from the request (a worker has none).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    """``path`` (starting with "/") on the public address."""
    if not path.startswith("/"):
        path = f"/{path}"
    return f"{settings.SITE_URL}{path}"


def absolute_reverse(viewname: str, *args, **kwargs) -> str:
    return absolute(reverse(viewname, args=args or None, kwargs=kwargs or None))


def page_url(page, request=None) -> str:
    """A Wagtail page's public address, or "" when the page is not routable (no site).

    ``request`` may be a request or any object Wagtail can cache site roots on, so a listing
    of many pages looks the roots up once.
    """
    parts = page.get_url_parts(request)
    if parts is None:
        return ""
    _site_id, _root_url, page_path = parts
    return absolute(page_path)


def site_host_and_port(site_url: str | None = None) -> tuple[str, int]:
    """The hostname and port Wagtail's default Site should carry for ``SITE_URL``."""
    parts = urlsplit(site_url or settings.SITE_URL)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "localhost", port


def sync_default_site(site_model=None) -> bool:
    """Keep the default Site's hostname and port in step with ``SITE_URL`` (the admin's
    "view live" links and previews use it). Returns True when it changed something."""
    if site_model is None:
        from wagtail.models import Site as site_model
    hostname, port = site_host_and_port()
    return bool(
        site_model.objects.filter(is_default_site=True)
        .exclude(hostname=hostname, port=port)
        .update(hostname=hostname, port=port)
    )
