"""A double click on Publish in the admin sends one request and publishes the page once."""

import re

from wagtail.models import Page

import pytest
from playwright.sync_api import expect

from community.models import Membership
from home.models import StandardPage
from tests.factories import make_member
from tests.helpers import sign_in, site_home, with_mfa

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def test_double_click_on_publish_sends_one_request(new_page):
    home = site_home(slug="double-click-home", hero_title="Lab")
    draft = home.add_child(instance=StandardPage(title="Draft notes", slug="notes", live=False))
    draft.save_revision()
    editor = make_member(
        kind=Membership.Kind.OTHER, staff_role="editor", email="editor.double@example.org"
    )
    secret = with_mfa(editor)
    staff = new_page()
    sign_in(staff, editor.email, PASSWORD, totp_secret=secret, start="/admin/")
    staff.wait_for_url(re.compile(r"/admin/$"))

    staff.goto(f"/admin/pages/{draft.pk}/edit/")
    staff.fill("#id_title", "Published notes")
    posts = []

    def record(request):
        if request.method == "POST" and f"/admin/pages/{draft.pk}/edit/" in request.url:
            posts.append(request.url)

    staff.on("request", record)
    publish = staff.get_by_role("button", name=re.compile(r"^Publish$"))
    if not publish.is_visible():
        footer = staff.locator("footer, .footer").last
        footer.get_by_role("button", name=re.compile(r"More actions", re.I)).click()
    # Two clicks a human's double click apart: the first request is already on its way when
    # the second click lands (a faster pair is merged into one submission by the browser).
    box = publish.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    staff.mouse.click(x, y)
    staff.wait_for_timeout(200)
    staff.mouse.click(x, y)

    staff.wait_for_url(re.compile(rf"/admin/pages/{home.pk}/"))
    expect(staff.get_by_text(re.compile(r"\bpublished\b", re.I)).first).to_be_visible()
    # Wagtail disables the clicked button at once; the second click sends nothing.
    assert len(posts) == 1
    page = Page.objects.get(pk=draft.pk)
    assert page.live and page.title == "Published notes"
    assert page.live_revision_id == page.latest_revision_id
