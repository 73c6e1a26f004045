"""Sample content for demonstrations and development (``manage.py seed_demo``).

The copy lives in ``content/*.json`` next to these modules; the modules only build pages,
settings and accounts from it. Everything is labelled as sample content and names no real
person. The builders look things up by slug, email or domain, so running them again adds
nothing, and a ``random.Random`` seeded by the caller decides anything that varies, so the
same seed gives the same content.
"""

import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from wagtail import hooks
from wagtail.models import Site

from community import links
from community.models import AgencyDomain

from ..models import SiteSettings
from .accounts import (
    DEMO_ACCOUNTS,
    DEMO_EMAILS,
    DEMO_PASSWORD,
    SAMPLE_DOMAINS,
    DemoAccount,
    role_label,
    seed_accounts,
    seed_agency_domains,
)
from .base import DemoRefused, Report, ensure_not_production, is_production
from .pages import HOME_SLUG, find_home, seed_pages
from .site import seed_site_settings

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_EMAILS",
    "DEMO_PASSWORD",
    "HOME_SLUG",
    "SAMPLE_DOMAINS",
    "DemoAccount",
    "DemoRefused",
    "Report",
    "ensure_not_production",
    "is_production",
    "role_label",
    "seed",
]


def seed(*, seed: int = 1, reset: bool = False) -> Report:
    """Create the demo content that is missing; with ``reset``, remove ours first."""
    ensure_not_production()
    rng = random.Random(seed)
    report = Report()
    with transaction.atomic():
        if reset:
            _remove(report)
        seed_agency_domains(report)
        pages = seed_pages(report, rebuild_home=reset)
        # Every run: `make run PORT=8001` moves SITE_URL, and the admin's links follow it.
        if links.sync_default_site():
            report.note(_("site address"), settings.SITE_URL, created=False)
        seed_site_settings(report, pages)
        seed_accounts(report, rng)
        # Feature apps add their sample content through the "seed_demo" hook.
        for seed_app in hooks.get_hooks("seed_demo"):
            seed_app(report=report, home=pages["home"], rng=rng)
    return report


def _remove(report: Report) -> None:
    home = find_home()
    if home is not None:
        # The home page itself stays because sites point at it; it is refilled in place.
        for page in home.get_descendants():
            report.removed.append((_("page"), page.title))
        for child in home.get_children().specific():
            child.delete()
    for site in Site.objects.filter(is_default_site=True):
        if SiteSettings.objects.filter(site=site).delete()[0]:
            report.removed.append((_("site settings"), site.hostname))
    User = get_user_model()
    for user in User.objects.filter(email__in=DEMO_EMAILS).order_by("email"):
        report.removed.append((_("account"), user.email))
        user.delete()
    for domain in AgencyDomain.objects.filter(domain__in=SAMPLE_DOMAINS).order_by("domain"):
        report.removed.append((_("agency domain"), domain.domain))
        domain.delete()
