# Engage developer commands. `make demo` on a fresh clone needs no environment at all.
#
#   make install   .venv (Python 3.12) with the hash-checked dev lock file
#   make demo      migrate the local SQLite database, seed the demo district, run the server
#   make test      pytest (SQLite; PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
#   make lint      ruff check + ruff format --check
#   make check     Django's system checks, missing migrations, production deploy checks
#   make lock      re-compile requirements/base.txt and requirements/dev.txt with uv
#   make bench     the benchmark command

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# python3 is 3.12 here thanks to .python-version and pyenv; override with `make PYTHON=...`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.engage-installed
RUNSERVER_ADDRESS ?= 127.0.0.1:8000

# Dummy production environment for `check --deploy`: the values only satisfy the settings'
# refusal to load without them and the field-key check (engage.E011); nothing is contacted.
RANDOM_KEY = $$($(PY) -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
DEPLOY_CHECK_ENV = DJANGO_SETTINGS_MODULE=engage.settings.production \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=engage.example.org \
	DATABASE_URL=postgres://engage@db.invalid:5432/engage \
	REDIS_URL=redis://redis.invalid:6379/0 \
	ENGAGE_FIELD_KEYS="check:$(RANDOM_KEY)" \
	ENGAGE_FIELD_HASH_KEY="$(RANDOM_KEY)"

.PHONY: help install test lint check demo demo-setup lock bench

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

install: $(STAMP)

# Re-runs only when the lock file changes (or the virtualenv is new).
$(STAMP): requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' || { \
		echo "error: $(VENV) runs $$($(PY) --version 2>&1), Engage needs Python 3.12." >&2; \
		echo "       Install 3.12 (pyenv install 3.12), remove $(VENV), and run make install again," >&2; \
		echo "       or point at one: make install PYTHON=/path/to/python3.12" >&2; \
		exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip sync --compile-bytecode --python $(PY) requirements/dev.txt
	@touch $@

test: install
	@$(VENV)/bin/pytest $(PYTEST_ARGS) || { status=$$?; \
		if [ $$status -eq 5 ]; then echo "error: pytest collected no tests (exit 5): failing." >&2; fi; \
		exit $$status; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: install
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Everything `make demo` does before starting the server (CI runs it against a throwaway db).
demo-setup: install
	@if [ -d locale ]; then \
		if command -v msgfmt >/dev/null; then \
			$(PY) manage.py compilemessages --ignore '.venv' --ignore 'var'; \
		else \
			echo "note: gettext's msgfmt is missing, so translations are not compiled and the"; \
			echo "      demo shows English only. Install it with: sudo apt-get install gettext"; \
		fi; \
	fi
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

demo: demo-setup
	$(PY) manage.py runserver $(RUNSERVER_ADDRESS)

lock: install
	$(UV) pip compile --quiet pyproject.toml --python-version 3.12 --generate-hashes \
		-o requirements/base.txt $(LOCK_ARGS)
	$(UV) pip compile --quiet pyproject.toml --extra dev --python-version 3.12 --generate-hashes \
		-o requirements/dev.txt $(LOCK_ARGS)

bench: install
	$(PY) manage.py bench $(BENCH_ARGS)
