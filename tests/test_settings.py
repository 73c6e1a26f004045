"""Production settings: refuse bad configuration, pass `check --deploy`, pick the right backends.

Each case runs in a subprocess: settings are read once per process, and the production module
must be imported fresh under the environment being tested.
"""

import re

import pytest

from tests.helpers import BASE_DIR, PRODUCTION, S3_SETTING_NAMES, run_python, settings_values

SETTINGS_FILES = sorted((BASE_DIR / "community" / "settings").glob("*.py"))


def test_check_deploy_passes_with_required_variables():
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (None, "unset"),
        ("", "empty"),
        ("x" * 49, "too short"),
        ("dev-only-" + "x" * 60, "the development key"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret, why):
    result = run_python(["manage.py", "check"], DJANGO_SECRET_KEY=secret)
    assert result.returncode != 0, f"started with a secret key that is {why}"
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_python(["manage.py", "check"], DJANGO_ALLOWED_HOSTS=" , ")
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must list" in result.stderr


def test_unknown_email_provider_is_refused():
    result = run_python(["manage.py", "check"], EMAIL_PROVIDER="carrier-pigeon")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Unknown EMAIL_PROVIDER 'carrier-pigeon'" in result.stderr


def test_non_integer_setting_is_refused_with_its_name():
    result = run_python(["manage.py", "check"], MEMBERSHIP_VALIDITY_DAYS="two years")
    assert result.returncode != 0
    assert "MEMBERSHIP_VALIDITY_DAYS must be an integer" in result.stderr


