"""Field logging service: one transaction per log, idempotent, optimistic locking, figures moved once."""
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from outreach.field import errors, operations, queries, serialize
from outreach.models import AuditEntry, KnownAway, RecordingSession, Site, TurnoutLog
from outreach.planning import operations as planning
from outreach.planning.errors import ValidationFailed
from tests import builders

WIB = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 5, 4)
NOW = datetime(2026, 5, 4, 13, 0, tzinfo=WIB)


@pytest.fixture()
def fw(world):
    w = builders.make_planning_world(world)
    builders.make_known_away(world.desa1.kode, "luar_negeri", 10)
    s = SimpleNamespace(**vars(w))
    s.session = builders.make_session(w.site1, w.team, [w.kit, w.kit2], DAY, status="terkonfirmasi")
    s.school_session = builders.make_session(w.school, w.team, [w.kit], DAY + timedelta(days=1),
                                             status="terkonfirmasi", target_groups=["pemilih_pemula"])
    s.other_team_session = builders.make_session(w.site3, w.team2, [w.team2_kit], DAY, status="terkonfirmasi")
    s.kec2_session = builders.make_session(w.site2, w.team, [w.kit], DAY - timedelta(days=3), status="rencana")
    builders.db.session.commit()
    return s


def log_body(**over):
    data = {"recorded": {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3},
            "recorded_by_sex": {"L": 13, "P": 15},
            "not_recorded": {"tidak_ditemukan_siak": 2, "tidak_bersedia": 1},
            "away": {"luar_negeri": 4, "bekerja_luar_daerah": 2},
            "started_at": "08:05", "ended_at": "11:55", "notes": "Antusias."}
    data.update(over)
    return data


def known_away(db, desa_kode):
    return dict(db.session.execute(sa.select(KnownAway.reason, KnownAway.count)
                                   .where(KnownAway.desa_kode == desa_kode)).all())


def count(db, model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audits(db, entity="turnout_log"):
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == entity)
                                   .order_by(AuditEntry.id)))


def test_first_log_is_stored_with_every_figure_in_one_go(db, fw):
    field = fw.users["field"]
    result = operations.save_log(field, fw.session.id, log_body(), "k-1", now=NOW)
    assert result.created
    log = result.log
    assert (log.recorded_total, log.recorded_umum, log.recorded_l, log.recorded_p) == (28, 20, 13, 15)
    assert log.not_recorded["tidak_ditemukan_siak"] == 2 and log.away["bekerja_luar_daerah"] == 2
    assert (log.desa_kode, log.kecamatan_kode, log.kabupaten_kode, log.provinsi_kode) == \
        ("33.74.01.1001", "33.74.01", "33.74", "33")
    assert log.session_date == DAY and log.version == 1 and log.created_by_id == field.id
    assert sorted(log.kit_ids) == sorted([fw.kit.id, fw.kit2.id])
    assert db.session.get(RecordingSession, fw.session.id).status == "selesai"
    # Known away: the existing row grows, a missing row is created.
    assert known_away(db, fw.desa1.kode) == {"luar_negeri": 14, "bekerja_luar_daerah": 2}
    entry = audits(db)[-1]
    assert entry.action == "create" and entry.user_id == field.id
    assert entry.changes["recorded_umum"] == [None, 20] and entry.changes["away_luar_negeri"] == [None, 4]
    status = audits(db, "recording_session")[-1]
    assert status.action == "status:selesai" and status.changes["status"] == ["terkonfirmasi", "selesai"]


def test_log_json_shape(db, fw):
    log = operations.save_log(fw.users["field"], fw.session.id, log_body(), "k-json", now=NOW).log
    out = serialize.log_to_dict(log)
    assert out["recorded"] == {"pemilih_pemula": 5, "umum": 20, "lansia_disabilitas": 3}
    assert out["recorded_by_sex"] == {"L": 13, "P": 15}
    assert out["not_recorded"]["tidak_bersedia"] == 1 and out["not_recorded_total"] == 3
    assert out["away"] == {"luar_negeri": 4, "sekolah_luar_daerah": 0, "bekerja_luar_daerah": 2, "pindah_meninggal": 0, "lainnya": 0}
    assert out["started_at"] == "2026-05-04T08:05:00+07:00" and out["ended_at"] == "2026-05-04T11:55:00+07:00"
    assert out["correction_deadline"] == "2026-05-06T13:00:00+07:00"
    for key in ("id", "session_id", "kit_ids", "recorded_total", "created_by", "created_at", "updated_at",
                "notes", "version"):
        assert key in out


