from django.conf import settings

from . import access


def community(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "viewer_roles": access.roles(user) if user is not None else frozenset(),
        "viewer_is_staff": access.is_staff(user) if user is not None else False,
    }