def test_postmark_provider_uses_anymail_with_the_token_from_the_environment():
    values = settings_values(
        "MAILERS",
        "ANYMAIL",
        EMAIL_PROVIDER="Postmark",
        ANYMAIL_POSTMARK_SERVER_TOKEN="sample-token",
    )
    assert values["MAILERS"]["default"]["BACKEND"] == "anymail.backends.postmark.EmailBackend"
    # A send never waits forever on the provider: the HTTP timeout is always set.
    assert values["ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "sample-token", "REQUESTS_TIMEOUT": 30.0}


def test_mailgun_provider_uses_anymail():
    values = settings_values(
        "MAILERS", EMAIL_PROVIDER="mailgun", ANYMAIL_MAILGUN_API_KEY="sample-key"
    )
    assert values["MAILERS"]["default"]["BACKEND"] == "anymail.backends.mailgun.EmailBackend"


def test_production_defaults_to_smtp_configured_from_the_environment():
    values = settings_values(
        "MAILERS",
        EMAIL_PROVIDER=None,
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="sample-user",
        EMAIL_HOST_PASSWORD="sample-password",
        EMAIL_USE_TLS="false",
    )
    mailer = values["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "smtp.example.org",
        "port": 2525,
        "username": "sample-user",
        "password": "sample-password",
        "use_tls": False,
        "timeout": 30,
    }


@pytest.mark.parametrize("module", [PRODUCTION, "community.settings.dev"])
def test_redis_url_selects_the_redis_cache(module):
    values = settings_values(
        "CACHES", DJANGO_SETTINGS_MODULE=module, REDIS_URL="redis://cache.internal:6379/0"
    )
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/0"


@pytest.mark.parametrize(
    "module", [PRODUCTION, "community.settings.dev", "community.settings.test"]
)
def test_without_redis_the_cache_is_shared_in_the_database_never_per_process(module):
    values = settings_values("CACHES", DJANGO_SETTINGS_MODULE=module, REDIS_URL=None)
    backends = {alias: cache["BACKEND"] for alias, cache in values["CACHES"].items()}
    assert backends["default"] == "django.core.cache.backends.db.DatabaseCache"
    assert not [b for b in backends.values() if "locmem" in b.lower() or "dummy" in b.lower()]


def test_database_url_selects_postgresql_with_persistent_connections():
    values = settings_values(
        "DATABASES",
        DATABASE_URL="postgres://sample:secret@db.internal:5432/rai_community",
        DATABASE_CONN_MAX_AGE="60",
    )
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("db.internal", 5432, "rai_community")
    assert db["CONN_MAX_AGE"] == 60


def test_production_security_settings():
    values = settings_values(
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT",
        "X_FRAME_OPTIONS",
        "TASKS",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_SSL_REDIRECT"] is True
    # The load balancer probes /healthz over plain HTTP inside the network.
    assert any(re.fullmatch(p, "healthz") for p in values["SECURE_REDIRECT_EXEMPT"])
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def test_makemigrations_finds_no_missing_migration():
    result = run_python(
        ["manage.py", "makemigrations", "--check", "--dry-run"],
        DJANGO_SETTINGS_MODULE="community.settings.test",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def _variables_read_by_settings():
    names = set()
    pattern = re.compile(r'(?:env|env_bool|env_int|env_list|os\.environ\.get)\(\s*"([A-Z_0-9]+)"')
    for path in SETTINGS_FILES:
        names.update(pattern.findall(path.read_text()))
    return names


def test_every_variable_the_settings_read_is_documented():
    names = _variables_read_by_settings()
    # Sanity: the scan really finds the settings' variables, so this test can fail.
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "REDIS_URL", "EMAIL_PROVIDER"} <= names
    documents = {
        ".env.example": (BASE_DIR / ".env.example").read_text(),
        "README.md": (BASE_DIR / "README.md").read_text(),
        "docs/configuration.md": (BASE_DIR / "docs" / "configuration.md").read_text(),
    }
    for name, text in documents.items():
        missing = sorted(n for n in names | {"DJANGO_SETTINGS_MODULE"} if n not in text)
        assert not missing, f"{name} does not mention {missing}"
        assert "ANYMAIL_" in text, f"{name} does not explain the ANYMAIL_* variables"


def test_env_example_is_a_valid_env_file_with_a_comment_for_each_variable():
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    assignment = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$")
    seen = {}
    for index, line in enumerate(lines):
        match = assignment.match(line)
        if not match:
            continue
        previous = lines[index - 1] if index else ""
        assert previous.startswith("#"), f"{match[1]} has no explaining comment above it"
        seen[match[1]] = match[2]
    assert "DJANGO_SECRET_KEY" in seen
    # A real secret must never be committed: the example value is a visible placeholder.
    assert len(seen["DJANGO_SECRET_KEY"]) < 50 or "change" in seen["DJANGO_SECRET_KEY"]


# --- SQLite for the first run ---------------------------------------------------------------

SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


@pytest.mark.parametrize(
    "database_url",
    [None, "sqlite:////tmp/rai-sample/db.sqlite3"],
    ids=["default under var/", "from DATABASE_URL"],
)
def test_dev_sqlite_uses_wal_a_busy_timeout_and_immediate_transactions(database_url):
    values = settings_values(
        "DATABASES", DJANGO_SETTINGS_MODULE="community.settings.dev", DATABASE_URL=database_url
    )
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"] == SQLITE_OPTIONS


def test_an_option_in_the_sqlite_url_wins_over_the_default():
    values = settings_values(
        "DATABASES",
        DJANGO_SETTINGS_MODULE="community.settings.dev",
        DATABASE_URL="sqlite:////tmp/rai-sample/db.sqlite3?timeout=5",
    )
    assert values["DATABASES"]["default"]["OPTIONS"] == {**SQLITE_OPTIONS, "timeout": 5}


def test_postgresql_gets_no_sqlite_options():
    values = settings_values(
        "DATABASES", DATABASE_URL="postgres://sample:secret@db.internal:5432/rai_community"
    )
    assert "transaction_mode" not in values["DATABASES"]["default"].get("OPTIONS", {})


def test_in_memory_test_database_stays_plain():
    values = settings_values(
        "DATABASES", DJANGO_SETTINGS_MODULE="community.settings.test", DATABASE_URL=None
    )
    assert values["DATABASES"]["default"] == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
    }


def test_sqlite_options_open_a_working_wal_database(tmp_path):
    """Django accepts the options and the file really switches to WAL."""
    script = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor();"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], connection.transaction_mode)"
    )
    result = run_python(
        ["-c", script],
        DJANGO_SETTINGS_MODULE="community.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "IMMEDIATE"]


@pytest.mark.parametrize(
    "module", [PRODUCTION, "community.settings.dev", "community.settings.test"]
)
def test_page_write_serialiser_is_the_last_middleware(module):
    # It calls the admin views itself: any middleware after it would lose its process_view.
    values = settings_values("MIDDLEWARE", DJANGO_SETTINGS_MODULE=module)
    assert values["MIDDLEWARE"][-1] == "community.page_writes.SerializePageWritesMiddleware"
    assert "django.middleware.csrf.CsrfViewMiddleware" in values["MIDDLEWARE"]


# --- uploaded files: local disk or an S3-compatible bucket ------------------------------------

S3_NAMES = (
    *S3_SETTING_NAMES,
    "WAGTAILIMAGES_RENDITION_STORAGE",
    "SECURE_CSP",
    "ADMIN_CSP",
)


def test_production_keeps_uploads_on_the_local_disk_by_default():
    values = settings_values(*S3_NAMES)
    assert values["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert values["STORAGES"]["renditions"]["BACKEND"] == "community.storage.LocalRenditionStorage"
    assert values["WAGTAILIMAGES_RENDITION_STORAGE"] == "renditions"
    assert values["AWS_STORAGE_BUCKET_NAME"] is None
    assert values["FILES_SIGNED_URL_SECONDS"] == 300
    assert values["SECURE_CSP"]["img-src"] == ["'self'", "data:", "blob:"]
    assert "media-src" not in values["SECURE_CSP"]


def test_s3_media_storage_uses_a_private_bucket_with_short_lived_signed_urls():
    values = settings_values(
        *S3_NAMES,
        DJANGO_MEDIA_STORAGE="S3",
        AWS_STORAGE_BUCKET_NAME="sample-community-uploads",
        AWS_S3_ENDPOINT_URL="http://minio.internal:9000",
        AWS_S3_REGION_NAME="eu-west-3",
        AWS_ACCESS_KEY_ID="sample-key-id",
        AWS_SECRET_ACCESS_KEY="sample-secret",
        FILES_SIGNED_URL_SECONDS="120",
    )
    assert values["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert values["STORAGES"]["renditions"]["BACKEND"] == "community.storage_s3.S3RenditionStorage"
    assert values["AWS_STORAGE_BUCKET_NAME"] == "sample-community-uploads"
    assert values["AWS_S3_ENDPOINT_URL"] == "http://minio.internal:9000"
    assert values["AWS_S3_REGION_NAME"] == "eu-west-3"
    assert values["AWS_ACCESS_KEY_ID"] == "sample-key-id"
    assert values["AWS_SECRET_ACCESS_KEY"] == "sample-secret"
    assert values["AWS_DEFAULT_ACL"] is None
    assert values["AWS_QUERYSTRING_AUTH"] is True
    assert values["AWS_QUERYSTRING_EXPIRE"] == values["FILES_SIGNED_URL_SECONDS"] == 120
    assert values["AWS_S3_SIGNATURE_VERSION"] == "s3v4"
    assert values["AWS_S3_FILE_OVERWRITE"] is False
    # Images and players follow the view's redirect to the bucket; the CSP lets them, and
    # nothing else changes.
    for policy in ("SECURE_CSP", "ADMIN_CSP"):
        assert "http://minio.internal:9000" in values[policy]["img-src"]
        assert values[policy]["media-src"] == ["'self'", "http://minio.internal:9000"]
    assert values["SECURE_CSP"]["default-src"] == ["'self'"]


def test_s3_media_storage_without_a_bucket_refuses_to_start():
    result = run_python(
        ["manage.py", "check"], DJANGO_MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME=" "
    )
    assert result.returncode != 0, "started on S3 without a bucket"
    assert "ImproperlyConfigured" in result.stderr
    assert "AWS_STORAGE_BUCKET_NAME must name the bucket" in result.stderr


def test_unknown_media_storage_is_refused():
    result = run_python(["manage.py", "check"], DJANGO_MEDIA_STORAGE="floppy")
    assert result.returncode != 0
    assert "Unknown DJANGO_MEDIA_STORAGE 'floppy'" in result.stderr


def test_check_deploy_passes_on_s3_and_loads_its_storage_classes():
    """The models load with the S3 rendition storage (resolved when Wagtail's Rendition model
    is built), without any network access."""
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="sample-community-uploads",
        AWS_S3_REGION_NAME="eu-west-3",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
