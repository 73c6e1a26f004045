# syntax=docker/dockerfile:1
# Two stages: the builder installs the locked dependencies into a virtual environment; the
# final image copies that environment and the code, without compilers or pip caches.

FROM python:3.13-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
# The same lock file, hashes and all, that `make install` uses.
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock


FROM python:3.13-slim AS final
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=community.settings.production \
    MEDIA_ROOT=/app/var/media \
    WEB_CONCURRENCY=3 \
    PORT=8000

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Code stays owned by root: the app user may write only to var/ (uploads).
COPY . /app

# Static files are collected at build time so every replica serves the same hashed names;
# the translation catalogues are compiled (Babel, no gettext in the image).
# The secret below exists only for this RUN; production settings refuse to start without a
# real one at run time.
RUN DJANGO_SECRET_KEY="build-time-only-collectstatic-$(python -c 'import secrets; print(secrets.token_hex(32))')" \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && python manage.py compile_catalogues \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var

USER app
EXPOSE 8000
# Probe GET /healthz from the load balancer with the site's Host header (ALLOWED_HOSTS applies).

# Shell form so WEB_CONCURRENCY and PORT come from the environment; exec keeps gunicorn PID 1.
CMD exec gunicorn community.wsgi:application \
    --bind "0.0.0.0:${PORT}" \
    --workers "${WEB_CONCURRENCY}" \
    --access-logfile -
