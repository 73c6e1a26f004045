# The two commands a fresh machine needs: `make run` and `make test`.
# Both bootstrap the virtual environment from the lock file first.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Find an interpreter >= 3.12 by itself: PATH first, then pyenv's versions.
PYTHON_BOOT := $(shell for c in python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) /usr/local/bin/python3.13 /usr/bin/python3.13 python3; do \
	if $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then command -v $$c; break; fi; done)

.PHONY: install run test lint format migrate seed bench clean messages

install: $(STAMP)

$(STAMP): requirements.lock
	@test -n "$(PYTHON_BOOT)" || { echo "Python >= 3.12 not found (tried python3.13, python3.12, pyenv)"; exit 1; }
	@echo "Using $(PYTHON_BOOT)"
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $(STAMP)

var:
	mkdir -p var

migrate: install var
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install var
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l ar -l fr -l es --ignore=.venv --ignore=var

clean:
	rm -rf $(VENV) var staticfiles
