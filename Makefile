# Two commands for a fresh machine:
#   make run   - install, migrate, load the demo and serve http://127.0.0.1:5000 (SQLite in instance/)
#   make test  - install and run the whole suite on SQLite, then on PostgreSQL
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
JOBS ?= 2

.PHONY: setup run test test-sqlite test-postgres chromium postgres translations translations-update

setup: $(VENV)/.installed translations

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools<81" wheel
	# XStatic packages still build with pkg_resources, so build them against the pinned setuptools.
	$(PY) -m pip install -q --no-build-isolation -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d outreach/translations

# Re-extract the Indonesian msgids from Python and templates and merge them into the catalogs.
# Keep the keyword list in step with tests/test_i18n.py (KEYWORDS).
translations-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-wrap --sort-by-file \
		--project "Jemput Bola" -o outreach/translations/messages.pot .
	$(VENV)/bin/pybabel update -i outreach/translations/messages.pot -d outreach/translations --no-wrap

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host $(HOST) --port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

test-sqlite: setup chromium
	$(PY) -m pytest -q -p no:cacheprovider -n $(JOBS)

test-postgres: setup chromium postgres
	TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -p no:cacheprovider -n $(JOBS)

test: test-sqlite test-postgres
