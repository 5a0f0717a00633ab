# Routine commands. `make run` and `make test` work on a fresh clone.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: lock run serve test test-postgres browser lint format seed messages clean generate bench load \
	stress check backup

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# What gets installed is pinned, with hashes, in requirements/ (`make lock` writes them).
$(VENV)/.installed: requirements/run.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/run.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/test.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

## lock: pin the dependencies of pyproject.toml for Python 3.11-3.13 (uv's resolver)
lock: | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet uv
	for set in run test; do \
		$(VENV)/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
			--generate-hashes $$([ $$set = test ] && echo --extra test) -o requirements/$$set.txt; \
	done

## run: set everything up and serve the seed registry on http://127.0.0.1:8000 (SQLite), with
## the background worker beside it (bin/serve; Ctrl-C stops both)
run: $(VENV)/.installed
	$(PY) manage.py bootstrap
	HOST=$(HOST) PORT=$(PORT) VENV=$(VENV) bin/serve dev

## serve: production serving: gunicorn on $(HOST):$(PORT), debug off, the background worker,
## Redis as the shared page cache (started if none answers at REGISTRY_CACHE_URL), PostgreSQL
## from DATABASE_URL, static files compressed and cache-busted by WhiteNoise. Needs
## DJANGO_SECRET_KEY; WEB_CONCURRENCY sets the number of workers.
serve: $(VENV)/.installed
	DJANGO_DEBUG=false $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=false $(PY) manage.py bootstrap
	HOST=$(HOST) PORT=$(PORT) VENV=$(VENV) bin/serve production

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
	$(PY) bench/stress.py --writers 8 --readers 8 --seconds 30

## backup: the whole registry with its history (pg_dump on PostgreSQL, JSON on SQLite)
backup: $(VENV)/.installed
	mkdir -p backups
	$(PY) manage.py backup_registry backups/registry-$$(date +%F-%H%M)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=. $(VENV)/bin/lint-imports  # the import rule (README, "Architecture"; pyproject.toml)
	$(VENV)/bin/python bin/check-sizes     # modules, functions and views within their lengths

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