def test_a_repeat_is_stored_once_and_moves_nothing_again(db, fw):
    field = fw.users["field"]
    first = operations.save_log(field, fw.school_session.id, log_body(), "k-rep", now=NOW + timedelta(days=1))
    school_after = db.session.get(Site, fw.school.id).pemilih_pemula_recorded
    away_after = known_away(db, fw.desa1.kode)
    assert school_after == 105  # 100 + 5 pemilih pemula
    again = operations.save_log(field, fw.school_session.id, log_body(), "k-rep", now=NOW + timedelta(days=2))
    assert not again.created and again.log.id == first.log.id and again.log.version == 1
    assert count(db, TurnoutLog) == 1 and len(audits(db)) == 1
    db.session.expire_all()
    assert db.session.get(Site, fw.school.id).pemilih_pemula_recorded == school_after
    assert known_away(db, fw.desa1.kode) == away_after


def test_same_key_with_another_body_is_refused_and_not_stored(db, fw):
    field = fw.users["field"]
    operations.save_log(field, fw.session.id, log_body(), "k-dup", now=NOW)
    with pytest.raises(errors.IdempotencyKeyReused) as exc:
        operations.save_log(field, fw.session.id, log_body(notes="lain"), "k-dup", now=NOW)
    assert exc.value.status == 422 and "Idempotency-Key" in exc.value.errors
    with pytest.raises(errors.IdempotencyKeyReused):  # the same key for another session
        operations.save_log(field, fw.school_session.id, log_body(), "k-dup", now=NOW + timedelta(days=1))
    assert count(db, TurnoutLog) == 1
    db.session.expire_all()
    assert db.session.get(TurnoutLog, queries.get_log(field, fw.session.id).id).notes == "Antusias."
    assert db.session.get(RecordingSession, fw.school_session.id).status == "terkonfirmasi"


def test_a_second_log_with_a_new_key_must_be_a_correction(db, fw):
    field = fw.users["field"]
    operations.save_log(field, fw.session.id, log_body(), "k-a", now=NOW)
    with pytest.raises(errors.LogExists) as exc:
        operations.save_log(fw.users["coordinator"], fw.session.id, log_body(notes="HP kedua"), "k-b", now=NOW)
    assert exc.value.status == 409 and exc.value.log.notes == "Antusias." and "PATCH" in exc.value.message
    assert count(db, TurnoutLog) == 1 and known_away(db, fw.desa1.kode)["luar_negeri"] == 14


@pytest.mark.parametrize("status", ["rencana", "ditunda"])
def test_a_log_finishes_an_unconfirmed_or_postponed_session(db, fw, status):
    fw.session.status = status
    db.session.commit()
    operations.save_log(fw.users["field"], fw.session.id, log_body(), f"k-{status}", now=NOW)
    assert db.session.get(RecordingSession, fw.session.id).status == "selesai"


def test_cancelled_and_not_started_sessions_are_refused(db, fw):
    field = fw.users["field"]
    fw.session.status = "dibatalkan"
    db.session.commit()
    with pytest.raises(errors.LogValidationFailed) as exc:
        operations.save_log(field, fw.session.id, log_body(), "k-c", now=NOW)
    assert "dibatalkan" in exc.value.errors["session"]
    before = datetime(2026, 5, 5, 7, 30, tzinfo=WIB)  # the school session starts 5 May 08:00 WIB
    with pytest.raises(errors.LogValidationFailed) as exc:
        operations.save_log(field, fw.school_session.id, log_body(), "k-early", now=before)
    assert "belum dimulai" in exc.value.errors["session"]
    assert count(db, TurnoutLog) == 0 and known_away(db, fw.desa1.kode) == {"luar_negeri": 10}


