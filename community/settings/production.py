"""Production: secrets and hosts from the environment; refuses to start without a key."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ADMIN_CSP,
    EMAIL_TIMEOUT_SECONDS,
    FILES_SIGNED_URL_SECONDS,
    SECURE_CSP,
    STORAGES,
    bucket_origins,
    env,
    env_bool,
    env_int,
)

DEBUG = False
if not SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the site's host names.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# On by default so `check --deploy` is clean; the directive alone enrols nothing until the
# domain is submitted to the preload list. Set DJANGO_HSTS_PRELOAD=false to leave it out.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
MFA_TRUST_COOKIE_SECURE = True

# Email: anymail, provider chosen by EMAIL_PROVIDER; "smtp" and "console" also accepted.
# SMTP by default: a production default must actually send (`check --deploy` refuses console).
EMAIL_PROVIDER = env("EMAIL_PROVIDER", "smtp").strip().lower()
ANYMAIL_PROVIDERS = {
    "amazon_ses": "anymail.backends.amazon_ses.EmailBackend",
    "brevo": "anymail.backends.brevo.EmailBackend",
    "mailgun": "anymail.backends.mailgun.EmailBackend",
    "mailjet": "anymail.backends.mailjet.EmailBackend",
    "postmark": "anymail.backends.postmark.EmailBackend",
    "resend": "anymail.backends.resend.EmailBackend",
    "sendgrid": "anymail.backends.sendgrid.EmailBackend",
    "sparkpost": "anymail.backends.sparkpost.EmailBackend",
}
if EMAIL_PROVIDER in ANYMAIL_PROVIDERS:
    MAILERS = {"default": {"BACKEND": ANYMAIL_PROVIDERS[EMAIL_PROVIDER]}}
    # anymail reads <PROVIDER>_API_KEY / _SERVER_TOKEN / _SENDER_DOMAIN style options.
    ANYMAIL = {
        key.removeprefix("ANYMAIL_"): value
        for key, value in os.environ.items()
        if key.startswith("ANYMAIL_")
    }
    # Without a timeout a hung provider API would hold the sender (and its lease) forever.
    # (An ANYMAIL_REQUESTS_TIMEOUT from the environment is text; requests needs a number.)
    ANYMAIL["REQUESTS_TIMEOUT"] = float(ANYMAIL.get("REQUESTS_TIMEOUT", EMAIL_TIMEOUT_SECONDS))
elif EMAIL_PROVIDER == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env("EMAIL_HOST_USER", ""),
                "password": env("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                # Connect and each read/write: a hung server fails the attempt, it retries.
                "timeout": EMAIL_TIMEOUT_SECONDS,
            },
        }
    }
elif EMAIL_PROVIDER == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    raise ImproperlyConfigured(f"Unknown EMAIL_PROVIDER {EMAIL_PROVIDER!r}")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Reuse database connections across requests (a new connection per request costs more than
# most pages' queries); health checks drop a connection the database closed.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Uploads (documents, recordings, images): the local disk under MEDIA_ROOT by default, or a
# private bucket on S3 or an S3-compatible service (django-storages). Either way nothing serves
# them directly: the file views check access first and, on the bucket, redirect to a URL signed
# for FILES_SIGNED_URL_SECONDS (docs/operations.md, "Uploaded files in production").
MEDIA_STORAGE = env("DJANGO_MEDIA_STORAGE", "local").strip().lower()
if MEDIA_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured(
            "AWS_STORAGE_BUCKET_NAME must name the bucket when DJANGO_MEDIA_STORAGE=s3."
        )
    # Unset for AWS itself; the service's address for MinIO and other S3-compatible stores.
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", "").strip() or None
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", "").strip() or None
    # boto3 reads these from the environment by itself too; left unset, it falls back on its
    # other sources (an instance or task role, a shared credentials file).
    AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID") or None
    AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY") or None
    # A private bucket: no ACL on the objects (they stay as private as the bucket), every URL
    # signed and short-lived, SigV4 (its X-Amz-Expires is what MinIO and AWS both accept).
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = FILES_SIGNED_URL_SECONDS
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    # Two uploads with the same name get two objects: a rendition or document is never replaced
    # under a name a page or an access decision already points at.
    AWS_S3_FILE_OVERWRITE = False
    STORAGES = {
        **STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
        "renditions": {"BACKEND": "community.storage_s3.S3RenditionStorage"},
    }
    # Players and images follow the view's redirect to the bucket: the CSP must allow it there.
    _origins = bucket_origins(AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME)
    SECURE_CSP = {
        **SECURE_CSP,
        "img-src": [*SECURE_CSP["img-src"], *_origins],
        "media-src": [*SECURE_CSP.get("media-src", SECURE_CSP["default-src"]), *_origins],
    }
    ADMIN_CSP = {
        **ADMIN_CSP,
        "img-src": SECURE_CSP["img-src"],
        "media-src": SECURE_CSP["media-src"],
    }
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"Unknown DJANGO_MEDIA_STORAGE {MEDIA_STORAGE!r} (local or s3)")
