"""Planning against the database: reads, writes, rules, transactions, audit, scoping."""
from datetime import date, datetime, time, timezone

import pytest
import sqlalchemy as sa
import time_machine

from outreach.models import AuditEntry, RecordingSession, SessionPostponement
from outreach.planning import checks, operations, parse, queries, serialize
from outreach.planning.errors import ConflictsFound, NotAllowed, NotFound, StaleSession, ValidationFailed
from tests import builders

TODAY = date(2026, 5, 4)  # a Monday
NEXT_MONDAY = date(2026, 5, 11)


@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc), tick=True):
        yield


@pytest.fixture()
def pw(world, frozen):
    return builders.make_planning_world(world)


def data(pw, **kw):
    out = {"site_id": pw.site1.id, "date": NEXT_MONDAY.isoformat(), "start": "08:00", "end": "12:00",
           "team_id": pw.team.id, "kit_ids": [pw.kit.id], "kind": "perekaman"}
    out.update(kw)
    return out


def count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecordingSession))


def audit_of(db, session_id):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "recording_session",
                                                          AuditEntry.entity_id == str(session_id))
                              .order_by(AuditEntry.id)).all()


def test_create_saves_denormalised_codes_turnout_and_audit(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw, kit_ids=[pw.kit.id, pw.kit2.id], notes="Bawa KK"))
    assert (s.status, s.date, s.start_time, s.end_time) == ("rencana", NEXT_MONDAY, time(8), time(12))
    assert (s.desa_kode, s.kecamatan_kode, s.kabupaten_kode, s.provinsi_kode) == (
        "33.74.01.1001", "33.74.01", "33.74", "33")
    assert s.kit_ids == sorted([pw.kit.id, pw.kit2.id]) and s.created_by_id == coord.id
    # capacity 2 kits x 4 h x 12 = 96 is below the backlog 1000 - 900 = 100: capacity limits
    assert s.expected_turnout == 96 and "= 96" in s.turnout_reasoning
    assert s.target_groups == ["umum"] and s.version == 1
    [entry] = audit_of(db, s.id)
    assert entry.action == "create" and entry.user_id == coord.id
    assert entry.changes["date"] == [None, "2026-05-11"] and entry.changes["notes"] == [None, "Bawa KK"]


def test_backlog_and_known_away_limit_expected_turnout(db, pw):
    builders.make_known_away(pw.desa1.kode, "luar_negeri", 70)
    db.session.commit()
    s = operations.create_session(pw.users["coordinator"], data(pw))
    assert s.expected_turnout == 30  # 1000 - 900 - 70
    assert "70 diketahui" in s.turnout_reasoning


def test_school_session_targets_pemilih_pemula(db, pw):
    s = operations.create_session(pw.users["coordinator"], data(pw, site_id=pw.school.id))
    assert s.target_groups == ["pemilih_pemula"] and s.expected_turnout == 20


def test_sosialisasi_needs_no_kit(db, pw):
    s = operations.create_session(pw.users["coordinator"], data(pw, kind="sosialisasi", kit_ids=[]))
    assert s.kit_ids == [] and s.expected_turnout == 0


def test_kit_double_booking_is_refused_and_nothing_saved(db, pw):
    other = builders.make_session(pw.site3, pw.team2, [pw.kit], NEXT_MONDAY, "10:00", "13:00")
    db.session.commit()
    before = count(db)
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw, override_reason="tetap saja"))
    [conflict] = exc.value.conflicts
    assert (conflict.kind, conflict.session_id, conflict.severity) == ("kit_overlap", other.id, "error")
    assert "Balai Desa Satu B" in conflict.message and "Senin, 11 Mei 2026 pukul 10.00–13.00" in conflict.message
    assert not exc.value.overridable
    assert count(db) == before


def test_cancelled_sessions_free_their_kit(db, pw):
    builders.make_session(pw.site3, pw.team2, [pw.kit], NEXT_MONDAY, status="dibatalkan")
    db.session.commit()
    assert operations.create_session(pw.users["coordinator"], data(pw)).id


