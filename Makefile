# Two commands on a fresh machine with Python 3.11+:
#   make run    install into .venv, migrate, load the seed data, start the app on :8000
#   make test   run the whole test suite (SQLite unless DATABASE_URL is set)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1:8000

.PHONY: run test install migrate seed figures lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed --demo-login

run: seed
	@echo "Open http://$(HOST)/ and log in as a demo persona from the README (password: sinjar-demo-2014)"
	$(PY) manage.py runserver $(HOST)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

figures: seed
	$(PY) manage.py figures

# The benchmark of issue 7 (docs/performance.md): PostgreSQL only, e.g.
#   make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench BENCH_ARGS=--quick
# wrk is used when installed (apt-get install wrk), httpx with threads otherwise.
bench: install
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) manage.py bench $(BENCH_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
