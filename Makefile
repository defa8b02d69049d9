# Two commands set up everything on a fresh machine: `make run` and `make test`.
# Without DATABASE_URL both use an embedded PostgreSQL under var/pgdata (core/embedded_db.py).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# A developer's machine installs the dev lock (the app, the embedded PostgreSQL and the test
# tools); production installs requirements.lock alone (README, Deploy).
LOCK ?= requirements-dev.lock
STAMP := $(VENV)/.synced-$(shell cksum $(LOCK) | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in mails point to the server `make run` actually starts (REQ NTF-1).
SITE_URL ?= http://$(HOST):$(PORT)
# Start the embedded PostgreSQL unless DATABASE_URL names a server; stop it after, if this
# command started it.
EMBEDDED_DB = $(if $(DATABASE_URL),,$(BIN)/python -m core.embedded_db)
STOP_EMBEDDED_DB = $(if $(EMBEDDED_DB),grep -qsx started var/embedded-db.state && $(EMBEDDED_DB) stop >/dev/null;)

.PHONY: print-site-url run test setup prepare install lint bench bench-data bench-writes bench-split bench-staff bench-views bench-smoke bench-cluster faults wrk clean

# The first install goes through pip (hash-checked); then uv syncs the virtualenv to the lock,
# removing whatever the lock no longer names.
$(STAMP): $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/uv pip sync --quiet --require-hashes --python $(BIN)/python $(LOCK)
	@rm -f $(VENV)/.synced-* $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# What tests need besides the packages: the var/ folder and the compiled catalogues.
prepare: install
	@mkdir -p var
	$(if $(EMBEDDED_DB),@$(EMBEDDED_DB) start > var/embedded-db.state)
	$(MANAGE) compile_translations

setup: prepare
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) demo

run: export SITE_URL := $(SITE_URL)
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/  (job and mail workers run beside it, output in var/jobs.log; Ctrl-C stops all)"
	@trap 'trap - INT TERM EXIT; $(STOP_EMBEDDED_DB) kill 0' INT TERM EXIT; \
	: > var/jobs.log; \
	$(MANAGE) procrastinate worker --name jobs --queues default >> var/jobs.log 2>&1 & \
	$(MANAGE) procrastinate worker --name mail --queues mail >> var/jobs.log 2>&1 & \
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .

test: setup lint
	@status=0; $(BIN)/pytest || status=$$?; \
	$(STOP_EMBEDDED_DB) \
	exit $$status

# --- National-scale benchmark and faults (bench/README.md). PostgreSQL only. ---------------
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
BENCH_1M ?= $(BENCH_PG)/hw_bench_1m
BENCH_10K ?= $(BENCH_PG)/hw_bench_10k
BENCH_ENV := DJANGO_SETTINGS_MODULE=config.settings.bench
BENCH_ARGS ?=
# e.g. --without-triggers: the bulk rows without audit-trail rows (bench_data --help)
BENCH_DATA_ARGS ?=
# The shared cache of the benchmarked servers (CACHE_URL, and GRID_CACHE_URL for the grids),
# e.g. redis://127.0.0.1:6379/5 as documented for production; empty: the database cache and
# grids kept in each worker.
BENCH_CACHE_URL ?=
FAULTS_ARGS ?=

# A PostgreSQL cluster of the harness's own on port 5433 (Debian's tools), so that other work's
# databases (their checkpoints) stay out of the figures and `faults` restarts only this one.
# Then: make bench-data bench faults BENCH_PG=postgres://postgres@127.0.0.1:5433
bench-cluster:
	@pg_lsclusters -h | awk '$$2 == "bench"' | grep -q . || pg_createcluster 15 bench -p 5433
	sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' /etc/postgresql/15/bench/pg_hba.conf
	pg_ctlcluster --skip-systemctl-redirect 15 bench start || pg_ctlcluster --skip-systemctl-redirect 15 bench reload

wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

