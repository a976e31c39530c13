"""Bad input is refused with a message in Bahasa Indonesia and changes nothing: NUL bytes (which PostgreSQL text
cannot hold), page numbers past any list, dates at the ends of the calendar, ids past the database's INTEGER."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from outreach import input_limits
from outreach.models import RecordingSession, Site, TurnoutLog, User
from tests import builders
from tests.conftest import WIB
from tests.test_field_api import body, call, fa, n_logs, turnout_url  # noqa: F401  (fa is a fixture)

pytestmark = pytest.mark.at(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))

NUL_MESSAGE = "karakter NUL"


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- the pure limits

def test_db_id_accepts_only_ids_that_can_exist():
    assert input_limits.db_id("42") == 42 and input_limits.db_id(42) == 42
    for bad in ("2147483648", 2**31, "0", "-1", "1e3", "", None, "٣", "²", True, "9" * 400, " 7x"):
        assert input_limits.db_id(bad) is None, bad
    assert input_limits.db_id("2147483647") == 2**31 - 1


def test_page_number_is_clamped():
    assert input_limits.page_number("3") == 3
    assert input_limits.page_number("1e40") == 1
    assert input_limits.page_number("-5") == 1
    assert input_limits.page_number("0") == 1
    assert input_limits.page_number("9" * 50) == input_limits.MAX_PAGE
    assert input_limits.page_number(None) == 1


def test_iso_date_keeps_to_the_range():
    assert input_limits.iso_date("2026-12-14") == date(2026, 12, 14)
    assert input_limits.iso_date("0001-01-01") is None
    assert input_limits.iso_date("9999-12-31") is None
    assert input_limits.iso_date("2026-13-45") is None


# ---------------------------------------------------------------- NUL bytes: the cases of the probe

def test_nul_in_an_api_query_parameter_is_a_400_json_error(client, login_as):
    login_as("admin")
    resp = client.get("/api/v1/sessions?desa=%00")
    assert resp.status_code == 400 and resp.is_json
    data = resp.get_json()
    assert data["error"] == 400 and NUL_MESSAGE in data["message"] and "desa" in data["errors"]


def test_nul_in_a_page_query_is_a_400_page_in_indonesian(client, login_as):
    login_as("coordinator")
    resp = client.get("/lokasi?q=%00")
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert NUL_MESSAGE in resp.get_data(as_text=True)


def test_nul_in_a_path_is_a_400(client, login_as):
    login_as("admin")
    assert client.get("/wilayah/33.74%00").status_code == 400
    resp = client.get("/api/v1/regions/33.74%00")
    assert resp.status_code == 400 and resp.is_json


def test_nul_in_a_parameter_name_or_a_header_is_a_400(client, login_as):
    login_as("admin")
    assert client.get("/lokasi?a%00b=1").status_code == 400
    resp = client.get("/api/v1/sessions", headers={"X-Anything": "a\x00b"})
    assert resp.status_code == 400 and resp.is_json


def test_turnout_log_with_nul_in_its_notes_is_refused_with_a_message_and_can_be_sent_corrected(client, db, fa):  # noqa: F811
    before = n_logs(db)
    url = turnout_url(fa.yesterday.id)
    resp = call(client, fa, "field", "POST", url, body(notes="Lancar\x00 sekali"), key="nul-1")
    # The turnout-log rules word it next to the field (the offline queue shows it there).
    assert resp.status_code == 422 and resp.is_json
    assert NUL_MESSAGE in resp.get_json()["errors"]["notes"]
    assert n_logs(db) == before
    # The same key again (the phone's retry) is refused the same way; nothing is stored or stuck.
    assert call(client, fa, "field", "POST", url, body(notes="Lancar\x00 sekali"), key="nul-1").status_code == 422
    assert n_logs(db) == before
    resp = call(client, fa, "field", "POST", url, body(notes="Lancar sekali"), key="nul-2")
    assert resp.status_code == 201
    assert n_logs(db) == before + 1


@pytest.mark.parametrize("over", [
    {"recorded": {"umum\x00": 3}}, {"recorded": {"umum": "3\x00"}}, {"started_at": "08:05\x00"},
    {"kit_ids": ["1\x00"]}, {"confirm_over_capacity": "\x00"}, {"away": {"\x00": 1}}, {"not_recorded": "\x00"},
    {"\x00": 1}, {"reason": "\x00"},
])
def test_turnout_log_with_nul_anywhere_in_its_body_is_refused_not_stored(client, db, fa, over):  # noqa: F811
    before = n_logs(db)
    resp = call(client, fa, "field", "POST", turnout_url(fa.yesterday.id), body(**over) if "\x00" not in over
                else {**body(), **over}, key="nul-any")
    assert resp.status_code in (400, 422) and resp.is_json and resp.get_json()["message"]
    assert n_logs(db) == before


def test_turnout_log_with_nul_in_the_idempotency_key_is_refused(client, db, fa):  # noqa: F811
    before = n_logs(db)
    resp = call(client, fa, "field", "POST", turnout_url(fa.yesterday.id), body(), key="kunci\x00")
    assert resp.status_code == 400 and resp.is_json and "Idempotency-Key" in resp.get_json()["errors"]
    assert n_logs(db) == before


def test_turnout_correction_with_nul_changes_nothing(client, db, fa):  # noqa: F811
    url = turnout_url(fa.yesterday.id)
    assert call(client, fa, "field", "POST", url, body(), key="ok-1").status_code == 201
    log = db.session.scalar(sa.select(TurnoutLog))
    version, notes = log.version, log.notes
    resp = call(client, fa, "field", "PATCH", url, {**body(notes="ganti\x00"), "version": version})
    assert resp.status_code == 422 and resp.is_json and "notes" in resp.get_json()["errors"]
    db.session.expire_all()
    log = db.session.scalar(sa.select(TurnoutLog))
    assert (log.version, log.notes) == (version, notes)


def test_session_api_body_with_nul_is_refused_and_nothing_is_created(client, db, world, login_as):
    login_as("coordinator")
    before = count(db, RecordingSession)
    payload = {"site_id": world.site1.id, "date": "2026-12-21", "start": "08:00", "end": "12:00",
               "team_id": world.team.id, "kit_ids": [world.kit.id], "kind": "perekaman",
               "target_groups": ["umum"], "notes": "di balai\x00"}
    resp = client.post("/api/v1/sessions", json=payload)
    assert resp.status_code == 400 and resp.is_json and "notes" in resp.get_json()["errors"]
    assert count(db, RecordingSession) == before


def test_session_form_with_nul_is_refused_and_nothing_is_created(client, db, world, login_as):
    login_as("coordinator")
    before = count(db, RecordingSession)
    form = {"site_id": str(world.site1.id), "date": "2026-12-21", "start": "08:00", "end": "12:00",
            "team_id": str(world.team.id), "kit_ids": [str(world.kit.id)], "kind": "perekaman",
            "target_groups": ["umum"], "notes": "di balai\x00"}
    resp = client.post("/sesi/baru", data=form)
    assert resp.status_code == 400 and NUL_MESSAGE in resp.get_data(as_text=True)
    assert count(db, RecordingSession) == before


def test_session_edit_with_nul_changes_nothing(client, db, world, login_as):
    login_as("coordinator")
    session = builders.make_session(world.site1, world.team, [world.kit], date(2026, 12, 21))
    db.session.commit()
    notes, version = session.notes, session.version
    resp = client.post(f"/sesi/{session.id}/ubah", data={"notes": "x\x00", "version": str(version)})
    assert resp.status_code == 400
    db.session.expire_all()
    again = db.session.get(RecordingSession, session.id)
    assert (again.notes, again.version) == (notes, version)


def test_site_user_and_login_forms_with_nul_are_refused(client, db, world, login_as):
    login_as("admin")
    sites, users = count(db, Site), count(db, User)
    resp = client.post("/lokasi/baru", data={"nama": "Balai\x00", "desa_kode": world.desa1.kode,
                                             "type": "balai_desa"})
    assert resp.status_code == 400
    resp = client.post("/admin/pengguna/baru", data={"username": "baru\x00", "role": "field",
                                                     "password": "kata-sandi-panjang-sekali-1"})
    assert resp.status_code == 400
    assert (count(db, Site), count(db, User)) == (sites, users)
    client.post("/logout")
    assert client.post("/login", data={"username": "admin_uji\x00", "password": "x"}).status_code == 400


def test_nul_is_refused_before_the_csrf_check_reads_anything(app, client, world, login_as, monkeypatch):
    login_as("coordinator")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/sesi/baru", data={"notes": "\x00"})
    assert resp.status_code == 400 and NUL_MESSAGE in resp.get_data(as_text=True)


def test_a_csrf_failure_on_the_api_names_the_token(app, client, world, login_as, monkeypatch):
    """The field queue sends a log again after fetching a new token only for this 400."""
    login_as("field")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/api/v1/sessions/1/turnout", json={}, headers={"Idempotency-Key": "k"})
    assert resp.status_code == 400 and "csrf_token" in resp.get_json()["errors"]


# ---------------------------------------------------------------- page numbers

@pytest.mark.parametrize("page", ["1e40", "-5", "0", "abc", "1.5"])
def test_api_page_that_is_not_a_whole_number_from_1_is_refused_with_a_message(client, login_as, page):
    login_as("admin")
    for url in ("/api/v1/sessions", "/api/v1/sites", "/api/v1/regions", "/api/v1/my/sessions"):
        resp = client.get(f"{url}?page={page}")
        assert resp.status_code in (400, 422) and resp.is_json, (url, resp.status_code)
        message = resp.get_json()["message"]
        assert "page" in message or "halaman" in message, message


@pytest.mark.parametrize("page", [str(2**31), "9" * 40])
def test_api_page_past_any_list_is_an_empty_page(client, world, login_as, page):
    login_as("admin")
    for url in ("/api/v1/sites", "/api/v1/regions", "/api/v1/my/sessions"):
        resp = client.get(f"{url}?page={page}")
        assert resp.status_code == 200, (url, resp.status_code)
        assert resp.get_json()["items"] == [] and resp.get_json()["total"] > 0 or url.endswith("my/sessions")
    resp = client.get(f"/api/v1/sessions?page={page}")
    assert resp.status_code in (200, 422) and resp.is_json


@pytest.mark.parametrize("page", ["1e40", "-5", str(2**31), "9" * 40])
def test_web_list_page_out_of_range_is_clamped(client, login_as, page):
    login_as("admin")
    for url in ("/sesi", "/lokasi", "/notifikasi", "/wilayah?q=Satu", "/admin/pengguna"):
        resp = client.get(f"{url}{'&' if '?' in url else '?'}page={page}&halaman={page}")
        assert resp.status_code in (200, 404), (url, resp.status_code)


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_api_session_filters_refuse_dates_out_of_range(client, login_as, day):
    login_as("admin")
    for name in ("from", "to"):
        resp = client.get(f"/api/v1/sessions?{name}={day}")
        assert resp.status_code in (400, 422) and resp.is_json, resp.status_code
        assert "1900-01-01" in str(resp.get_json())


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_session_list_and_print_pages_do_not_fail_on_dates_out_of_range(client, login_as, day):
    login_as("coordinator")
    resp = client.get(f"/sesi?from={day}&to={day}")
    assert resp.status_code in (200, 422) and "1900-01-01" in resp.get_data(as_text=True)
    assert client.get(f"/jadwal/cetak?from={day}&to={day}").status_code == 200
    for query in (f"month={day[:7]}", f"view=week&start={day}"):
        assert client.get(f"/kalender?{query}").status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_session_on_a_date_out_of_range_is_refused_with_a_message(client, db, world, login_as, day):
    login_as("coordinator")
    before = count(db, RecordingSession)
    payload = {"site_id": world.site1.id, "date": day, "start": "08:00", "end": "12:00", "team_id": world.team.id,
               "kit_ids": [world.kit.id], "kind": "perekaman", "target_groups": ["umum"]}
    resp = client.post("/api/v1/sessions", json=payload)
    assert resp.status_code == 422 and "1900-01-01" in str(resp.get_json())
    form = {**{k: str(v) for k, v in payload.items() if k not in ("kit_ids", "target_groups")},
            "kit_ids": [str(world.kit.id)], "target_groups": ["umum"]}
    resp = client.post("/sesi/baru", data=form)
    assert resp.status_code == 422 and "1900-01-01" in resp.get_data(as_text=True)
    assert count(db, RecordingSession) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_planner_refuses_dates_out_of_range(client, world, login_as, day):
    login_as("coordinator")
    resp = client.post("/api/v1/plans", json={"region": world.kec1.kode, "date_from": day, "date_to": day})
    assert resp.status_code in (400, 422) and resp.is_json
    assert "1900-01-01" in str(resp.get_json())
    resp = client.post("/usulan-jadwal", data={"region": world.kec1.kode, "date_from": day, "date_to": day})
    assert resp.status_code < 500


# ---------------------------------------------------------------- ids past PostgreSQL INTEGER

def test_new_session_prefill_with_ids_past_integer_is_like_an_unknown_id(client, login_as):
    login_as("coordinator")
    big = str(2**31)
    assert client.get(f"/sesi/baru?site={big}").status_code == 200
    assert client.get(f"/sesi/baru?site={big}&team={big}&date=9999-12-31").status_code == 200
    assert client.get(f"/sesi/baru?mop_up_of={big}").status_code == 404
    assert client.get(f"/sesi/baru?mop_up_of={'9' * 30}").status_code == 404


def test_path_and_query_ids_past_integer_are_not_found(client, login_as):
    login_as("admin")
    big = 2**31
    assert client.get(f"/sesi/{big}").status_code == 404
    resp = client.get(f"/api/v1/sessions/{big}/turnout")
    assert resp.status_code == 404 and resp.is_json
    resp = client.get(f"/api/v1/sessions?site_id={big}")
    assert resp.status_code in (400, 422) and resp.is_json
