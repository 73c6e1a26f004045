"""Personal calendar-feed tokens: created once, shown once, stored only as a hash.

The token is ``secrets.token_urlsafe(32)`` (256 bits); the database keeps its SHA-256, so a
leaked backup holds no working feed address. Lookup is by hash, so no comparison of secrets
happens in Python.
"""

import datetime as dt
import hashlib
import re
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import audit
from community.accounts import user_display

from .records import CalendarToken

TOKEN_BYTES = 32
# Writing last_used_at on every fetch would turn each calendar poll into a write.
LAST_USED_RESOLUTION = dt.timedelta(hours=1)
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_token(user) -> CalendarToken | None:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).first()


def _record(row: CalendarToken, action: str, *, actor, **data):
    # The row, its owner and when; never the token or its hash (the label names the owner).
    audit.record(
        row,
        action,
        actor=actor,
        title=_("Calendar link of %(member)s") % {"member": user_display(row.user)},
        member=row.user_id,
        **data,
    )


@transaction.atomic
def revoke(user, *, by=None, now=None) -> int:
    """Revoke the member's active token (if any). Returns how many were revoked.

    ``by`` is who asked: the member themself unless given."""
    now = now or timezone.now()
    rows = list(
        CalendarToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    )
    for row in rows:
        row.revoked_at = now
        row.save(update_fields=["revoked_at"])
        _record(row, "events.calendar_token.revoke", actor=by or user)
    return len(rows)


def _lock_member(user):
    # Requests for the same member (double clicks, two tabs) queue on the member's row;
    # without it two of them both revoke nothing and the second insert breaks the
    # one-active-token constraint. The last request's token is the one that works.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


@transaction.atomic
def issue(user, *, by=None, now=None) -> tuple[CalendarToken, str]:
    """A new token for ``user``, revoking the previous one. Returns (row, the token itself).

    The token is returned once; the caller shows it and forgets it. The audit trail gets an
    "issue" entry on the new row and, when a link was replaced, a "revoke" entry on the old
    one that names the new row.
    """
    now = now or timezone.now()
    by = by or user
    _lock_member(user)
    previous = list(
        CalendarToken.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    # Revoked before the insert: the one-active-token constraint holds at every statement.
    CalendarToken.objects.filter(pk__in=previous).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarToken.objects.create(user=user, token_hash=hash_token(token), created_at=now)
    for old in CalendarToken.objects.filter(pk__in=previous).select_related("user"):
        _record(old, "events.calendar_token.revoke", actor=by, replaced_by=row.pk)
    _record(row, "events.calendar_token.issue", actor=by, replaced=previous)
    return row, token


def lookup(token: str, *, now=None) -> CalendarToken | None:
    """The active token row for ``token`` with its (active) user, or None."""
    if not token or not _TOKEN_SHAPE.match(token):
        return None
    row = (
        CalendarToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = now or timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        CalendarToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
