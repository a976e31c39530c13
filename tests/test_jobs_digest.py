"""Weekly digest for managers, from the snapshots: backlog change, slowest kecamatan, forecast."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from outreach.jobs.digest import AreaPoint, compute_digest, digest_text
from outreach.jobs.runner import run_job
from outreach.models.jobs import Notification
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2026, 9, 14, 7, 0, tzinfo=WIB)


def test_managers_get_the_week_from_the_snapshots(world, db):
    w = world
    run_job("snapshot", datetime(2026, 9, 6, 23, 50, tzinfo=WIB))
    w.desa1.sudah_rekam = 960  # kecamatan 1 moves 60, kecamatan 2 does not move
    db.session.commit()
    run_job("snapshot", datetime(2026, 9, 13, 23, 50, tzinfo=WIB))
    builders.make_session(w.site1, w.team, [], day=date(2026, 9, 12), status="selesai")
    builders.make_session(w.site2, w.team, [], day=date(2026, 9, 10))  # never logged
    builders.make_session(w.other_site, builders.make_team("33.01"), [], day=date(2026, 9, 11), status="selesai")
    province = builders.make_user("manager", "manajer_provinsi", scope="33")
    empty = builders.make_user("manager", "manajer_kosong", scope="33.02")  # no targets there
    db.session.commit()

    outcome = run_job("digest", MONDAY, trigger="schedule")
    assert outcome.status == "done", outcome.error
    assert outcome.summary == {"snapshot_date": "2026-09-13", "compared_with": "2026-09-06", "managers": 2,
                               "skipped_no_data": 1, "notifications": 2, "emails": 0}
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == w.users["manager"].id))
    assert note.kind == "digest" and note.title == "Ringkasan mingguan Kota Uji"
    lines = note.body.splitlines()
    assert lines[0] == "Ringkasan mingguan Kota Uji per Minggu, 13 September 2026"
    assert "Belum rekam (backlog): 100 — turun 60 sejak Minggu, 6 September 2026 (7 hari)" in lines
    assert "Sesi selesai 7 hari terakhir: 1" in lines and "Sesi tanpa log (terlambat): 1" in lines
    assert ("Perkiraan: dengan laju periode ini, backlog terjangkau habis dalam sekitar 2 minggu "
            "(Minggu, 27 September 2026).") in lines
    slowest = lines[lines.index("Kecamatan paling lambat:") + 1:]
    assert slowest == ["1. Kecamatan Dua: backlog terjangkau 10 (tidak turun)",
                       "2. Kecamatan Satu: backlog terjangkau 90 (turun 60)"]
    prov_note = db.session.scalar(sa.select(Notification).where(Notification.user_id == province.id))
    assert "Belum rekam (backlog): 300 — turun 60 sejak Minggu, 6 September 2026 (7 hari)" in prov_note.body
    assert "Sesi selesai 7 hari terakhir: 2" in prov_note.body
    assert db.session.scalar(sa.select(Notification).where(Notification.user_id == empty.id)) is None
    assert run_job("digest", MONDAY).status == "skipped"
    assert run_job("digest", MONDAY.replace(hour=9), trigger="manual").summary["notifications"] == 0


def test_digest_without_snapshots_does_nothing(world, db):
    outcome = run_job("digest", MONDAY)
    assert outcome.status == "done" and outcome.summary["managers"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_forecast_and_ranking_are_plain_arithmetic():
    now = AreaPoint("33.74", "Kota", backlog=500, reachable_backlog=450)
    prev = AreaPoint("33.74", "Kota", backlog=600, reachable_backlog=550)
    kec = [AreaPoint("a", "A", 100, 100), AreaPoint("b", "B", 300, 250), AreaPoint("c", "C", 0, 0),
           AreaPoint("d", "D", 100, 100)]
    d = compute_digest("Kota", date(2026, 9, 13), now, prev, date(2026, 9, 6), kec, {"a": 150, "b": 300}, 2)
    assert d.backlog_change == -100 and d.weeks_to_zero == 5
    # b did not move and has the larger reachable backlog; d has no point a week ago (counted as not moving)
    assert [(p.kode, drop) for p, drop in d.slowest] == [("b", 0), ("d", None)]
    flat = compute_digest("Kota", date(2026, 9, 13), now, now, date(2026, 9, 6), [], {})
    assert flat.weeks_to_zero is None
    assert compute_digest("Kota", date(2026, 9, 13), now, None, None, [], {}).backlog_change is None


def test_digest_names_the_period_it_really_compares_and_its_pace():
    """A comparison snapshot 46 days old: the change is named as such, and the pace is per week of it."""
    now = AreaPoint("33.74", "Kota", backlog=500, reachable_backlog=460)
    old = AreaPoint("33.74", "Kota", backlog=5667, reachable_backlog=5120)
    d = compute_digest("Kota", date(2026, 12, 6), now, old, date(2026, 10, 21), [], {}, today=date(2026, 12, 7))
    assert d.days_compared == 46
    # 4,660 less in 46 days = 709 a week: 460 left takes one week, not 460 / 4,660 of one.
    assert d.weeks_to_zero == 1 and d.finish_date == date(2026, 12, 13)
    text = digest_text(d)
    assert "turun 5.167 sejak Rabu, 21 Oktober 2026 (46 hari)" in text
    assert "dalam 7 hari" not in text


def test_digest_never_gives_a_finish_date_already_past():
    """Only an old snapshot is there (its pace would have finished before today): no date in the past."""
    now = AreaPoint("33.74", "Kota", backlog=500, reachable_backlog=400)
    prev = AreaPoint("33.74", "Kota", backlog=900, reachable_backlog=800)
    d = compute_digest("Kota", date(2026, 10, 4), now, prev, date(2026, 9, 27), [], {}, today=date(2026, 12, 7))
    assert d.finish_date < date(2026, 12, 7)
    text = digest_text(d)
    assert "Potret terbaru bertanggal Minggu, 4 Oktober 2026" in text
    assert "seharusnya sudah habis" in text and "Oktober 2026)." not in text


def test_a_manager_at_the_national_office_gets_the_whole_country(world, db):
    w = world
    run_job("snapshot", datetime(2026, 9, 6, 23, 50, tzinfo=WIB))
    w.desa1.sudah_rekam = 960
    db.session.commit()
    run_job("snapshot", datetime(2026, 9, 13, 23, 50, tzinfo=WIB))
    builders.make_session(w.site1, w.team, [], day=date(2026, 9, 12), status="selesai")
    builders.make_session(w.other_site, builders.make_team("33.01"), [], day=date(2026, 9, 11), status="selesai")
    national = builders.make_user("manager", "manajer_pusat", scope=None)
    national.national = True
    lost = builders.make_user("manager", "manajer_tanpa_wilayah", scope=None)  # neither scope nor flag
    db.session.commit()

    assert run_job("digest", MONDAY, trigger="schedule").status == "done"
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == national.id))
    assert note.title == "Ringkasan mingguan seluruh Indonesia"
    # the country's backlog: the provinces' snapshots summed (the world has one province)
    assert "Belum rekam (backlog): 300 — turun 60 sejak Minggu, 6 September 2026 (7 hari)" in note.body
    assert "Sesi selesai 7 hari terakhir: 2" in note.body
    assert db.session.scalar(sa.select(Notification).where(Notification.user_id == lost.id)) is None
