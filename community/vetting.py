"""Read-only questions about the vetting queue, for other apps' admin screens.

The queue itself (its listing, filters and decisions) lives in ``community.admin_views`` and
``community.services``; this module only counts what waits there.
"""

from .models import Membership


def awaiting_decision():
    """Applications sent and not yet decided: the vetting queue's first group."""
    return Membership.objects.filter(status=Membership.Status.PENDING, applied_at__isnull=False)
