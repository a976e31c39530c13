"""kecamatan_totals: big areas read per-kecamatan sums (outreach.regions.rollup) and get exactly the figures a
pass over every desa gives, whatever was written since the last refresh."""
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app

from outreach.extensions import db as _db
from outreach.imports.apply import ImportOptions, run_import
from outreach.jobs.runner import run_job
from outreach.models import DesaTally, KecamatanTotals, RecordingSession, RefuserFollowup, Region, TargetCount
from outreach.models.field import TurnoutLog
from outreach.regions import queries as rq
from outreach.regions import rollup
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
KT = KecamatanTotals

LEVEL_SETS = ([None], ["provinsi"], ["kabupaten"], ["kecamatan"], [None, "provinsi", "kabupaten", "kecamatan"],
              ["kabupaten", "kecamatan"], ["provinsi", "kabupaten"])
FILTERS = (rq.DesaFilter(), rq.DesaFilter.within("33"), rq.DesaFilter.within("34"), rq.DesaFilter.within("33.74"),
           rq.DesaFilter.within("33.74.01"), rq.DesaFilter("kabupaten", ("33.74", "33.01")),
           rq.DesaFilter("kecamatan", ("33.74.02", "33.74.03", "34.71.01")), rq.DesaFilter("kecamatan", ()),
           rq.DesaFilter.within("99.99"))


def log(site, team, day, n, **kw):
    session = builders.make_session(site, team, day=day, status="terkonfirmasi")
    return builders.make_turnout_log(session, recorded={"umum": n}, **kw)


@pytest.fixture()
def rich(world, db):
    """The world plus what makes the ledger's terms differ per desa: logs before and after the as-of date,
    an over-target desa, known away of several reasons, refusers and a follow-up, open sessions (the
    planned share), desa without official figures, a second province."""
    b = builders
    w = world
    log(w.site1, w.team, date(2026, 9, 10), 30)                  # before the as-of date: inside SIAK's figure
    log(w.site1, w.team, date(2026, 9, 20), 60, not_recorded={"tidak_bersedia": 9})
    log(w.site2, w.team, date(2026, 9, 21), 25)                  # desa3 had a backlog of 10: over target
    log(w.other_site, w.team, date(2026, 9, 22), 12, not_recorded={"tidak_bersedia": 4})
    b.make_known_away(w.desa1.kode, "luar_negeri", 15)
    b.make_known_away(w.desa1.kode, "pindah_meninggal", 5)
    b.make_known_away(w.desa2.kode, "bekerja_luar_daerah", 70)  # more than the backlog
    b.make_known_away(w.other_desa.kode, "sekolah_luar_daerah", 8)
    _db.session.add(RefuserFollowup(desa_kode=w.desa1.kode, count=3, followed_on=date(2026, 9, 25), note="uji"))
    b.make_session(w.site1, w.team, day=date(2026, 10, 5), status="rencana", expected_turnout=40)
    b.make_session(w.other_site, w.team, day=date(2026, 10, 6), status="ditunda", expected_turnout=11)
    no_target = b.make_region("33.74.03.2001", "Desa Tanpa Target")         # a kecamatan without targets
    b.make_region("33.74.01.2003", "Desa Satu C")                            # no target, beside desa with
    free_site = b.make_site(no_target.kode, "Balai Tanpa Target")
    log(free_site, w.team, date(2026, 9, 23), 17)                            # recorded without target
    b.make_region("34.71.01.1001", "Kelurahan Jogja", wajib_ktp=700, sudah_rekam=650)
    b.make_region("34.71.01.2002", "Desa Jogja", wajib_ktp=200, sudah_rekam=200)
    _db.session.commit()
    return w


def plain(totals: dict) -> dict:
    return {key: {name: int(v) if isinstance(v, Decimal) else v for name, v in row.items()}
            for key, row in totals.items()}


def assert_paths_agree(full: bool = False):
    """For each level set and area filter (`full`: every one of them; else a few that cover every level and
    kind of filter): the rollup path and the pass over every desa agree exactly."""
    level_sets = LEVEL_SETS if full else LEVEL_SETS[4:5]
    filters = FILTERS if full else FILTERS[:2] + FILTERS[5:7]
    for levels in level_sets:
        for desa in filters:
            assert rq.rollup_applies(levels, desa)
            fast = plain(rq.compute_totals(levels, desa))
            slow = plain(rq.compute_totals(levels, desa, rollup=False))
            assert fast == slow, (levels, desa)


