# Accord: `make run` brings up the portal with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
N ?= 100000
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --build-constraint requirements-build.txt
# --build-constraint needs pip 25.3: bring an older .venv's pip up first (nothing is fetched when it is current).
PIP_CURRENT := $(BIN)/python -m pip install --quiet --disable-pip-version-check "pip>=25.3"

.PHONY: run test bench lint install install-dev screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade "pip>=25.3"

# Stamp files make a second `make run` skip the install unless a requirements file changed.
$(VENV)/.installed: $(BIN)/python requirements.txt requirements-build.txt
	$(PIP_CURRENT)
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt package-lock.json
	$(PIP_CURRENT)
	$(PIP_INSTALL) -r requirements-dev.txt
	@command -v npm >/dev/null || { echo "npm is needed for the browser tests' accessibility checker (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debug off, as in production (DJANGO_DEBUG=1 for debug pages), over plain HTTP on loopback;
# the secret key is generated once into var/secret_key.
run: install
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py seed_demo --force
	@echo
	@echo "Accord is starting at http://127.0.0.1:$(PORT)/  (admin: /admin/; Ctrl-C stops web, worker and beat)"
	@echo
	PORT=$(PORT) ACCORD_WEBHOOKS_ALLOW_PRIVATE=1 $(BIN)/honcho start -f Procfile

test: install-dev
	$(BIN)/python -m pytest

# The README's pictures: the browser tests walk every role's journey and save the main pages.
screenshots: install-dev
	ACCORD_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e

SWEEP_N ?= 1000000
DASHBOARD_N ?= 1000000
IMPORT_ROWS ?= 100000
LEARN_N ?= 100000
API_N ?= 2000
WEBHOOK_EVENTS ?= 10000
PAGES_N ?= 100000

# Each step prints its table; a missed target is reported, not a failure, but a step that
# errors stops `make bench` with a non-zero exit. CI runs it small as a smoke test (.ci/run).
bench: install-dev
	$(BIN)/python -m tests.bench --leads $(N)
	$(BIN)/python -m tests.bench_sweeps --leads $(SWEEP_N)
	$(BIN)/python -m tests.bench_dashboard --leads $(DASHBOARD_N)
	$(BIN)/python -m tests.bench_import --rows $(IMPORT_ROWS)
	$(BIN)/python -m tests.bench_learning --leads $(LEARN_N)
	$(BIN)/python -m tests.bench_api --leads $(API_N) --bulk $$(( $(API_N) * 10 ))
	$(BIN)/python -m tests.bench_webhooks --events $(WEBHOOK_EVENTS)
	$(BIN)/python -m tests.bench_pages --leads $(PAGES_N)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