def test_bad_counts_store_nothing(db, fw):
    with pytest.raises(errors.LogValidationFailed) as exc:
        operations.save_log(fw.users["field"], fw.session.id,
                         log_body(recorded_by_sex={"L": 1, "P": 1}, away={"luar_negeri": -1}), "k-bad", now=NOW)
    assert set(exc.value.errors) == {"away.luar_negeri"}  # parse errors first, then the sums
    with pytest.raises(errors.LogValidationFailed) as exc:
        operations.save_log(fw.users["field"], fw.session.id, log_body(recorded_by_sex={"L": 1, "P": 1}),
                         "k-bad", now=NOW)
    assert set(exc.value.errors) == {"recorded_by_sex"}
    assert count(db, TurnoutLog) == 0
    # The refused key is free: the corrected log goes through with it.
    assert operations.save_log(fw.users["field"], fw.session.id, log_body(), "k-bad", now=NOW).created


def test_kits_used_must_be_the_sessions_or_the_offices(db, fw):
    with pytest.raises(errors.LogValidationFailed) as exc:
        operations.save_log(fw.users["field"], fw.session.id, log_body(kit_ids=[fw.other_kit.id]), "k-kit", now=NOW)
    assert f"#{fw.other_kit.id}" in exc.value.errors["kit_ids"]
    log = operations.save_log(fw.users["field"], fw.session.id, log_body(kit_ids=[fw.team2_kit.id]), "k-kit",
                           now=NOW).log  # a kit of the same office, lent for the day
    assert log.kit_ids == [fw.team2_kit.id]


def test_who_may_log(db, fw):
    body = log_body()
    with pytest.raises(errors.SessionNotFound):  # another team's session is not on the field user's list
        operations.save_log(fw.users["field"], fw.other_team_session.id, body, "k-x1", now=NOW)
    with pytest.raises(errors.SessionNotFound):  # another kecamatan's session
        operations.save_log(fw.users["coordinator"], fw.kec2_session.id, body, "k-x2", now=NOW)
    with pytest.raises(errors.NotAllowed):
        operations.save_log(fw.users["manager"], fw.session.id, body, "k-x3", now=NOW)
    with pytest.raises(errors.BadIdempotencyKey):
        operations.save_log(fw.users["field"], fw.session.id, body, "", now=NOW)
    assert operations.save_log(fw.users["coordinator"], fw.other_team_session.id, body, "k-x4", now=NOW).created
    assert count(db, TurnoutLog) == 1


def test_one_transaction_nothing_kept_when_a_step_fails(db, fw, monkeypatch):
    def refuse(*a, **kw):
        raise ValidationFailed({"status": "tidak boleh"})

    monkeypatch.setattr(planning, "mark_finished", refuse)
    with pytest.raises(errors.LogValidationFailed):
        operations.save_log(fw.users["field"], fw.school_session.id, log_body(), "k-tx", now=NOW + timedelta(days=1))
    db.session.expire_all()
    assert count(db, TurnoutLog) == 0 and audits(db) == []
    assert known_away(db, fw.desa1.kode) == {"luar_negeri": 10}
    assert db.session.get(Site, fw.school.id).pemilih_pemula_recorded == 100


def test_a_correction_moves_only_the_difference(db, fw):
    field = fw.users["field"]
    later = NOW + timedelta(days=1)
    log = operations.save_log(field, fw.school_session.id, log_body(), "k-cor", now=later).log
    assert known_away(db, fw.desa1.kode) == {"luar_negeri": 14, "bekerja_luar_daerah": 2}
    result = operations.correct_log(field, fw.school_session.id,
                                 {"version": 1, "recorded": {"pemilih_pemula": 8}, "recorded_by_sex": {"L": 16},
                                  "away": {"luar_negeri": 6, "bekerja_luar_daerah": 0}}, now=later + timedelta(hours=2))
    assert result.changed and result.log.version == 2 and result.log.recorded_total == 31
    db.session.expire_all()
    assert known_away(db, fw.desa1.kode) == {"luar_negeri": 16, "bekerja_luar_daerah": 0}
    assert db.session.get(Site, fw.school.id).pemilih_pemula_recorded == 108
    entry = audits(db)[-1]
    assert entry.action == "update" and entry.user_id == field.id
    assert entry.changes == {"recorded_pemilih_pemula": [5, 8], "recorded_l": [13, 16], "recorded_total": [28, 31],
                             "away_luar_negeri": [4, 6], "away_bekerja_luar_daerah": [2, 0]}
    assert [e.action for e in queries.log_history(result.log)] == ["update", "create"]
    # Corrected downwards: moves back by the difference.
    operations.correct_log(field, fw.school_session.id, {"version": 2, "away": {"luar_negeri": 1}},
                        now=later + timedelta(hours=3))
    db.session.expire_all()
    assert known_away(db, fw.desa1.kode)["luar_negeri"] == 11
    assert db.session.get(TurnoutLog, log.id).version == 3