def versions() -> dict:
    _db.session.expire_all()
    return {k.kode: (k.version, k.computed_version) for k in _db.session.scalars(sa.select(KT))}


def stale() -> set:
    return {kode for kode, (v, c) in versions().items() if v != c}


def refresh() -> int:
    n = rollup.refresh_kecamatan_totals(_db.session)
    _db.session.commit()
    return n


def test_both_paths_agree_stale_fresh_and_after_changes(rich, db):
    assert stale() == {"33.74.01", "33.74.02", "33.74.03", "33.01.01", "34.71.01"}  # nothing computed yet
    assert_paths_agree(full=True)
    assert refresh() == 5
    assert stale() == set() and rollup.drift() == []
    assert_paths_agree(full=True)
    # Writes after the refresh: a log, a correction, a known-away row, a follow-up, a cancelled session.
    extra = log(rich.site1, rich.team, date(2026, 9, 28), 300)   # desa1 goes over target
    builders.make_known_away(rich.desa3.kode, "lainnya", 2)
    db.session.commit()
    assert stale() == {"33.74.01", "33.74.02"}
    assert_paths_agree(full=True)
    refresh()
    extra.recorded_umum, extra.recorded_total, extra.recorded_l, extra.recorded_p = 5, 5, 2, 3
    db.session.add(RefuserFollowup(desa_kode=rich.other_desa.kode, count=4, followed_on=date(2026, 9, 30), note=""))
    db.session.execute(sa.update(RecordingSession).where(RecordingSession.expected_turnout == 11)
                       .values(status="dibatalkan"))
    db.session.commit()
    assert stale() == {"33.74.01", "33.01.01"}
    assert_paths_agree(full=True)
    refresh()
    assert_paths_agree(full=True)
    assert rollup.drift() == []


def test_fresh_rows_are_what_big_areas_read(rich, db):
    refresh()
    before = rq.compute_totals(["provinsi"], rq.DesaFilter.within("33"))[("provinsi", "33")]
    # A fresh row edited by hand (not by the refresh) shows in the figures: they come from the row...
    db.session.execute(sa.update(KT).where(KT.kode == "33.74.02").values(wajib=KT.wajib + 1000))
    db.session.commit()
    after = rq.compute_totals(["provinsi"], rq.DesaFilter.within("33"))[("provinsi", "33")]
    assert int(after["wajib"]) == int(before["wajib"]) + 1000
    # ...and the consistency check names it; the recount puts it right.
    assert rollup.drift() == [{"kode": "33.74.02", "column": "wajib", "kept": 1800, "recount": 800}]
    runner = current_app.test_cli_runner()
    bad = runner.invoke(args=["coverage-tally"])
    assert bad.exit_code == 1 and "Kecamatan 33.74.02: wajib tersimpan 1800, hitungan ulang 800" in bad.output
    fixed = runner.invoke(args=["coverage-rollup", "--all"])
    assert fixed.exit_code == 0 and "5 kecamatan" in fixed.output
    assert rollup.drift() == [] and runner.invoke(args=["coverage-tally"]).exit_code == 0
    restored = rq.compute_totals(["provinsi"], rq.DesaFilter.within("33"))[("provinsi", "33")]
    assert plain({0: restored}) == plain({0: before})


def test_a_missing_row_is_reported_and_restored(rich, db):
    refresh()
    db.session.execute(sa.delete(KT).where(KT.kode == "33.01.01"))
    db.session.commit()
    assert rollup.drift() == [{"kode": "33.01.01", "column": "row", "kept": None, "recount": "ada desa"}]
    rollup.refresh_kecamatan_totals(db.session, everything=True)
    db.session.commit()
    assert rollup.drift() == [] and versions()["33.01.01"] == (0, 0)
    assert_paths_agree()
    log(rich.other_site, rich.team, date(2026, 9, 29), 3)  # a row put back at version 0 goes stale as any
    db.session.commit()
    assert "33.01.01" in stale()
    assert_paths_agree()


