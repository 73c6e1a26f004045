"""The default site's settings: name, contact details, menu and footer (copy: content/site.json)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from wagtail.models import Page, Site

from ..models import FooterLink, MenuItem, SiteSettings
from .base import Report, load


def seed_site_settings(report: Report, pages: dict[str, Page]) -> None:
    """Fill in the default site's settings while they are still unconfigured."""
    site = Site.objects.get(is_default_site=True)
    site_settings, created = SiteSettings.objects.get_or_create(site=site)
    default_name = SiteSettings._meta.get_field("organisation_name").default
    untouched = (
        site_settings.organisation_name == default_name
        and not site_settings.menu_items.exists()
        and not site_settings.footer_links.exists()
    )
    if not (created or untouched):
        report.note(_("site settings"), site.hostname, created=False)
        return
    content = load("site")
    shared_links = load("pages")["links"]
    for name, value in content["settings"].items():
        setattr(site_settings, name, value)
    site_settings.menu_items = [
        MenuItem(sort_order=i, label=item["label"], **_target(item, pages, shared_links))
        for i, item in enumerate(content["menu"])
    ]
    site_settings.footer_links = [
        FooterLink(sort_order=i, label=item["label"], **_target(item, pages, shared_links))
        for i, item in enumerate(content["footer"])
    ]
    site_settings.save()
    report.note(_("site settings"), site.hostname, created=True)


def _target(item: dict, pages: dict[str, Page], shared_links: dict[str, str]) -> dict:
    """A demo page (``page``: its key), a URL name, a shared link of pages.json, or a URL."""
    if "page" in item:
        return {"page": pages[item["page"]]}
    if "url_name" in item:
        return {"url": reverse(item["url_name"])}
    if "link" in item:
        return {"url": shared_links[item["link"]]}
    return {"url": item["url"]}
