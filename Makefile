# Two commands for a fresh machine:
#   make run   - install, migrate, load the demo and serve http://127.0.0.1:5000 (SQLite in instance/),
#                with the scheduler beside it (PORT=5080 for another port, SCHEDULER=0 without it)
#   make test  - install and run the whole suite on SQLite, then on PostgreSQL
# Another instant: make test-sqlite AT="2027-01-01 06:30" runs the suite as if it were then (a time
# without a zone is WIB), every process it starts included (libfaketime, Debian package faketime).
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
SCHEDULER ?= 1
JOBS ?= 2
AT ?=

ifneq ($(strip $(AT)),)
AT_EPOCH := $(shell TZ=Asia/Jakarta date -d '$(AT)' +%s 2>/dev/null)
ifeq ($(AT_EPOCH),)
$(error AT="$(AT)" is not an instant `date -d` understands; write e.g. AT="2027-01-01 06:30" (WIB) or AT="2026-12-24 15:30 UTC")
endif
# The clock starts at AT and keeps ticking, shared by every process of the run (pytest-xdist workers,
# servers and schedulers started by tests). Chromium is started without it (see tests/browser/conftest.py).
CLOCK := JB_TEST_AT='$(AT)' faketime -m @$(AT_EPOCH)
FAKETIME_DEP := faketime
endif

.PHONY: setup run test test-sqlite test-postgres chromium faketime postgres translations translations-update

setup: $(VENV)/.installed translations

$(VENV)/.installed: requirements.txt requirements-demo.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools<81" wheel
	# XStatic packages still build with pkg_resources, so build them against the pinned setuptools.
	$(PY) -m pip install -q --no-build-isolation -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d outreach/translations

# Directories extraction skips (Babel's default would also skip templates/_macros, as it starts with "_").
# Keep in step with tests/test_i18n.py (IGNORE_DIRS).
I18N_IGNORE_DIRS := .* __pycache__ node_modules instance

# Re-extract the Indonesian msgids from Python and templates and merge them into the catalogs.
# Keep the keyword list in step with tests/test_i18n.py (KEYWORDS).
translations-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k lazy_pgettext:1c,2 --no-wrap --sort-by-file \
		--ignore-dirs "$(I18N_IGNORE_DIRS)" \
		--project "Jemput Bola" -o outreach/translations/messages.pot .
	$(VENV)/bin/pybabel update -i outreach/translations/messages.pot -d outreach/translations --no-wrap

# The scheduler (reminders, snapshots, the digest) runs beside the web server, its output in
# instance/scheduler.log; SCHEDULER=0 serves the pages alone. Ctrl-C stops both.
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
ifeq ($(SCHEDULER),0)
	$(FLASK) run --host $(HOST) --port $(PORT)
else
	@mkdir -p instance; $(FLASK) run-scheduler >>instance/scheduler.log 2>&1 & sched=$$!; \
	trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	echo "Penjadwal berjalan (pid $$sched, log di instance/scheduler.log)"; \
	$(FLASK) run --host $(HOST) --port $(PORT)
endif

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

faketime:
	@command -v faketime >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

test-sqlite: setup chromium $(FAKETIME_DEP)
	$(CLOCK) $(PY) -m pytest -q -p no:cacheprovider -n $(JOBS)

# Under AT only the Python processes are moved in time, not the PostgreSQL server (the app takes no
# time from the database).
test-postgres: setup chromium postgres $(FAKETIME_DEP)
	TEST_DATABASE_URL=$(PG_URL) $(CLOCK) $(PY) -m pytest -q -p no:cacheprovider -n $(JOBS)

test: test-sqlite test-postgres