def test_known_away_never_goes_below_zero(db, fw):
    field = fw.users["field"]
    operations.save_log(field, fw.session.id, log_body(), "k-zero", now=NOW)
    db.session.execute(sa.update(KnownAway).where(KnownAway.reason == "bekerja_luar_daerah").values(count=1))
    db.session.commit()  # an import lowered the row meanwhile
    operations.correct_log(field, fw.session.id, {"version": 1, "away": {"bekerja_luar_daerah": 0}}, now=NOW)
    assert known_away(db, fw.desa1.kode)["bekerja_luar_daerah"] == 0


def test_stale_version_is_refused_with_the_current_values(db, fw):
    field, coord = fw.users["field"], fw.users["coordinator"]
    operations.save_log(field, fw.session.id, log_body(), "k-stale", now=NOW)
    operations.correct_log(coord, fw.session.id, {"version": 1, "notes": "dikoreksi koordinator"}, now=NOW)
    with pytest.raises(errors.StaleLog) as exc:
        operations.correct_log(field, fw.session.id, {"version": 1, "notes": "dari HP kedua"}, now=NOW)
    assert exc.value.status == 409 and exc.value.log.version == 2
    assert exc.value.log.notes == "dikoreksi koordinator"
    # Sending exactly what is stored is no conflict (a retried correction): answered, nothing changes.
    same = operations.correct_log(field, fw.session.id, {"version": 1, "notes": "dikoreksi koordinator"}, now=NOW)
    assert not same.changed and same.log.version == 2
    assert len(audits(db)) == 2


def test_version_is_required_and_a_no_op_keeps_it(db, fw):
    field = fw.users["field"]
    operations.save_log(field, fw.session.id, log_body(), "k-ver", now=NOW)
    for bad in (None, "abc", 0, True):
        with pytest.raises(errors.LogValidationFailed) as exc:
            operations.correct_log(field, fw.session.id, {"version": bad, "notes": "x"}, now=NOW)
        assert "version" in exc.value.errors
    result = operations.correct_log(field, fw.session.id, {"version": 1, "notes": "Antusias."}, now=NOW)
    assert not result.changed and result.log.version == 1
    with pytest.raises(errors.LogNotFound):
        operations.correct_log(field, fw.school_session.id, {"version": 1}, now=NOW)


def test_corrections_window_team_then_coordinator(db, fw):
    field, coord, admin = fw.users["field"], fw.users["coordinator"], fw.users["admin"]
    operations.save_log(field, fw.session.id, log_body(), "k-win", now=NOW)
    operations.correct_log(field, fw.session.id, {"version": 1, "notes": "47 jam"}, now=NOW + timedelta(hours=47))
    late = NOW + timedelta(hours=49)
    with pytest.raises(errors.NotAllowed) as exc:
        operations.correct_log(field, fw.session.id, {"version": 2, "notes": "49 jam"}, now=late)
    assert "koordinator" in exc.value.message
    assert operations.correct_log(coord, fw.session.id, {"version": 2, "notes": "koordinator"}, now=late).changed
    assert operations.correct_log(admin, fw.session.id, {"version": 3, "notes": "admin"}, now=late).changed
    with pytest.raises(errors.NotAllowed):
        operations.correct_log(fw.users["manager"], fw.session.id, {"version": 4, "notes": "manajer"}, now=late)


