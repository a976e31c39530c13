"""turnout_log.kit_hours (migration 0010): kits used × hours worked, stored on save and on correction, computed
for rows written without it, backfilled by the migration as the service would store it, and summed by the
team figures. Every expected value is worked out by hand in the comments."""
import importlib.util
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from outreach.coverage.queries.teams import team_figures
from outreach.field import operations, serialize
from outreach.models import AuditEntry, TurnoutLog
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 5, 4)
NOW = datetime(2026, 5, 4, 13, 0, tzinfo=WIB)
MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0010_team_figures.py"


@pytest.fixture()
def kw(world):
    """Two kits, a one-day session with both booked and a three-day session (4–6 May, 08:00–12:00) with one."""
    w = builders.make_planning_world(world)
    w.one_day = builders.make_session(w.site1, w.team, [w.kit, w.kit2], DAY, status="terkonfirmasi",
                                      expected_turnout=40)
    w.three_days = builders.make_session(w.site2, w.team, [w.kit], DAY, end_date=DAY + timedelta(days=2),
                                         status="terkonfirmasi", expected_turnout=60)
    builders.db.session.commit()
    return w


def body(**over):
    data = {"recorded": {"umum": 20}, "recorded_by_sex": {"L": 10, "P": 10},
            "started_at": "08:05", "ended_at": "11:55"}
    data.update(over)
    return data


def stored(db, log_id) -> float:
    return db.session.scalar(sa.select(TurnoutLog.kit_hours).where(TurnoutLog.id == log_id))


def test_kit_hours_is_stored_when_a_log_is_saved(db, kw):
    # 08:05–11:55 is 3 h 50 min = 230 min, with the 2 booked kits: 460 kit-minutes.
    log = operations.save_log(kw.users["field"], kw.one_day.id, body(), "kh-1", now=NOW).log
    assert stored(db, log.id) == pytest.approx(460 / 60)


def test_kit_hours_of_a_multi_day_session_counts_the_daily_hours_only(db, kw):
    # 4 May 08:00 to 6 May 11:30 with one kit: three days of 08:00–11:30 = 3 × 3.5 h = 10.5 h (the nights
    # do not count; end − start would be 51.5 h).
    log = operations.save_log(kw.users["field"], kw.three_days.id,
                           body(started_at="2026-05-04T08:00", ended_at="2026-05-06T11:30"), "kh-2",
                           now=datetime(2026, 5, 6, 13, 0, tzinfo=WIB)).log
    assert stored(db, log.id) == pytest.approx(10.5)


def test_kit_hours_follows_a_correction_of_times_or_kits(db, kw):
    field = kw.users["field"]
    log = operations.save_log(field, kw.one_day.id, body(), "kh-3", now=NOW).log
    # Now 08:05–12:35 = 4.5 h, with one kit only: 4.5 kit-hours.
    result = operations.correct_log(field, kw.one_day.id, {"version": 1, "ended_at": "12:35", "kit_ids": [kw.kit.id]},
                                 now=NOW + timedelta(hours=1))
    assert result.changed and result.log.version == 2
    assert stored(db, log.id) == pytest.approx(4.5)
    # A correction of the counts alone leaves it as it was.
    operations.correct_log(field, kw.one_day.id, {"version": 2, "recorded": {"umum": 25}, "recorded_by_sex": {"L": 15}},
                        now=NOW + timedelta(hours=2))
    assert stored(db, log.id) == pytest.approx(4.5)
    # Derived from the audited times and kits, it stays out of the audit trail.
    changes = db.session.scalars(sa.select(AuditEntry.changes).where(AuditEntry.entity == "turnout_log")).all()
    assert changes and all("kit_hours" not in c for c in changes)
    assert "kit_hours" not in serialize.log_to_dict(result.log)  # the API's JSON stays as it was


def test_rows_written_without_kit_hours_get_it_from_their_own_times_and_kits(db, kw):
    # A builder's log (ORM insert) on the three-day session: 4 May 08:00 to 6 May 12:00 with one kit = 3 × 4 h.
    log = builders.make_turnout_log(kw.three_days, ended_at=datetime(2026, 5, 6, 12, 0, tzinfo=WIB))
    db.session.commit()
    assert stored(db, log.id) == pytest.approx(12.0)
    # A bulk insert (as bench/coverage_bench.py loads logs): 09:00–10:30 WIB (02:00–03:30 UTC) with 2 kits = 3 h.
    row = {"session_id": kw.one_day.id, "desa_kode": kw.one_day.desa_kode, "kecamatan_kode": "33.74.01",
           "kabupaten_kode": "33.74", "provinsi_kode": "33", "session_date": DAY, "recorded_umum": 4,
           "recorded_l": 2, "recorded_p": 2, "recorded_total": 4,
           "started_at": datetime(2026, 5, 4, 2, 0), "ended_at": datetime(2026, 5, 4, 3, 30),
           "kit_ids": [kw.kit.id, kw.kit2.id], "notes": "", "idempotency_key": "bulk-1",
           "request_fingerprint": "0" * 64, "version": 1, "created_at": NOW, "updated_at": NOW}
    db.session.execute(sa.insert(TurnoutLog), [row])
    db.session.commit()
    assert db.session.scalar(sa.select(TurnoutLog.kit_hours).where(TurnoutLog.idempotency_key == "bulk-1")) == \
        pytest.approx(3.0)


