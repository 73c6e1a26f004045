# The two commands a fresh machine needs: `make run` and `make test`.
# Both bootstrap the virtual environment from the lock file first; nothing is done by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Find an interpreter >= 3.12 by itself: PATH first, then pyenv's versions dir. Each candidate
# is *run*, not just looked up: the machine's python3 is 3.11 and pyenv's `python3.13` shim
# exists on PATH but fails unless PYENV_VERSION is set. Evaluated once, and only when needed.
PYTHON_CANDIDATES = python3.13 python3.12 \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
	/usr/local/bin/python3.13 /usr/bin/python3.13 /usr/bin/python3.12 python3
PYTHON_BOOT = $(eval PYTHON_BOOT := $(shell for c in $(PYTHON_CANDIDATES); do \
	if $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; \
	then command -v $$c; break; fi; done))$(PYTHON_BOOT)

PIP_COMPILE_ARGS := --extra dev --generate-hashes --strip-extras --no-emit-find-links \
	--no-emit-index-url -o requirements.lock pyproject.toml

.PHONY: install catalogues run test lint format migrate seed lock bench clean messages help

help:
	@echo "make run     install, migrate, load demo content, serve on http://$(HOST):$(PORT)"
	@echo "make test    install, then the test suite (SQLite unless DATABASE_URL is set;"
	@echo "             extra pytest arguments via PYTEST_ARGS='-k name -x')"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make format  ruff fix + format"
	@echo "make lock    regenerate requirements.lock (pip-tools, with hashes)"
	@echo "make install create .venv, install requirements.lock, compile the translations"
	@echo "make messages refresh locale/*/LC_MESSAGES/django.po from the code (then translate)"

install: $(STAMP) catalogues

# The .mo files are built, not committed: Babel compiles them (no GNU gettext needed).
catalogues: $(STAMP)
	$(PY) manage.py compile_catalogues --if-changed

$(STAMP): requirements.lock
	@test -n "$(PYTHON_BOOT)" || { \
		echo "Python >= 3.12 not found (tried: python3.13, python3.12, ~/.pyenv/versions)." >&2; \
		exit 1; }
	@# A .venv made earlier by a too-old interpreter cannot be upgraded in place.
	@if test -x $(PY) && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Removing $(VENV): it was built with Python < 3.12"; rm -rf $(VENV); fi
	@echo "Using $(PYTHON_BOOT)"
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements.lock
	touch $(STAMP)

var:
	mkdir -p var

migrate: install | var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

seed: migrate
	$(PY) manage.py seed_demo

# The public address follows HOST and PORT unless SITE_URL is set, so `make run PORT=8001`
# gives links in emails and calendars that point at the server actually running.
run seed migrate: export SITE_URL ?= http://$(HOST):$(PORT)

# seed_demo prints the demo accounts (dev settings only; it refuses production settings).
run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install | var
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pip-tools lives in a throwaway venv so it never becomes a project dependency. Existing pins
# in requirements.lock are kept; pass LOCK_ARGS=--upgrade to move everything forward.
lock:
	@test -n "$(PYTHON_BOOT)" || { echo "Python >= 3.12 not found." >&2; exit 1; }
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON_BOOT) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check pip-tools; \
	"$$tmp/venv/bin/pip-compile" $(PIP_COMPILE_ARGS) $(LOCK_ARGS)

# Seeds a scratch PostgreSQL database (rai_bench, dropped afterwards) on the server at
# BENCH_DATABASE_URL / DATABASE_URL (default postgres://postgres@127.0.0.1:5432), serves it with
# gunicorn and writes var/bench/results.md. Options via BENCH_ARGS='--seconds 5 --events 1000'.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# Needs GNU gettext's xgettext (Debian: gettext). Obsolete messages are dropped; translate
# the new ones in all three catalogues before committing (tests/test_catalogues.py).
messages: install
	$(PY) manage.py makemessages -l ar -l fr -l es --no-obsolete \
		--ignore=.venv --ignore=var --ignore=node_modules --ignore=tests --ignore=bench \
		--ignore=staticfiles
	$(MAKE) catalogues

clean:
	rm -rf $(VENV) var staticfiles