def test_correction_window_follows_the_setting(app, db, fw):
    operations.save_log(fw.users["field"], fw.session.id, log_body(), "k-set", now=NOW)
    app.config["LOG_CORRECTION_HOURS"] = 2
    try:
        with pytest.raises(errors.NotAllowed):
            operations.correct_log(fw.users["field"], fw.session.id, {"version": 1, "notes": "x"},
                                now=NOW + timedelta(hours=3))
    finally:
        app.config["LOG_CORRECTION_HOURS"] = 48


def test_logs_of_two_sessions_in_one_desa_add_up(db, fw):
    second = builders.make_session(fw.site1, fw.team, [fw.kit], DAY - timedelta(days=7), status="terkonfirmasi")
    db.session.commit()
    operations.save_log(fw.users["field"], fw.session.id, log_body(), "k-d1", now=NOW)
    operations.save_log(fw.users["coordinator"], second.id, log_body(away={"bekerja_luar_daerah": 3, "lainnya": 1}),
                     "k-d2", now=NOW)
    assert known_away(db, fw.desa1.kode) == {"luar_negeri": 14, "bekerja_luar_daerah": 5, "lainnya": 1}
    total = db.session.scalar(sa.select(sa.func.sum(TurnoutLog.recorded_total))
                              .where(TurnoutLog.desa_kode == fw.desa1.kode, TurnoutLog.session_date >= DAY - timedelta(days=10)))
    assert total == 56


def test_my_sessions_today_coming_and_waiting(db, fw):
    field = fw.users["field"]
    t = fw.team
    past_waiting = builders.make_session(fw.site1, t, [fw.kit], DAY - timedelta(days=10), status="terkonfirmasi")
    past_logged = builders.make_session(fw.site1, t, [fw.kit], DAY - timedelta(days=9), status="terkonfirmasi")
    past_cancelled = builders.make_session(fw.site1, t, [fw.kit], DAY - timedelta(days=8), status="dibatalkan")
    coming = builders.make_session(fw.site1, t, [fw.kit], DAY + timedelta(days=5))
    db.session.commit()
    operations.save_log(field, past_logged.id, log_body(started_at="08:00", ended_at="12:00"), "k-my", now=NOW)
    page = queries.my_sessions(field, now=NOW)
    ids = [i.session.id for i in page.items]
    assert ids == [past_waiting.id, fw.kec2_session.id, fw.session.id, fw.school_session.id, coming.id]
    assert past_cancelled.id not in ids and past_logged.id not in ids and fw.other_team_session.id not in ids
    flags = {i.session.id: (i.awaiting_log, i.overdue, i.can_log) for i in page.items}
    assert flags[past_waiting.id] == (True, True, True)
    assert flags[fw.session.id] == (True, False, True)      # today, started
    assert flags[fw.school_session.id] == (False, False, False)  # tomorrow
    out = serialize.schedule_item_to_dict(page.items[0])
    assert out["site"]["nama"] == fw.site1.nama and out["site"]["map_url"].startswith("https://www.openstreetmap")
    assert out["awaiting_log"] and out["overdue"] and out["log"] is None and out["announcement"]
    # Coordinators see their kecamatan's sessions, whatever the team.
    coord_ids = [i.session.id for i in queries.my_sessions(fw.users["coordinator"], now=NOW).items]
    assert fw.other_team_session.id in coord_ids and fw.kec2_session.id not in coord_ids
    assert queries.my_sessions(field, now=NOW, page=2, per_page=2).items[0].session.id == fw.session.id


def test_my_sessions_shows_a_logged_session_of_today_with_its_log(db, fw):
    field = fw.users["field"]
    operations.save_log(field, fw.session.id, log_body(), "k-today", now=NOW)
    item = next(i for i in queries.my_sessions(field, now=NOW).items if i.session.id == fw.session.id)
    assert item.log is not None and not item.awaiting_log and item.can_correct and not item.can_log
    assert serialize.schedule_item_to_dict(item)["log"]["version"] == 1
    tomorrow = queries.my_sessions(field, now=NOW + timedelta(days=1)).items
    assert fw.session.id not in [i.session.id for i in tomorrow]  # logged and past: off the schedule
