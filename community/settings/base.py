"""Settings shared by every environment. Values come from environment variables."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


SECRET_KEY = env("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = env("SITE_NAME", "Responsible AI Lab")
# Kept as a setting, not a constant: the organisation's membership changes.
MEMBER_COUNTRY_COUNT = env_int("MEMBER_COUNTRY_COUNT", 195)
MEMBERSHIP_VALIDITY_DAYS = env_int("MEMBERSHIP_VALIDITY_DAYS", 730)
# How long a registration waits for the event's lock (PostgreSQL) before answering "busy, try
# again": well under a gateway's timeout, well over a normal registration's few milliseconds.
EVENT_LOCK_TIMEOUT_SECONDS = 5
# Reminder emails before an event, in hours; each is sent once per registrant.
EVENT_REMINDER_HOURS = [int(h) for h in env_list("EVENT_REMINDER_HOURS", "24,1")]
# Registration answers are purged this many days after the event ends.
REGISTRATION_ANSWER_RETENTION_DAYS = env_int("REGISTRATION_ANSWER_RETENTION_DAYS", 90)

INSTALLED_APPS = [
    "community",
    "home",
    "events",
    "forums",
    "resources",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtailmedia",
    "modelcluster",
    "taggit",
    "django_countries",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Wagtail's database search backend declares SearchVectorField and GinIndex on
    # PostgreSQL; the app is inert on SQLite (its connection hook returns early for other
    # vendors), so it is installed everywhere and every engine runs the same app list.
    "django.contrib.postgres",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "community.errors.MethodNotAllowedPageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Privileged roles only in a session that passed two-step verification (access.Assurance).
    "community.middleware.SessionAssuranceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "community.middleware.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "community.middleware.RequireMFAForPrivilegedRolesMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last on purpose: it calls the admin's page-writing views itself (see its docstring).
    "community.page_writes.SerializePageWritesMiddleware",
]

ROOT_URLCONF = "community.urls"
WSGI_APPLICATION = "community.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "community.context_processors.community",
                "home.context_processors.navigation",
            ],
        },
    },
]

# SQLite serves the first run (`make run`) on one machine, where the threaded dev server still
# answers several requests at once (the admin loads its icon sprite, translations and page data
# in parallel, and each signed-in request writes its session activity). Without these options
# one of them fails with "database is locked":
# - WAL lets readers go on while one connection writes (the default journal blocks them);
#   synchronous=NORMAL is the setting WAL is meant to run with: a power cut may lose the last
#   commits, never corrupt the file.
# - timeout: wait up to 20 s for another connection's write lock instead of failing at once.
# - IMMEDIATE: a transaction takes the write lock when it begins. A deferred one that read
#   first cannot wait for the lock later (SQLite refuses at once, whatever the timeout), which
#   is how most of those errors arise.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_url(url, **kwargs):
    """dj_database_url's parse, with SQLITE_OPTIONS for any SQLite URL (the default too)."""
    database = dj_database_url.parse(url, **kwargs)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
    return database


DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache, never per-process memory: allauth's rate limits count in it and every
# web process must see the same counters.
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "community_cache",
        }
    }

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "my_account"
LOGOUT_REDIRECT_URL = "/"