def test_region_changes_stale_their_kecamatan(rich, db):
    refresh()
    # Official figures changed by a bulk statement (not the import).
    db.session.execute(sa.update(Region).where(Region.kode == rich.desa2.kode).values(sudah_rekam=480))
    db.session.commit()
    assert stale() == {"33.74.01"}
    assert_paths_agree()
    refresh()
    # A change that moves nothing (the name) leaves the row fresh.
    db.session.execute(sa.update(Region).where(Region.kode == rich.desa2.kode).values(nama="Desa Satu B Baru"))
    db.session.commit()
    assert stale() == set()
    # A desa moved to another kecamatan stales both.
    db.session.execute(sa.update(Region).where(Region.kode == rich.desa2.kode).values(kecamatan_kode="33.74.02"))
    db.session.commit()
    assert stale() == {"33.74.01", "33.74.02"}
    assert_paths_agree()
    refresh()
    assert_paths_agree()
    # A new desa in a new kecamatan gets its row, stale; a deleted desa stales its kecamatan, and a kecamatan
    # left without desa loses its row at the next refresh.
    builders.make_region("33.74.04.2001", "Desa Baru", wajib_ktp=90, sudah_rekam=10)
    db.session.commit()
    assert stale() == {"33.74.04"}
    assert_paths_agree()
    refresh()
    db.session.execute(sa.delete(DesaTally).where(DesaTally.desa_kode == "33.74.04.2001"))
    db.session.execute(sa.delete(TargetCount).where(TargetCount.desa_kode == "33.74.04.2001"))
    db.session.execute(sa.delete(Region).where(Region.kode == "33.74.04.2001"))
    db.session.commit()
    assert stale() == {"33.74.04"}
    assert_paths_agree()
    refresh()
    assert "33.74.04" not in versions() and stale() == set()
    assert_paths_agree()


def test_a_siak_import_leaves_its_kecamatan_recomputed(rich, db):
    refresh()
    before = versions()["33.74.01"]
    csv = "kode,wajib_ktp,sudah_rekam,as_of\n33.74.01.1001,1010,990,2026-09-25\n".encode()
    report = run_import("targets", csv, ImportOptions(filename="siak.csv", today=date(2026, 10, 2)), commit=True)
    assert report.ok and report.committed, [str(e) for e in report.errors]
    after = versions()["33.74.01"]
    assert after[0] > before[0] and after[0] == after[1]  # moved, and recomputed in the import's transaction
    assert stale() == set() and rollup.drift() == []
    assert_paths_agree()


def test_rebuilding_the_tally_recomputes_every_kecamatan(rich, db):
    result = current_app.test_cli_runner().invoke(args=["coverage-tally", "--rebuild"])
    assert result.exit_code == 0 and "rekap per kecamatan: 5 kecamatan" in result.output
    assert stale() == set() and rollup.drift() == []
    assert_paths_agree()


def test_a_write_between_read_and_update_leaves_the_row_stale(rich, db, monkeypatch):
    """The refresh read version v; a write bumped the row to v + 1 before the guarded update: the row must
    not be marked fresh with sums that miss that write."""
    real = rollup.recount

    def read_before_a_write(only_stale=True):
        # The version as it was one write ago: what a refresh that read just before the write would hold.
        stmt = real(only_stale)
        return stmt.with_only_columns(*[c for c in stmt.selected_columns if c.name != "version"],
                                      (sa.func.coalesce(KT.version, 0) - 1).label("version"))

    monkeypatch.setattr(rollup, "recount", read_before_a_write)
    assert rollup.refresh_kecamatan_totals(db.session) == 0
    db.session.commit()
    assert stale() == {"33.74.01", "33.74.02", "33.74.03", "33.01.01", "34.71.01"}
    monkeypatch.setattr(rollup, "recount", real)
    assert refresh() == 5 and stale() == set()


def log_values(s, key: str) -> dict:
    """A turnout log row for a Core insert on another connection (no ORM, no builder session)."""
    values = {c.name: 0 for c in TurnoutLog.__table__.columns if c.name.startswith(("recorded_", "not_", "away_"))}
    values.update(recorded_umum=33, recorded_total=33, recorded_l=33, session_id=s.id, desa_kode=s.desa_kode,
                  kecamatan_kode=s.kecamatan_kode, kabupaten_kode=s.kabupaten_kode, provinsi_kode=s.provinsi_kode,
                  session_date=s.date, kit_ids=[], notes="", idempotency_key=key, request_fingerprint="0" * 64,
                  version=1, started_at=sa.func.current_timestamp(),
                  ended_at=sa.literal_column("current_timestamp + interval '1 hour'"),
                  created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp())
    return values