def test_team_figures_sum_the_stored_kit_hours(db, kw):
    field = kw.users["field"]
    operations.save_log(field, kw.one_day.id, body(), "kh-5", now=NOW)  # 460/60 kit-hours, 20 recorded
    operations.save_log(field, kw.three_days.id, body(started_at="2026-05-04T08:00", ended_at="2026-05-06T11:30"),
                     "kh-6", now=datetime(2026, 5, 6, 13, 0, tzinfo=WIB))  # 10.5 kit-hours, 20 recorded
    builders.make_session(kw.site1, kw.team, [kw.kit], DAY + timedelta(days=3), status="dibatalkan")
    db.session.commit()
    (team,) = [f for f in team_figures(kw.users["manager"], DAY, DAY + timedelta(days=6),
                                          now=datetime(2026, 5, 7, 9, 0, tzinfo=WIB)) if f.team_id == kw.team.id]
    assert (team.sessions_planned, team.sessions_done, team.sessions_cancelled) == (3, 2, 1)
    assert (team.recorded, team.expected_turnout_done) == (40, 100)
    assert team.kit_hours == pytest.approx(460 / 60 + 10.5)
    assert team.recorded_per_kit_hour == round(40 / (460 / 60 + 10.5), 2)


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _index_names(db, table: str) -> set:
    return {i["name"] for i in sa.inspect(db.engine).get_indexes(table)}


def test_migration_backfills_what_the_service_stores_and_goes_down_again(app, db, kw):
    field = kw.users["field"]
    later = datetime(2026, 5, 7, 9, 0, tzinfo=WIB)
    ids = {
        # 460/60: see test_kit_hours_is_stored_when_a_log_is_saved
        "one_day": operations.save_log(field, kw.one_day.id, body(), "kh-m1", now=NOW).log.id,
        # 4 May 14:00 to 6 May 10:00, one kit: 10:00 is before 14:00, so no daily hours to count on each
        # of the three days; end − start = 44 h (the former SQL twin, from the span alone, said 2 × 20 h).
        "three_days": operations.save_log(field, kw.three_days.id,
                                       body(started_at="2026-05-04T14:00", ended_at="2026-05-06T10:00"),
                                       "kh-m2", now=later).log.id,
    }
    # A one-day session worked past midnight: 5 May 21:30 to 6 May 00:30 with one kit = 3 h (the time of day
    # at the end is before the start: end − start).
    night = builders.make_session(kw.site3, kw.team, [kw.kit], DAY + timedelta(days=1), start="21:00", end="23:59",
                                  status="terkonfirmasi")
    db.session.commit()
    ids["night"] = operations.save_log(field, night.id, body(started_at="2026-05-05T21:30",
                                                          ended_at="2026-05-06T00:30"), "kh-m3", now=later).log.id
    expected = {"one_day": 460 / 60, "three_days": 44.0, "night": 3.0}
    service_values = {k: stored(db, i) for k, i in ids.items()}
    assert service_values == pytest.approx(expected)
    db.session.commit()
    db.session.remove()  # no open transaction may hold the tables while the schema changes

    downgrade(revision="0009")
    assert "kit_hours" not in {c["name"] for c in sa.inspect(db.engine).get_columns("turnout_log")}
    assert "ix_turnout_log_date_session" not in _index_names(db, "turnout_log")
    assert "ix_recording_session_date_team" not in _index_names(db, "recording_session")
    upgrade()

    assert {"ix_turnout_log_date_session"} <= _index_names(db, "turnout_log")
    assert {"ix_recording_session_date_team"} <= _index_names(db, "recording_session")
    backfilled = {k: stored(db, i) for k, i in ids.items()}
    assert backfilled == pytest.approx(service_values)
    # The SQL of the backfill on hand-made times (stored as UTC): 1 May 23:00 to 3 May 02:00 UTC is
    # 2 May 06:00 to 3 May 09:00 WIB: two local days of 06:00–09:00 = 6 h, with three kits = 18.
    sql = _migration().kit_hours_sql(db.engine.dialect.name, "Asia/Jakarta")
    db.session.execute(sa.update(TurnoutLog).where(TurnoutLog.id == ids["night"]).values(
        started_at=datetime(2026, 5, 1, 23, 0, tzinfo=ZoneInfo("UTC")),
        ended_at=datetime(2026, 5, 3, 2, 0, tzinfo=ZoneInfo("UTC")), kit_ids=[7, 8, 9]))
    db.session.execute(sa.text(f"UPDATE turnout_log SET kit_hours = {sql} WHERE id = :id"), {"id": ids["night"]})
    assert stored(db, ids["night"]) == pytest.approx(18.0)
    db.session.rollback()
