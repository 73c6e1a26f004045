"""The refusals every service raises. One base, so a view or a command handles all of them
the same way: ``ServiceError.message`` is for the person who asked, ``code`` for code and
tests. :class:`NotAllowed` is the one that views turn into a 404 — missing and forbidden look
the same."""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A request a service cannot carry out; nothing was written."""

    def __init__(self, code: str, message, *, field_errors=None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field_errors = field_errors or {}

    def __str__(self):
        return str(self.message)


class NotAllowed(ServiceError):
    """The actor may not do this (or see what it is about): views answer 404."""

    def __init__(self, message=None):
        super().__init__("not_found", message or _("Not found."))
