"""Page fixtures built through Wagtail's own API: children of the site's home page (the
``home_page`` fixture, in tests/conftest.py)."""

from wagtail.models import Site

import pytest

from home.models import (
    FooterLink,
    FormField,
    FormPage,
    MenuItem,
    SiteSettings,
    StandardPage,
)


@pytest.fixture
def standard_page(home_page):
    return home_page.add_child(
        instance=StandardPage(
            title="Sample about",
            slug="about",
            introduction="Sample introduction to the lab.",
            body=[
                ("heading", "Sample heading"),
                ("rich_text", "<p>Sample paragraph.</p>"),
                ("quote", {"quote": "Sample quote.", "attribution": "Sample source"}),
            ],
        )
    )


@pytest.fixture
def site_settings(home_page, standard_page):
    site = Site.objects.get(is_default_site=True)
    settings = SiteSettings.for_site(site)
    settings.organisation_name = "Sample Lab"
    settings.address = "1 Sample Street\nSample City"
    settings.phone = "+00 0000 0000"
    settings.contact_email = "contact@example.org"
    settings.save()
    MenuItem.objects.create(settings=settings, label="Sample about", page=standard_page)
    MenuItem.objects.create(settings=settings, label="Sample elsewhere", url="/elsewhere/")
    FooterLink.objects.create(settings=settings, label="Sample privacy", url="/privacy/")
    return settings


@pytest.fixture
def form_page(home_page):
    page = home_page.add_child(
        instance=FormPage(
            title="Sample contact",
            slug="contact",
            to_address="staff@example.org",
            from_address="no-reply@example.org",
            subject="Sample contact message",
            thank_you_text="<p>Sample thanks.</p>",
        )
    )
    FormField.objects.create(page=page, label="Your name", field_type="singleline", required=True)
    FormField.objects.create(page=page, label="Your email", field_type="email", required=True)
    FormField.objects.create(page=page, label="Message", field_type="multiline", required=True)
    return page
