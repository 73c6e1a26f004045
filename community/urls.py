from django.conf import settings
from django.urls import include, path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents.views import serve as wagtaildocs_serve

from . import files, preferences, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # The admin's own login form is bypassed: everyone signs in through allauth (MFA, limits).
    path("admin/login/", views.admin_login_redirect, name="admin_login_redirect"),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's document views (wagtail.documents.urls), with ids bounded like every other
    # route (community.converters): an id too large for the database is "not found".
    path(
        "documents/<id:document_id>/<path:document_filename>",
        wagtaildocs_serve.serve,
        name="wagtaildocs_serve",
    ),
    path(
        "documents/authenticate_with_password/<id:restriction_id>/",
        wagtaildocs_serve.authenticate_with_password,
        name="wagtaildocs_authenticate_with_password",
    ),
    # Uploaded recordings, through the access policy (MEDIA_URL is not served in production).
    path("media-files/", include(files.urlpatterns)),
    path("accounts/", include("allauth.urls")),
    path("membership/", views.membership, name="membership"),
    path("me/", views.my_account, name="my_account"),
    path("me/preferences/", preferences.preferences, name="preferences"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("events.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's catch-all comes last: feeds and other dotted routes go above it.
urlpatterns += [path("", include(wagtail_urls))]
