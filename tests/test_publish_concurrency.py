"""Publishing in the admin is all-or-nothing and one request at a time per page.

Wagtail's create and edit views save the form, a revision and the publication as separate
commits, after reading the page at the start of the request. Without
``community.page_writes.SerializePageWritesMiddleware`` a step that fails half-way (on SQLite:
"database is locked") leaves a live page without a revision, and two POSTs of one form (a
double click on Publish) interleave.
"""

import contextlib
import threading
from unittest import mock

from django.conf import settings
from django.db import OperationalError, connection
from django.urls import resolve

from wagtail import hooks
from wagtail.models import Page, Revision

import pytest

from community.models import Membership
from community.page_writes import SerializePageWritesMiddleware
from home.models import StandardPage
from tests.factories import make_member
from tests.helpers import logged_in_client, parse_page_form, site_home

LOCKED = OperationalError("database is locked")
needs_postgres = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL row locks and one connection per thread",
)


def form_data(client, url):
    """What the admin's page form would send, read from the form Wagtail renders."""
    response = client.get(url)
    assert response.status_code == 200
    return parse_page_form(response.content)


def add_url(parent):
    return f"/admin/pages/add/home/standardpage/{parent.pk}/"


def edit_url(page):
    return f"/admin/pages/{page.pk}/edit/"


def make_pages():
    home = site_home(slug="publish-home", hero_title="Lab")
    page = home.add_child(instance=StandardPage(title="Draft notes", slug="notes", live=False))
    page.save_revision()
    return home, page


def make_editor_client():
    editor = make_member(
        kind=Membership.Kind.OTHER, staff_role="editor", email="editor.publish@example.org"
    )
    return logged_in_client(editor, mfa=True, raise_request_exception=False)


# --- A failure half-way changes nothing ----------------------------------------------------


@pytest.mark.django_db
def test_a_new_page_whose_revision_cannot_be_saved_is_not_left_live():
    home, _page = make_pages()
    client = make_editor_client()
    data = form_data(client, add_url(home))
    data.update({"title": "Fresh notes", "slug": "fresh-notes", "action-publish": "1"})

    with mock.patch.object(StandardPage, "save_revision", side_effect=LOCKED):
        response = client.post(add_url(home), data)

    assert response.status_code == 500
    # Wagtail adds the page (live) before its revision: that row must go with the failure.
    assert not Page.objects.filter(slug="fresh-notes").exists()
    home.refresh_from_db()
    assert home.numchild == 1


@pytest.mark.django_db
def test_an_edit_whose_publication_fails_leaves_the_draft_as_it_was():
    _home, page = make_pages()
    client = make_editor_client()
    revisions_before = Revision.page_revisions.filter(object_id=str(page.pk)).count()
    data = form_data(client, edit_url(page))
    data.update({"title": "Published notes", "action-publish": "action-publish"})

    with mock.patch(
        "wagtail.actions.publish_page_revision.PublishPageRevisionAction.execute",
        side_effect=LOCKED,
    ):
        response = client.post(edit_url(page), data)

    assert response.status_code == 500
    page.refresh_from_db()
    assert (page.title, page.live) == ("Draft notes", False)
    assert Revision.page_revisions.filter(object_id=str(page.pk)).count() == revisions_before


@pytest.mark.parametrize(
    ("method", "path", "locked"),
    [
        ("POST", "/admin/pages/7/edit/", 7),
        ("POST", "/admin/pages/add/home/standardpage/3/", 3),
        ("POST", "/admin/pages/7/revisions/12/revert/", 7),
        ("POST", "/admin/pages/7/unpublish/", 7),
        ("POST", "/admin/pages/7/delete/", 7),
        ("GET", "/admin/pages/7/edit/", None),
        # Live preview posts the form every few seconds and writes no page: never locked.
        ("POST", "/admin/pages/7/edit/preview/", None),
        ("POST", "/admin/pages/", None),
        ("POST", "/accounts/login/", None),
    ],
)
def test_only_posts_that_write_a_page_take_its_lock(rf, method, path, locked):
    request = rf.generic(method, path)
    request.resolver_match = resolve(path)
    kwargs = request.resolver_match.kwargs
    assert SerializePageWritesMiddleware._locked_page_id(request, kwargs) == locked


@pytest.mark.django_db
def test_the_serialised_edit_view_still_checks_csrf():
    _home, page = make_pages()
    client = make_editor_client()
    data = form_data(client, edit_url(page))
    data.update({"title": "Forged", "action-publish": "action-publish"})
    client.handler.enforce_csrf_checks = True
    data.pop("csrfmiddlewaretoken", None)

    response = client.post(edit_url(page), data)

    assert response.status_code == 403
    page.refresh_from_db()
    assert page.title == "Draft notes"


# --- Two POSTs at once (PostgreSQL: one connection per thread) -----------------------------


def race(client, url, data, hook_name, events):
    """POST ``data`` twice at once. Each request, once it has read the page (Wagtail's
    ``before_*`` hook), waits up to a second for the other to have read too, which forces the
    interleaving a double click produces whenever nothing serialises the two."""
    barrier = threading.Barrier(2, timeout=1.0)
    statuses = []

    def after_reading(request, *objects):
        if request.method == "POST":
            events.append("read")
            # Broken when the other request is held back before its reads: go on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    def after_publishing(request, page):
        events.append("published")

    def post():
        try:
            statuses.append(client.post(url, data).status_code)
        finally:
            connection.close()

    with (
        hooks.register_temporarily(hook_name, after_reading),
        hooks.register_temporarily("after_publish_page", after_publishing),
    ):
        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    return sorted(statuses)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_double_publish_of_an_edit_runs_one_request_after_the_other():
    _home, page = make_pages()
    client = make_editor_client()
    data = form_data(client, edit_url(page))
    data.update({"title": "Published notes", "action-publish": "action-publish"})
    events = []

    statuses = race(client, edit_url(page), data, "before_edit_page", events)

    assert statuses == [302, 302]
    # The second request reads the page only once the first has published it.
    assert events == ["read", "published", "read", "published"]
    page = Page.objects.get(pk=page.pk)
    assert page.live and page.title == "Published notes"
    assert page.live_revision_id == page.latest_revision_id
    assert not page.has_unpublished_changes


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_double_publish_of_a_new_page_creates_it_once_and_explains_the_second():
    home, _page = make_pages()
    client = make_editor_client()
    data = form_data(client, add_url(home))
    data.update({"title": "Fresh notes", "slug": "fresh-notes", "action-publish": "1"})
    events = []

    statuses = race(client, add_url(home), data, "before_create_page", events)

    # The first creates and publishes; the second, which read the tree only afterwards, gets
    # the form back with the slug error instead of a 500 or a second page.
    assert statuses == [200, 302]
    assert events == ["read", "published", "read"]
    page = Page.objects.get(slug="fresh-notes")
    assert page.live and page.live_revision_id == page.latest_revision_id