def test_a_log_committed_during_a_refresh_keeps_the_row_stale(rich, db, monkeypatch):
    """PostgreSQL: a log's transaction holds the kecamatan row when the refresh reaches it; the refresh
    waits, re-checks the version after the commit and leaves the row stale."""
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: a refresh cannot read before a write it then overtakes")
    monkeypatch.setattr(rollup, "LOCK_TIMEOUT", "20s")  # this test decides when the writer commits
    refresh()
    s = builders.make_session(rich.site1, rich.team, day=date(2026, 9, 27), status="terkonfirmasi")
    db.session.commit()
    engine = _db.engine
    template = log_values(s, "rollup-race")
    # The row is stale before the writer comes (so the refresh goes for it), and another kecamatan too (so
    # the refresh has work besides the contended row).
    builders.make_known_away(rich.desa2.kode, "lainnya", 1)
    builders.make_known_away(rich.other_desa.kode, "lainnya", 1)
    db.session.commit()
    writer = engine.connect()
    tx = writer.begin()
    writer.execute(sa.insert(TurnoutLog).values(**template))  # holds the 33.74.01 row, not committed
    outcome = {}

    def refresher():
        try:
            with engine.connect() as conn:
                with conn.begin():
                    outcome["pid"] = conn.scalar(sa.text("SELECT pg_backend_pid()"))
                    from sqlalchemy.orm import Session

                    with Session(bind=conn) as session:
                        outcome["n"] = rollup.refresh_kecamatan_totals(session)
        except Exception as exc:  # pragma: no cover - reported below
            outcome["error"] = exc

    thread = threading.Thread(target=refresher)
    thread.start()
    waiting = False
    with engine.connect() as watch:
        for _ in range(100):
            time.sleep(0.05)
            if "pid" in outcome and watch.scalar(sa.text(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :p"), {"p": outcome["pid"]}):
                waiting = True
                break
    tx.commit()
    writer.close()
    thread.join(timeout=30)
    assert waiting, "the refresh never waited for the writer's row lock"
    assert "error" not in outcome, outcome.get("error")
    assert "33.74.01" in stale() and "33.01.01" not in stale()  # the other row was refreshed
    assert_paths_agree()
    refresh()
    assert stale() == set() and rollup.drift() == []


def test_a_refresh_gives_up_on_a_row_held_too_long_and_its_transaction_goes_on(rich, db):
    """PostgreSQL: a writer (an import, say) holds a stale row past the lock timeout: the refresh writes
    nothing, the rows stay stale, and the caller's transaction is still usable (its lock_timeout as before)."""
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("lock timeouts are PostgreSQL's")
    s = builders.make_session(rich.site1, rich.team, day=date(2026, 9, 27), status="terkonfirmasi")
    db.session.commit()
    writer = _db.engine.connect()
    tx = writer.begin()
    try:
        writer.execute(sa.insert(TurnoutLog).values(**log_values(s, "rollup-held")))
        before = db.session.scalar(sa.text("SELECT current_setting('lock_timeout')"))
        started = time.monotonic()
        assert rollup.refresh_kecamatan_totals(db.session) == 0
        assert time.monotonic() - started < 5
        assert db.session.scalar(sa.text("SELECT current_setting('lock_timeout')")) == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KT)) == 5
        db.session.commit()
    finally:
        tx.rollback()
        writer.close()
    assert len(stale()) == 5
    assert refresh() == 5 and stale() == set()


def test_the_job_refreshes_the_stale_rows(rich, db):
    outcome = run_job("kecamatan_totals", datetime(2026, 9, 30, 10, 5, tzinfo=WIB))
    assert outcome.status == "done", outcome.error
    assert outcome.summary == {"refreshed": 5, "stale": 0}
    assert stale() == set()
    again = run_job("kecamatan_totals", datetime(2026, 9, 30, 10, 10, tzinfo=WIB))
    assert again.status == "done" and again.summary == {"refreshed": 0, "stale": 0}


def test_small_areas_and_past_days_keep_the_pass_over_their_desa(rich, db):
    assert not rq.rollup_applies(["desa"], rq.DesaFilter.within("33.74"))
    assert not rq.rollup_applies(["kecamatan"], rq.DesaFilter.within(rich.desa1.kode))
    assert not rq.rollup_applies([None], rq.DesaFilter(), day=date(2026, 9, 30))
    current_app.config["COVERAGE_ROLLUP"] = False
    try:
        assert not rq.rollup_applies(["kecamatan"], rq.DesaFilter())
    finally:
        current_app.config.pop("COVERAGE_ROLLUP")