def test_weekend_needs_an_override_reason(db, pw):
    saturday = date(2026, 5, 9)
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw, date=saturday.isoformat()))
    assert exc.value.overridable and [c.kind for c in exc.value.conflicts] == ["weekend"]
    s = operations.create_session(pw.users["coordinator"],
                               data(pw, date=saturday.isoformat(), override_reason="Warga bekerja pada hari kerja"))
    assert s.override_reason == "Warga bekerja pada hari kerja"
    assert "Warga bekerja" in audit_of(db, s.id)[0].reason


def test_public_holiday_is_named(db, pw):
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw, date="2026-05-14"))
    [c] = exc.value.conflicts
    assert c.kind == "holiday" and "Kamis, 14 Mei 2026" in c.message and "libur nasional" in c.message


def test_holiday_country_setting_is_used(app, db, pw):
    pancasila_day = "2026-06-01"  # a Monday: a holiday in Indonesia, not in the Netherlands
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw, date=pancasila_day))
    assert exc.value.conflicts[0].kind == "holiday"
    app.config["HOLIDAY_COUNTRY"] = "NL"
    try:
        assert operations.create_session(pw.users["coordinator"], data(pw, date=pancasila_day)).id
    finally:
        app.config["HOLIDAY_COUNTRY"] = "ID"


def test_travel_buffer_setting(app, db, pw):
    builders.make_session(pw.site3, pw.team, [pw.kit], NEXT_MONDAY, "06:00", "07:30")
    db.session.commit()
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw))
    assert {c.kind for c in exc.value.conflicts} == {"team_travel_time", "kit_travel_time"}
    app.config["TRAVEL_BUFFER_MINUTES"] = 30
    try:
        assert operations.create_session(pw.users["coordinator"], data(pw)).id
    finally:
        app.config["TRAVEL_BUFFER_MINUTES"] = 60


def test_kit_in_service_is_overridable(db, pw):
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw, kit_ids=[pw.kit_service.id]))
    assert exc.value.conflicts[0].kind == "kit_in_service"
    s = operations.create_session(pw.users["coordinator"],
                               data(pw, kit_ids=[pw.kit_service.id], override_reason="Kembali Jumat"))
    assert s.kit_ids == [pw.kit_service.id]


def test_site_same_day_warning(db, pw):
    other = builders.make_session(pw.site1, pw.team2, [pw.team2_kit], NEXT_MONDAY, "13:00", "15:00")
    db.session.commit()
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(pw.users["coordinator"], data(pw))
    assert [(c.kind, c.session_id) for c in exc.value.conflicts] == [("site_same_day", other.id)]


def test_times_and_dates_are_parsed_leniently_but_strictly_validated(db, pw):
    values = parse.parse_session_data(data(pw, start="8:00", end="12.30", kit_ids="%d" % pw.kit.id))
    assert (values["start"], values["end"], values["kit_ids"]) == (time(8), time(12, 30), (pw.kit.id,))
    with pytest.raises(ValidationFailed) as exc:
        parse.parse_session_data(data(pw, date="11/05/2026", start="25:00", kind="rapat", target_groups=["anak"]))
    assert set(exc.value.errors) == {"date", "start", "kind", "target_groups"}


def test_check_session_is_a_dry_run(db, pw):
    builders.make_session(pw.site3, pw.team, [pw.kit2], NEXT_MONDAY)
    db.session.commit()
    before = count(db)
    result = checks.check_session(pw.users["coordinator"], data(pw))
    assert [c.kind for c in result.conflicts] == ["team_overlap"]
    assert result.estimate.expected == 48 and result.errors == {}
    bad = checks.check_session(pw.users["coordinator"], data(pw, end="07:00"))
    assert "end" in bad.errors
    assert count(db) == before


# ---------------------------------------------------------------- updates

