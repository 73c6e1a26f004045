"""One write at a time per page in the Wagtail admin, each all-or-nothing.

Wagtail's page create and edit views read the page when the request starts, then save the form,
a revision and the publication as separate commits. Two POSTs for one page (a double click on
Publish, Enter pressed twice, two editors at once) therefore interleave: the second saves the
page row as it read it before the first committed, a second create of the same page fails its
slug check half-way with a 500, and on SQLite a step that meets the other request's write lock
fails and leaves a live page without a revision.

Wagtail's hooks cannot fix this: ``before_edit_page`` and ``before_create_page`` run after the
view's reads, and nothing wraps the view in a transaction. So this middleware runs those POSTs
in one transaction that first locks the page's row (the parent's for a new page): on PostgreSQL
with ``SELECT … FOR UPDATE``, on SQLite through ``BEGIN IMMEDIATE`` (the ``transaction_mode``
the settings give every SQLite database), which takes the database's write lock at once. The
second request waits, then reads what the first wrote; a failure rolls the whole request back.

It must be the last entry in ``MIDDLEWARE``: it calls the view itself, so ``process_view`` of
any middleware after it (CSRF's among them) would be skipped.
"""

from django.db import transaction

from wagtail.models import Page

#: Admin views (URL names in the ``wagtailadmin_pages`` namespace) that write a page, with the
#: URL argument naming the page whose row is locked.
LOCKED_VIEWS = {
    "add": "parent_page_id",
    "edit": "page_id",
    "revisions_revert": "page_id",
    "unpublish": "page_id",
    "delete": "page_id",
}


class SerializePageWritesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        page_id = self._locked_page_id(request, view_kwargs)
        if page_id is None:
            return None
        with transaction.atomic():
            # Ignored by SQLite, whose BEGIN IMMEDIATE already holds the write lock.
            Page.objects.select_for_update().filter(pk=page_id).values_list("pk").first()
            return view_func(request, *view_args, **view_kwargs)

    @staticmethod
    def _locked_page_id(request, view_kwargs):
        if request.method != "POST":
            return None
        match = request.resolver_match
        if match is None or match.namespace != "wagtailadmin_pages":
            return None
        argument = LOCKED_VIEWS.get(match.url_name)
        return view_kwargs.get(argument) if argument else None
