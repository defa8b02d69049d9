# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup prepare install lint bench test-sqlite clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# What tests need besides the packages: the var/ folder and the compiled catalogues.
prepare: install
	@mkdir -p var
	$(MANAGE) compile_translations

setup: prepare
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) demo

run: setup
	@echo "Serving on http://$(HOST):$(PORT)/  (jobs run every 30 s beside it; Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	$(MANAGE) run_jobs --loop --interval 30 > var/jobs.log 2>&1 & \
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/pytest

# The non-browser suite on the embedded SQLite default (CI runs it beside PostgreSQL).
test-sqlite: prepare
	DATABASE_URL= $(BIN)/pytest -m "not browser"

bench: setup
	$(MANAGE) bench

clean:
	rm -rf $(VENV) var staticfiles
