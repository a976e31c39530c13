"""Values shared by every worker and restart (outreach.cache.SharedCache), and the dashboard panels of big
areas kept there (outreach.coverage.panels): computed once, recomputed when their stamp changes or they
are older than their age limit, while the dashboard's headline figures stay live."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outreach import clock
from outreach.cache import SharedCache
from outreach.coverage import panels
from outreach.jobs.runner import run_job
from outreach.models import SharedValue
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)


@pytest.fixture()
def shared_on(app):
    app.config["SHARED_CACHE"] = True
    yield
    app.config["SHARED_CACHE"] = None


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"calls": self.calls}


def test_a_value_is_computed_once_and_again_when_its_stamp_changes(shared_on, db):
    compute = Counter()
    assert SharedCache.get("k", compute, stamp="a") == {"calls": 1}
    assert SharedCache.get("k", compute, stamp="a") == {"calls": 1}  # read back, not computed
    assert compute.calls == 1
    assert SharedCache.get("k", compute, stamp="b") == {"calls": 2}  # the data changed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SharedValue)) == 1


def test_a_value_older_than_its_age_limit_is_computed_again(shared_on, db):
    SharedCache.store("k", {"calls": 0}, "s", computed_at=clock.utcnow() - timedelta(seconds=700))
    compute = Counter()
    assert SharedCache.get("k", compute, stamp="s", max_age=800) == {"calls": 0}
    assert SharedCache.get("k", compute, stamp="s", max_age=600) == {"calls": 1}
    assert SharedCache.get("k", compute, stamp="s", max_age=600) == {"calls": 1}


def test_an_unreadable_value_is_computed_again(shared_on, db):
    SharedCache.store("k", 1, "s")
    db.session.execute(sa.update(SharedValue).values(value=b"not a pickle"))
    db.session.commit()
    assert SharedCache.get("k", Counter(), stamp="s") == {"calls": 1}


def test_off_in_tests_unless_asked_for(app, db):
    compute = Counter()
    SharedCache.get("k", compute)
    SharedCache.get("k", compute)
    assert compute.calls == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SharedValue)) == 0


def _figure(html: str, key: str) -> str:
    import re

    m = re.search(r'data-figure="%s"[^>]*>([^<]*)<' % key, html)
    assert m, key
    return m.group(1).strip()


def _teams_total(html: str) -> str:
    import re

    return re.search(r'data-testid="teams-total">([^<]*)<', html).group(1)


def test_a_province_dashboard_shares_its_slow_panels_and_keeps_its_figures_live(shared_on, client, login_as,
                                                                               world, db):
    """The admin's dashboard is the whole province (a big area): the teams panel is read from the shared
    value until it is renewed, while a new log shows in the headline at once."""
    login_as("admin")
    first = client.get("/dasbor").get_data(as_text=True)
    assert 'data-testid="teams-at"' in first and 'data-testid="forecast-at"' in first
    assert "Dihitung pukul 10.00" in first
    recorded_before = _figure(first, "sudah_rekam_estimated")

    builders.make_team("33.74", "Tim Keliling 2")  # a second team: the shared panel still says 1
    session = builders.make_session(world.site1, world.team, day=date(2026, 12, 1), status="terkonfirmasi")
    builders.make_turnout_log(session, recorded={"umum": 40})
    db.session.commit()
    second = client.get("/dasbor").get_data(as_text=True)
    assert _teams_total(first) == _teams_total(second) == "1"
    assert _figure(second, "sudah_rekam_estimated") != recorded_before  # live: 40 more recorded

    assert run_job("dashboard_panels", NOW, trigger="schedule").status == "done"
    third = client.get("/dasbor").get_data(as_text=True)
    assert _teams_total(third) == "2"


def test_a_kabupaten_dashboard_computes_everything_at_each_request(shared_on, client, login_as, world, db):
    login_as("manager")
    html = client.get("/dasbor").get_data(as_text=True)
    assert 'data-testid="teams-at"' not in html and 'data-testid="forecast-at"' not in html
    builders.make_team("33.74", "Tim Keliling 2")
    db.session.commit()
    assert _teams_total(client.get("/dasbor").get_data(as_text=True)) == "2"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SharedValue)
                             .where(SharedValue.key.like("dashboard:%"))) == 0


def test_the_job_stores_the_panels_of_everything_and_each_province(shared_on, world, db):
    builders.make_region("34", "DI Yogyakarta")
    builders.make_region("34.71", "Kota Yogyakarta")
    builders.make_region("34.71.01.1001", "Desa Yogya", wajib_ktp=100, sudah_rekam=50)
    db.session.commit()
    summary = panels.warm(NOW.date())
    db.session.commit()
    assert summary == {"areas": 3, "shared": True}  # everything, and the provinces 33 and 34
    keys = set(db.session.scalars(sa.select(SharedValue.key)))
    assert {"dashboard:forecast:*:2026-12-07", "dashboard:teams:*:2026-12-07", "dashboard:teams:33:2026-12-07",
            "dashboard:forecast:34:2026-12-07", "dashboard:teams:34:2026-12-07", "series:*", "series:34",
            "official_dates:*", "official_dates:34"} <= keys


def test_the_job_does_nothing_where_values_are_not_shared(world, db):
    assert panels.warm(NOW.date()) == {"areas": 0, "shared": False}
