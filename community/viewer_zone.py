"""The viewer's time zone: the one place that reads it."""

from .models import Membership
from .timezones import UTC, all_zone_names


def viewer_zone_info(request) -> tuple[str, bool]:
    """(zone, fixed): the zone from the viewer's profile and True, else ("UTC", False) — pages
    then render UTC and local-time.js moves it to the browser's zone. One query at most,
    cached on the request."""
    cached = getattr(request, "_viewer_zone_info", None)
    if cached:
        return cached
    zone = ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        zone = (
            Membership.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""
        )
    if zone not in all_zone_names():
        zone = ""
    request._viewer_zone_info = (zone, True) if zone else (UTC, False)
    return request._viewer_zone_info
