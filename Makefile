# Routine commands. `make run` and `make test` work on a fresh clone.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test test-postgres browser lint format seed messages clean generate bench load \
	stress check backup

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

## run: set everything up and serve the seed registry on http://127.0.0.1:8000 (SQLite)
run: $(VENV)/.installed
	$(PY) manage.py bootstrap
	$(PY) manage.py runserver $(HOST):$(PORT)

## serve: production serving: gunicorn on $(HOST):$(PORT), debug off, PostgreSQL from
## DATABASE_URL, static files compressed and cache-busted by WhiteNoise. Needs
## DJANGO_SECRET_KEY; WEB_CONCURRENCY sets the number of workers.
serve: $(VENV)/.installed
	DJANGO_DEBUG=false $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=false $(PY) manage.py bootstrap
	DJANGO_DEBUG=false $(VENV)/bin/gunicorn socialforvaltning.wsgi \
		--bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-$$(( 2 * $$(nproc) + 1 ))}

## test: install what the tests need and run them (SQLite unless DATABASE_URL says otherwise)
test: $(VENV)/.installed-test browser
	$(PY) -m pytest $(PYTEST_ARGS)

## browser: Debian's Chromium for the browser tests (Playwright drives it; no download)
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

## test-postgres: the suite on the local PostgreSQL server (the browser tests, which serve
## their own SQLite registry, run once in `make test`)
test-postgres:
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialforvaltning \
		$(MAKE) test PYTEST_ARGS='-m "not browser"'

## generate: add a synthetic organisation to the registry (UNITS, YEARS, SEED)
UNITS ?= 10000
YEARS ?= 10
SEED ?= 1
generate: $(VENV)/.installed
	$(PY) manage.py bootstrap
	$(PY) manage.py generate_org --units $(UNITS) --years $(YEARS) --seed $(SEED)

## check: check the live registry against every invariant (exit 1 on any problem)
check: $(VENV)/.installed
	$(PY) manage.py check_registry

## bench: the benchmark table (SQLite and PostgreSQL; seed, 1,000 and 10,000 units)
bench: $(VENV)/.installed-test
	$(PY) bench/run.py $(BENCH_ARGS)

## load: a 30-second load test of `make serve` on PostgreSQL with wrk (Debian's package)
load: $(VENV)/.installed
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(PY) bench/load.py

## stress: 8 writers and 8 readers for 30 s against a bootstrapped PostgreSQL registry
stress: $(VENV)/.installed
	$(PY) manage.py stress_registry --writers 8 --readers 8 --seconds 30

## backup: the whole registry with its history (pg_dump on PostgreSQL, JSON on SQLite)
backup: $(VENV)/.installed
	mkdir -p backups
	$(PY) manage.py backup_registry backups/registry-$$(date +%F-%H%M)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## seed: migrate and load the seed data into an empty registry
seed: $(VENV)/.installed
	$(PY) manage.py bootstrap

## messages: refresh and compile the translations
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l da -l en --ignore=.venv --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