def test_update_rechecks_schedule_and_audits_old_and_new(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    other = builders.make_session(pw.site3, pw.team2, [pw.kit2], NEXT_MONDAY, "08:00", "12:00")
    db.session.commit()
    with pytest.raises(ConflictsFound) as exc:
        operations.update_session(coord, s, {"kit_ids": [pw.kit.id, pw.kit2.id]})
    assert exc.value.conflicts[0].session_id == other.id
    db.session.refresh(s)
    assert s.kit_ids == [pw.kit.id], "a refused change keeps what was saved"
    s = operations.update_session(coord, s, {"start": "09:00", "notes": "Ganti jam"})
    assert s.start_time == time(9) and s.version == 2 and s.expected_turnout == 36
    entry = audit_of(db, s.id)[-1]
    assert entry.action == "update"
    assert entry.changes["start"] == ["08:00", "09:00"] and entry.changes["notes"] == ["", "Ganti jam"]
    assert entry.changes["expected_turnout"] == [48, 36]


def test_update_with_stale_version_is_refused(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    operations.update_session(coord, s, {"notes": "pertama"}, expected_version=1)
    with pytest.raises(StaleSession):
        operations.update_session(coord, s, {"notes": "kedua"}, expected_version=1)
    assert db.session.get(RecordingSession, s.id).notes == "pertama"


def test_confirmed_session_is_moved_only_by_postponing(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    operations.confirm_session(coord, s, "Pak Lurah")
    with pytest.raises(ValidationFailed) as exc:
        operations.update_session(coord, s, {"date": "2026-05-12"})
    assert "menundanya" in exc.value.errors["date"]
    assert operations.update_session(coord, s, {"kit_ids": [pw.kit2.id]}).kit_ids == [pw.kit2.id]


# ---------------------------------------------------------------- status workflow

def test_confirm_needs_a_contact_and_records_when(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    with pytest.raises(ValidationFailed) as exc:
        operations.change_status(coord, s, "terkonfirmasi")
    assert "confirmed_with" in exc.value.errors
    s = operations.confirm_session(coord, s, "Bu Lurah Sri")
    assert s.status == "terkonfirmasi" and s.confirmed_with == "Bu Lurah Sri" and s.confirmed_at is not None
    assert audit_of(db, s.id)[-1].changes["status"] == ["rencana", "terkonfirmasi"]


def test_cancel_needs_a_reason_then_is_final(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    with pytest.raises(ValidationFailed) as exc:
        operations.cancel_session(coord, s, "  ")
    assert exc.value.errors["reason"] == "Alasan pembatalan wajib diisi."
    s = operations.cancel_session(coord, s, "Banjir")
    assert (s.status, s.cancel_reason) == ("dibatalkan", "Banjir")
    with pytest.raises(ValidationFailed) as exc:
        operations.confirm_session(coord, s, "x")
    assert "tidak dapat diubah lagi" in exc.value.errors["status"]
    with pytest.raises(ValidationFailed):
        operations.update_session(coord, s, {"notes": "x"})


def test_postpone_moves_the_session_and_keeps_the_old_date(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw, kit_ids=[pw.kit.id]))
    operations.confirm_session(coord, s, "Pak Lurah")
    s = operations.postpone_session(coord, s, "2026-05-18", reason="Kades berhalangan", new_start="09:00",
                                 new_end="13:00")
    assert (s.status, s.date, s.start_time) == ("ditunda", date(2026, 5, 18), time(9))
    assert s.version == 3, "create, confirm, postpone: one version each"
    [p] = s.postponements
    assert (p.old_date, p.old_start_time, p.new_date, p.reason) == (NEXT_MONDAY, time(8), date(2026, 5, 18),
                                                                     "Kades berhalangan")
    entry = audit_of(db, s.id)[-1]
    assert entry.changes["date"] == ["2026-05-11", "2026-05-18"] and entry.changes["status"][1] == "ditunda"
    # The kit is now booked on the new date (and free on the old one).
    with pytest.raises(ConflictsFound) as exc:
        operations.create_session(coord, data(pw, site_id=pw.site3.id, team_id=pw.team2.id, date="2026-05-18"))
    assert exc.value.conflicts[0].kind == "kit_overlap"
    assert operations.create_session(coord, data(pw, site_id=pw.site3.id, team_id=pw.team2.id)).id
    # ...and it can be confirmed again.
    assert operations.confirm_session(coord, s, "Pak Lurah").status == "terkonfirmasi"


def test_postpone_into_a_clash_is_refused(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    builders.make_session(pw.site3, pw.team, [pw.kit2], date(2026, 5, 12))
    db.session.commit()
    with pytest.raises(ConflictsFound):
        operations.postpone_session(coord, s, "2026-05-12")
    with pytest.raises(ValidationFailed) as exc:
        operations.postpone_session(coord, s, None)
    assert "new_date" in exc.value.errors
    s = db.session.get(RecordingSession, s.id)
    assert (s.status, s.date) == ("rencana", NEXT_MONDAY)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionPostponement)) == 0


def test_mark_finished_only_after_confirmation(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    with pytest.raises(ValidationFailed):
        operations.mark_finished(s, pw.users["field"])
    with pytest.raises(ValidationFailed) as exc:
        operations.change_status(coord, s, "selesai")
    assert "laporan hasil" in exc.value.errors["status"]
    operations.confirm_session(coord, s, "Pak RT")
    s = operations.mark_finished(s, pw.users["field"])
    assert s.status == "selesai"
    assert audit_of(db, s.id)[-1].user_id == pw.users["field"].id


def test_manager_and_field_cannot_write(db, pw):
    with pytest.raises(NotAllowed):
        operations.create_session(pw.users["manager"], data(pw))
    s = operations.create_session(pw.users["admin"], data(pw))
    # A change starts from queries.session_to_edit: seen but not editable is 403, unseen is 404.
    with pytest.raises(NotAllowed):
        queries.session_to_edit(pw.users["manager"], s.id)
    with pytest.raises(NotAllowed):
        queries.session_to_edit(pw.users["field"], s.id)
    with pytest.raises(NotFound):
        queries.session_to_edit(pw.users["coordinator"], 10**6)
    assert queries.session_to_edit(pw.users["coordinator"], s.id) is s


# ---------------------------------------------------------------- mop-up

def test_mop_up_proposes_a_free_working_day_at_the_same_site(db, pw):
    coord = pw.users["coordinator"]
    done = builders.make_session(pw.site1, pw.team, [pw.kit], date(2026, 4, 28), status="selesai")
    # The team is busy on the first candidate day (a week after the session, and after today).
    builders.make_session(pw.site3, pw.team, [pw.kit2], date(2026, 5, 5))
    db.session.commit()
    with pytest.raises(ValidationFailed):
        checks.propose_mop_up(done, 0)
    proposal = checks.propose_mop_up(done, 30)
    assert proposal["site_id"] == pw.site1.id and proposal["mop_up_of_id"] == done.id
    assert proposal["date"] == "2026-05-06" and proposal["conflicts"] == []
    assert (proposal["start"], proposal["end"]) == ("08:00", "11:00")  # 30 people / 12 an hour -> 3 h
    assert proposal["expected_turnout"] == 30 and "belum hadir" in proposal["turnout_reasoning"]
    s = operations.create_session(coord, proposal)
    assert s.mop_up_of_id == done.id and s.expected_turnout == 30


def test_mop_up_only_from_a_finished_session(db, pw):
    s = operations.create_session(pw.users["coordinator"], data(pw))
    with pytest.raises(ValidationFailed) as exc:
        checks.propose_mop_up(s, 10)
    assert "sudah selesai" in exc.value.errors["status"]


# ---------------------------------------------------------------- reading

def test_scoping_of_lists(db, pw):
    mine = builders.make_session(pw.site1, pw.team, [pw.kit], NEXT_MONDAY)
    other_kec = builders.make_session(pw.site2, pw.team2, [pw.team2_kit], NEXT_MONDAY)
    other_kab = builders.make_session(pw.other_site, pw.other_team, [pw.other_kit], NEXT_MONDAY)
    db.session.commit()
    ids = lambda role: [s.id for s in queries.list_sessions(pw.users[role]).items]  # noqa: E731
    assert ids("admin") == [mine.id, other_kec.id, other_kab.id]
    assert ids("manager") == [mine.id, other_kec.id]
    assert ids("coordinator") == [mine.id]
    assert ids("field") == [mine.id]
    assert queries.get_session(pw.users["coordinator"], other_kec.id) is None
    assert queries.get_session(pw.users["field"], other_kec.id) is None
    with pytest.raises(NotFound):  # another kecamatan's session is not even there to refuse
        queries.session_to_edit(pw.users["coordinator"], other_kec.id)
    assert {t.nama for t in queries.visible_teams(pw.users["coordinator"])} == {"Tim Keliling 1", "Tim Keliling 2"}
    assert [t.nama for t in queries.visible_teams(pw.users["field"])] == ["Tim Keliling 1"]
    assert "KIT-LAIN" not in {k.code for k in queries.visible_kits(pw.users["manager"])}
    assert "KIT-LAIN" in {k.code for k in queries.visible_kits(pw.users["admin"])}


def test_filters_and_bounded_queries(app, db, pw):
    for i in range(12):
        builders.make_session(pw.site1 if i % 2 else pw.site3, pw.team, [pw.kit], date(2026, 5, 5 + i),
                              status="terkonfirmasi" if i < 4 else "rencana")
    db.session.commit()
    admin = pw.users["admin"]
    f = parse.parse_filters({"from": "2026-05-07", "to": "2026-05-10", "status": "rencana,terkonfirmasi"})
    assert [s.date.day for s in queries.list_sessions(admin, f).items] == [7, 8, 9, 10]
    f = parse.parse_filters({"status": "terkonfirmasi"})
    assert queries.list_sessions(admin, f).total == 4
    f = parse.parse_filters({"desa": pw.desa2.kode, "site_type": "balai_desa"})
    assert queries.list_sessions(admin, f).total == 6
    with pytest.raises(ValidationFailed) as exc:
        parse.parse_filters({"from": "kemarin", "status": "hilang"})
    assert set(exc.value.errors) == {"from", "status"}

    statements = []
    engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        db.session.expunge_all()
        page = queries.list_sessions(admin, parse.SessionFilters(), per_page=10)
        [serialize.session_to_dict(s) for s in page.items]
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert page.total == 12 and len(page.items) == 10
    assert len(statements) <= 4, statements


def test_sessions_between_includes_multi_day_sessions(db, pw):
    two_day = builders.make_session(pw.school, pw.team, [pw.kit], date(2026, 5, 11), end_date=date(2026, 5, 12))
    builders.make_session(pw.site1, pw.team, [pw.kit], date(2026, 5, 20))
    db.session.commit()
    found = queries.sessions_between(pw.users["coordinator"], date(2026, 5, 12), date(2026, 5, 13))
    assert [s.id for s in found] == [two_day.id]


def test_history_is_newest_first(db, pw):
    coord = pw.users["coordinator"]
    s = operations.create_session(coord, data(pw))
    operations.confirm_session(coord, s, "Pak Lurah")
    assert [e.action for e in queries.session_history(s)] == ["status:terkonfirmasi", "create"]


def test_writes_lock_before_they_check(db, pw):
    """PostgreSQL: team row, then kit rows in id order, FOR UPDATE; SQLite: BEGIN IMMEDIATE first."""
    statements = []
    listener = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        operations.create_session(pw.users["coordinator"], data(pw, kit_ids=[pw.kit2.id, pw.kit.id]))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    lookup = next(i for i, s in enumerate(statements) if "session_kit" in s and "UNION" in s.upper())
    if db.engine.dialect.name == "postgresql":
        # The pools the new session draws on are locked later, when its expected turnout is shared out.
        pools = [i for i, s in enumerate(statements) if "FOR UPDATE" in s and ("desa_tally" in s or "FROM site" in s)]
        locks = [i for i, s in enumerate(statements) if "FOR UPDATE" in s and i not in pools]
        assert len(locks) == 2 and "FROM team" in statements[locks[0]] and "FROM kit" in statements[locks[1]]
        assert "ORDER BY kit.id" in statements[locks[1]]
        assert pools and min(pools) > lookup
    else:
        locks = [i for i, s in enumerate(statements) if s.strip().upper() == "BEGIN IMMEDIATE"]
        assert len(locks) == 1
    assert max(locks) < lookup


def test_every_problem_of_a_new_session_is_reported_at_once(db, pw):
    """A missing team no longer hides the end before the start and the past date: one round trip."""
    coord = pw.users["coordinator"]
    bad = data(pw, date="2026-05-01", start="14:00", end="09:00", kit_ids=[])
    bad.pop("team_id")
    for attempt in (lambda: operations.create_session(coord, bad), lambda: checks.check_session(coord, bad)):
        try:
            result = attempt()
            errors = result.errors
        except ValidationFailed as exc:
            errors = exc.errors
        assert set(errors) >= {"team_id", "end", "date", "kit_ids"}, errors
        assert "sudah lewat" in errors["date"] and "setelah jam mulai" in errors["end"]
    assert count(db) == 0
