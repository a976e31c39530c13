"""Fixtures: app, client, runner, db, login_as(role) and a small world built from builders.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.

Time: a test either holds at any instant, or states the instant it is about with the `at` marker
(`@pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))`, or `pytestmark = pytest.mark.at(NOW)`
for a whole module): the clock is moved there (and keeps ticking) for the test and its fixtures, in
the test process and in the live server's threads; the browser tests give the pages the same
clock. `make test-sqlite AT="2027-01-01 06:30"` runs the whole suite, subprocesses included, at
another instant (libfaketime); the header of the run says which instant it is.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient

from outreach import create_app, normalise_database_url
from outreach.extensions import db as _db
from tests import builders


WIB = ZoneInfo("Asia/Jakarta")


_RUN_STARTED = datetime.now(timezone.utc)


def _clock_line() -> str:
    faked = " (libfaketime: AT=%s)" % os.environ["JB_TEST_AT"] if os.environ.get("JB_TEST_AT") else ""
    start = _RUN_STARTED
    return f"clock: run started {start:%Y-%m-%d %H:%M} UTC = {start.astimezone(WIB):%a %d %b %Y %H:%M} WIB{faked}"


def pytest_report_header(config):
    return _clock_line()


# libfaketime (make test AT=...) fakes the clock a timed wait computes its deadline from, while the kernel
# waits on the real one: with the faked instant ahead of the real time, Event.wait(5) and threading.Timer
# (APScheduler's loop, job heartbeats, the rate limiter's expiry timer) wait until the real clock reaches
# the fake one. Tests of real processes and threads that pace themselves with such waits run at the real
# instant only (`make test`, both databases); their outcome does not depend on the date.
real_clock_only = pytest.mark.skipif(
    bool(os.environ.get("JB_TEST_AT")),
    reason="libfaketime: timed waits in threads and child processes do not end on a faked clock ahead of "
           "the real one; this test runs at the real instant (make test)")


# Tests whose outcome cannot depend on the instant they run at: those pinned to their own instant with
# the `at` marker (the clock is moved there, whatever the process's clock says), and modules marked
# `clock_free` (headers, vocabulary, catalogs, imports of real files, migrations, rate windows, bad
# input parsing). A run at another instant (libfaketime, JB_TEST_AT) leaves them out: `make test` runs
# them at the real instant on both databases, and running them again at a faked one only costs CI time.
# JB_TEST_AT_ALL=1 keeps them in.
def pytest_collection_modifyitems(config, items):
    if not os.environ.get("JB_TEST_AT") or os.environ.get("JB_TEST_AT_ALL"):
        return
    kept, left = [], []
    for item in items:
        pinned = item.get_closest_marker("at") is not None or item.get_closest_marker("clock_free") is not None
        (left if pinned else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_sessionfinish(session, exitstatus):
    """Cancel the timers still waiting (the rate limiter's memory storage starts non-daemon ones): on a
    faked clock their wait would keep the test process from ever exiting."""
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(_clock_line())  # also under -q, which leaves the header out


@pytest.fixture(autouse=True)
def _instant(request):
    """Moves the clock to the instant a test states with `@pytest.mark.at(moment)` (ticking from there)."""
    marker = request.node.get_closest_marker("at")
    if marker is None:
        yield None
        return
    moment = marker.args[0]
    assert isinstance(moment, datetime) and moment.tzinfo is not None, "pytest.mark.at needs an aware datetime"
    # Travel to the instant in UTC: given a ZoneInfo, time_machine would also move the process's own
    # zone (TZ) there and hide code that takes the server's zone for the offices'.
    with time_machine.travel(moment.astimezone(timezone.utc), tick=marker.kwargs.get("tick", True)):
        yield moment


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _worker_database(url, worker) if worker else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (<name>_<worker>), created here."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_schema(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    })
    _reset_schema(app)
    return app


def _clear_tables(app) -> None:
    _db.session.remove()
    engine = _db.engine
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table costs ~0.4 s per test,
    # DELETE on a handful of rows a few milliseconds.
    with engine.begin() as conn:
        for t in tables:
            conn.execute(sa.text(f'DELETE FROM "{t}"'))
    # Per-process memos of what is in the database go with the rows (the demo banner's "is the demo
    # loaded" is remembered for a minute, and the next test's database may not hold the demo).
    from outreach.cache import ProcessCache

    ProcessCache.clear_all()


@pytest.fixture()
def db(app):
    """An empty database for one test (schema from the migrations)."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _check_tally()
        _clear_tables(app)


def _check_tally() -> None:
    """Whatever a test wrote, the per-desa tally the triggers keep must equal a count from scratch, and so
    must the fresh per-kecamatan sums (every kecamatan with desa has its row)."""
    from outreach.regions import rollup
    from outreach.regions.tally import drift

    wrong = drift(limit=5)
    wrong_kecamatan = rollup.drift(limit=5)
    _db.session.rollback()
    assert not wrong, f"desa_tally drifted from its logs / known-away rows: {wrong}"
    assert not wrong_kecamatan, f"kecamatan_totals drifted from its desa: {wrong_kecamatan}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: nothing on `g` (such as
    Flask-Login's cached user or a bearer-token flag) leaks from one request to the next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # The test's own session must read what the request committed, not its stale identity map.
        _db.session.expire_all()
        return response


@pytest.fixture()
def client(app, db):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture()
def csrf_on(app):
    """Turn CSRF checking on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def world(db):
    """A small kabupaten with two kecamatan, a team, kits, and one user per role."""
    b = builders
    kab = b.make_region("33.74", "Kota Uji")
    kec1 = b.make_region("33.74.01", "Kecamatan Satu")
    kec2 = b.make_region("33.74.02", "Kecamatan Dua")
    desa1 = b.make_region("33.74.01.1001", "Kelurahan Satu A", wajib_ktp=1000, sudah_rekam=900)
    desa2 = b.make_region("33.74.01.2002", "Desa Satu B", wajib_ktp=500, sudah_rekam=450)
    desa3 = b.make_region("33.74.02.1001", "Kelurahan Dua A", wajib_ktp=800, sudah_rekam=790)
    other_kab = b.make_region("33.01", "Kabupaten Lain")
    other_desa = b.make_region("33.01.01.2001", "Desa Lain", wajib_ktp=300, sudah_rekam=100)
    team = b.make_team("33.74", "Tim Keliling 1")
    kit = b.make_kit(team, "KIT-A")
    site1 = b.make_site(desa1.kode, "Balai Kelurahan Satu A")
    site2 = b.make_site(desa3.kode, "Balai Kelurahan Dua A")
    other_site = b.make_site(other_desa.kode, "Balai Desa Lain")
    users = {
        "admin": b.make_user("admin", "admin_uji"),
        "manager": b.make_user("manager", "manajer_uji", scope="33.74"),
        "coordinator": b.make_user("coordinator", "koordinator_uji", scope="33.74.01"),
        "field": b.make_user("field", "lapangan_uji", team=team),
    }
    _db.session.commit()
    return SimpleNamespace(kab=kab, kec1=kec1, kec2=kec2, desa1=desa1, desa2=desa2, desa3=desa3,
                           other_kab=other_kab, other_desa=other_desa, team=team, kit=kit, site1=site1,
                           site2=site2, other_site=other_site, users=users)


@pytest.fixture()
def login_as(client, world):
    """login_as(role) signs the test client in as the world's user of that role."""
    def _login(role: str):
        client.post("/logout")
        user = world.users[role]
        resp = client.post("/login", data={"username": user.username, "password": builders.PASSWORD})
        assert resp.status_code == 302, f"login as {role} failed"
        return user
    return _login
