# The two commands: `make run` (install, migrate, load the demo, serve) and `make test` (the whole suite).
# PYTHON=/path/to/python3.12 picks the interpreter; VENV=dir the virtual environment.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test install migrate demo fixtures check

run: migrate demo
	$(PY) manage.py runserver $(HOST)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || "$$(.ci/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

demo: $(VENV)/.installed
	$(PY) manage.py load_demo

# Rebuild fixtures/ from ../shared/data after the shared data changes.
fixtures: $(VENV)/.installed
	$(PY) manage.py build_demo_fixtures

check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