# Two fresh databases: 1,000,000 and 10,000 reservations of the same shape (about 10 minutes).
bench-data: prepare
	@for pair in "$(BENCH_1M) 1000000" "$(BENCH_10K) 10000"; do set -- $$pair; \
	  name=$${1##*/}; \
	  psql "$(BENCH_PG)/postgres" -qc "DROP DATABASE IF EXISTS $$name WITH (FORCE)" -c "CREATE DATABASE $$name" && \
	  $(BENCH_ENV) DATABASE_URL=$$1 $(MANAGE) migrate --noinput -v0 && \
	  $(BENCH_ENV) DATABASE_URL=$$1 $(MANAGE) createcachetable && \
	  $(BENCH_ENV) DATABASE_URL=$$1 $(MANAGE) bench_data --reservations $$2 --offices 550 --users 300000 $(BENCH_DATA_ARGS) || exit 1; \
	done

# Load through gunicorn with wrk; writes bench/RESULTS.md; exits 1 when a target is missed.
bench: prepare wrk
	$(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) migrate --noinput -v0
	$(BENCH_ENV) DATABASE_URL=$(BENCH_10K) $(MANAGE) migrate --noinput -v0
	@echo "--- statistics (STA-1): queries and time of one office's month and the national view at 1M"
	$(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) stats_bench --office bench-0001 --month $$(date +%Y-%m)
	$(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) stats_bench --national --month $$(date +%Y-%m)
	$(if $(BENCH_CACHE_URL),CACHE_URL=$(BENCH_CACHE_URL) GRID_CACHE_URL=$(BENCH_CACHE_URL)) $(BIN)/python -m bench.run --db 1m=$(BENCH_1M) --db 10k=$(BENCH_10K) $(BENCH_ARGS)

# Every write of the booking life in-process on both databases (bench/README.md, Writes).
bench-writes: prepare
	$(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) bench_writes
	$(BENCH_ENV) DATABASE_URL=$(BENCH_10K) $(MANAGE) bench_writes

# Where one booking's milliseconds go at 1M, booth and online, against the lean transaction.
bench-split: prepare
	$(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) collectstatic --noinput -v0
	@for flow in three two; do for mode in booking booking-online; do \
	  echo "== $$mode, $$flow requests"; \
	  $(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) bench_sessions --mode $$mode --count 30 --skip 900 --out var/split-$$mode.jsonl && \
	  $(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(if $(BENCH_CACHE_URL),CACHE_URL=$(BENCH_CACHE_URL) GRID_CACHE_URL=$(BENCH_CACHE_URL)) $(MANAGE) bench_booking_split --sessions var/split-$$mode.jsonl --count 30 --flow $$flow $$(test $$mode = booking-online && echo --online) || exit 1; \
	done; done

# The day sheet and call list against the floor in one process, at 1M and 10k (issue 21).
bench-staff: prepare
	$(BENCH_ENV) DATABASE_URL=$(BENCH_1M) $(MANAGE) collectstatic --noinput -v0
	@for db in $(BENCH_1M) $(BENCH_10K); do \
	  echo "== $$db"; \
	  $(BENCH_ENV) DATABASE_URL=$$db $(MANAGE) bench_sessions --mode staff --count 5 --out var/staff-pages.jsonl && \
	  $(BENCH_ENV) DATABASE_URL=$$db $(if $(BENCH_CACHE_URL),CACHE_URL=$(BENCH_CACHE_URL) GRID_CACHE_URL=$(BENCH_CACHE_URL)) $(MANAGE) bench_staff_pages --sessions var/staff-pages.jsonl || exit 1; \
	done

# Races and faults with a fresh small database (about 22 minutes; restarts PostgreSQL once).
faults: prepare
	$(BIN)/python -m bench.faults --db $(BENCH_PG)/hw_bench_faults --jobs-seconds 300 $(FAULTS_ARGS)

# The quick version: the CI smoke test, then the race, two servers and 20 s of two machines'
# job and mail workers.
bench-smoke: prepare
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_PG)/hw_bench} $(BIN)/pytest tests/bench -q
	$(BIN)/python -m bench.faults --db $(BENCH_PG)/hw_bench_faults --only race --only race-counselor --only two-servers --only jobs --jobs-seconds 20 --load-seconds 8

# The in-process view timings of booths/management/commands/bench.py.
bench-views: setup
	$(MANAGE) bench

clean:
	rm -rf $(VENV) var staticfiles

print-site-url:
	@echo $(SITE_URL)
