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

from .models import CalendarToken

TOKEN_BYTES = 32
# Writing last_used_at on every fetch would turn each calendar poll into a write.
LAST_USED_RESOLUTION = dt.timedelta(hours=1)
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_token(user) -> CalendarToken | None:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).first()


@transaction.atomic
def revoke(user, *, now=None) -> int:
    """Revoke the member's active token (if any). Returns how many were revoked."""
    now = now or timezone.now()
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)


def _lock_member(user):
    # Requests for the same member (double clicks, two tabs) queue on the member's row;
    # without it two of them both revoke nothing and the second insert breaks the
    # one-active-token constraint. The last request's token is the one that works.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


@transaction.atomic
def issue(user, *, now=None) -> tuple[CalendarToken, str]:
    """A new token for ``user``, revoking the previous one. Returns (row, the token itself).

    The token is returned once; the caller shows it and forgets it.
    """
    now = now or timezone.now()
    _lock_member(user)
    revoke(user, now=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarToken.objects.create(user=user, token_hash=hash_token(token), created_at=now)
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