# --- allauth ------------------------------------------------------------------------------
ACCOUNT_ADAPTER = "community.adapter.AccountAdapter"
# Same work for a known and a new address, so the answer's timing tells nobody who has an account.
ACCOUNT_FORMS = {"signup": "community.forms.SignupForm"}
ACCOUNT_USER_DISPLAY = "community.accounts.user_display"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{WAGTAIL_SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Tell people when their password, addresses or two-step verification change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, written out so they are visible and reviewable.
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    # The "key" is the address together with the client's IP (AccountAdapter): five wrong
    # passwords from one place pause sign-in to that account from that place only, so nobody
    # elsewhere can lock a member out of their own account (docs/security.md).
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
# Behind a reverse proxy (TLS termination, load balancer) every request comes from the proxy's
# address. With N trusted proxies in front, the client's address is the N-th entry from the
# right of X-Forwarded-For, which only those proxies can write; with 0 (the default, for a
# server reached directly) the header is ignored and REMOTE_ADDR counts. Rate limits count
# per client address, so set this to the number of proxies you run (docs/configuration.md).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = WAGTAIL_SITE_NAME
USERSESSIONS_TRACK_ACTIVITY = True

# --- Wagtail ------------------------------------------------------------------------------
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]  # no SVG
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # documents pass Wagtail's permission check
# Every document downloads as an attachment: none opens inline in the site's origin.
WAGTAILDOCS_INLINE_CONTENT_TYPES = []
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "csv", "txt"]
WAGTAIL_I18N_ENABLED = False
# The admin must not call out to the internet from editors' browsers.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# No avatars from gravatar.com: it would send a hash of each editor's address to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILMEDIA = {"MEDIA_MODEL": "wagtailmedia.Media"}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email: Django 6.1 MAILERS --------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{WAGTAIL_SITE_NAME} <no-reply@example.org>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
STAFF_NOTIFICATION_EMAILS = env_list("STAFF_NOTIFICATION_EMAILS", "lab-staff@example.org")
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# Outbox retries: capped exponential backoff (1 min, 2, 4 … at most 4 h between tries) for
# four days from queueing, like a mail server's queue; permanent refusals fail at once.
EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 60)
EMAIL_RETRY_MAX_SECONDS = env_int("EMAIL_RETRY_MAX_SECONDS", 4 * 3600)
EMAIL_GIVE_UP_AFTER_SECONDS = env_int("EMAIL_GIVE_UP_AFTER_SECONDS", 4 * 24 * 3600)
# Connection and send timeout for SMTP and the providers' HTTP APIs: a hung server fails the
# attempt instead of stalling the queue.
EMAIL_TIMEOUT_SECONDS = env_int("EMAIL_TIMEOUT_SECONDS", 30)
# How long a sender holds a claimed message before the sweeper returns it to the queue; longer
# than one send can take with the timeout above.
EMAIL_SEND_LEASE_SECONDS = env_int("EMAIL_SEND_LEASE_SECONDS", 10 * 60)
# Email tasks that are safe to run again (each writes or sends under a key): when one has
# been "running" longer than the lease, its worker died, and the sweeper makes it ready again.
EMAIL_IDEMPOTENT_TASKS = [
    "community.tasks.send_outbound_email",
    "events.tasks.send_registration_email",
]
# Re-checked when a message is sent: key prefix → callable(record) returning why the recipient
# may no longer receive it (the message is then withheld) or None.
EMAIL_DELIVERY_CHECKS = {
    "event:": "events.emails.delivery_refusal",
    "event-message:": "events.emails.delivery_refusal",
}

# --- Tasks: Django's tasks framework -------------------------------------------------------
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Image renditions: the same files, but their url() names the access-checked view
    # (community.files.serve_image), so `{% image %}` works without anything serving MEDIA_URL.
    "renditions": {"BACKEND": "community.storage.LocalRenditionStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WAGTAILIMAGES_RENDITION_STORAGE = "renditions"
# On object storage the file views redirect to a signed URL valid this many seconds.
FILES_SIGNED_URL_SECONDS = env_int("FILES_SIGNED_URL_SECONDS", 300)


def bucket_origins(bucket, endpoint_url=None, region=None):
    """The origins signed URLs of ``bucket`` point at, for the CSP: the endpoint's own with an
    S3-compatible service (path-style URLs, what botocore makes for a custom endpoint), else
    AWS's virtual-hosted names (global and regional) and, for a bucket name with dots (which
    botocore addresses path-style), the S3 hosts themselves."""
    from urllib.parse import urlsplit

    if endpoint_url:
        parts = urlsplit(endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    hosts = ["s3.amazonaws.com", *([f"s3.{region}.amazonaws.com"] if region else [])]
    if "." in bucket:
        return [f"https://{host}" for host in hosts]
    return [f"https://{bucket}.{host}" for host in hosts]


# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# DENY everywhere: Wagtail's preview views set SAMEORIGIN on their own responses, and the
# CSP's frame-ancestors (below) still allows that same-origin preview iframe.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "frame-src": [CSP.SELF, "https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Wagtail's admin renders inline scripts (inline panels, date widgets), so its pages get a
# policy without the nonce requirement but still limited to this origin.
ADMIN_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}
