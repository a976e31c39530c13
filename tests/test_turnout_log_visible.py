"""What the teams logged is visible: the session page shows the log (by group, sex, reason, kits, times,
notes, who and when) and its correction history (who, when, old → new under readable labels, why);
GET /api/v1/sessions/<id>/turnout carries the history; a correction takes a reason (bounded, no NUL);
only those who may see the session see its log; a mop-up starts from the absentees the log recorded."""
import json
import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outreach.field import operations, queries
from outreach.models import AuditEntry
from tests import builders
from tests.conftest import WIB

DAY = date(2026, 5, 4)                                # a Monday; the session runs 08.00–12.00
NOW = datetime(2026, 5, 6, 10, 0, tzinfo=WIB)         # two days later
pytestmark = pytest.mark.at(NOW)
FIRST_REASON = "Daftar hadir sore belum dihitung"
SECOND_REASON = "Dicek ulang dengan daftar hadir: 14 nama tercatat dua kali"


def first_log_body():
    return {"recorded": {"umum": 15}, "recorded_by_sex": {"L": 7, "P": 8},
            "not_recorded": {"gangguan_alat_jaringan": 8, "tidak_ditemukan_siak": 4, "tidak_bersedia": 3},
            "away": {"luar_negeri": 2}, "started_at": "08:05", "ended_at": "11:50",
            "notes": "Listrik padam 30 menit."}


@pytest.fixture()
def lw(world, db):
    """A finished session of the world's team in Kec. Satu, logged by the team (15 umum), corrected by the
    team (15 → 31) and then by the coordinator (31 → 17), each with a reason."""
    w = builders.make_planning_world(world)
    field, coord = w.users["field"], w.users["coordinator"]
    field.name, coord.name = "Sari Lapangan", "Budi Koordinator"
    session = builders.make_session(w.site1, w.team, [w.kit, w.kit2], DAY, status="terkonfirmasi")
    other_coord = builders.make_user("coordinator", "koordinator_dua", scope="33.74.02")
    other_field = builders.make_user("field", "lapangan_dua", team=w.team2)
    db.session.commit()
    operations.save_log(field, session.id, first_log_body(), "k-visible-1", now=datetime(2026, 5, 4, 13, 0, tzinfo=WIB))
    operations.correct_log(field, session.id, {"version": 1, "recorded": {"umum": 31},
                                            "recorded_by_sex": {"L": 16, "P": 15}, "reason": FIRST_REASON},
                        now=datetime(2026, 5, 4, 15, 30, tzinfo=WIB))
    operations.correct_log(coord, session.id, {"version": 2, "recorded": {"umum": 17},
                                            "recorded_by_sex": {"L": 9, "P": 8}, "reason": SECOND_REASON},
                        now=datetime(2026, 5, 5, 9, 15, tzinfo=WIB))
    return SimpleNamespace(**vars(w), session=session, other_coord=other_coord, other_field=other_field)


def login(client, user):
    client.post("/logout")
    resp = client.post("/login", data={"username": user.username, "password": builders.PASSWORD})
    assert resp.status_code == 302


def section(html: str, testid: str) -> str:
    found = re.search(r'<(\w+)[^>]*data-testid="%s"[^>]*>(.*?)</\1>' % testid, html, flags=re.S)
    assert found, testid
    return found.group(2)


def text(fragment: str) -> str:
    inline = re.sub(r"</?span[^>]*>", "", fragment)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)).strip()


def rows_of(table_html: str) -> dict:
    """{first cell: second cell} of the table's body rows (not its footer)."""
    body = table_html.split("<tfoot>")[0]
    return {text(a): text(b) for a, b in re.findall(r"<tr[^>]*>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>",
                                                   body, flags=re.S)}


def api(client, user, method, url, body=None):
    token = builders.make_api_token(user)
    return client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


# ---------------------------------------------------------------- the session page

def test_session_page_shows_the_log_by_group_sex_and_reason(client, login_as, lw):
    login_as("coordinator")
    resp = client.get(f"/sesi/{lw.session.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    log = section(html, "turnout-log")
    assert rows_of(section(log, "log-recorded")) == {"Pemilih pemula": "0", "Umum": "17",
                                                     "Lansia, disabilitas, dan sakit (di rumah)": "0"}
    assert "Jumlah terekam 17" in text(section(log, "log-recorded").split("<tfoot>")[1])
    assert rows_of(section(log, "log-by-sex")) == {"Laki-laki (L)": "9", "Perempuan (P)": "8"}
    not_recorded = rows_of(section(log, "log-not-recorded"))
    assert not_recorded["Gangguan alat atau jaringan"] == "8"
    assert not_recorded["Data tidak ditemukan di SIAK / NIK ganda"] == "4"
    assert not_recorded["Tidak bersedia"] == "3" and not_recorded["Ternyata sudah rekam"] == "0"
    away = rows_of(section(log, "log-away"))
    assert list(away) == list(__import__("outreach.vocab", fromlist=["x"]).away_reason_labels().values())
    assert sorted(away.values()) == ["0"] * (len(away) - 1) + ["2"]
    assert text(section(log, "log-times")) == "4 Mei 2026 08.05–11.50 WIB"
    assert text(section(log, "log-kits")) == "KIT-A, KIT-B"
    assert text(section(log, "log-notes")) == "Listrik padam 30 menit."
    by = text(section(log, "log-by"))
    assert "Dilaporkan oleh Sari Lapangan, 4 Mei 2026 13.00" in by
    assert "Terakhir dikoreksi oleh Budi Koordinator, 5 Mei 2026 09.15 (versi 3)" in by
    # the coordinator may correct the log: a link to the log form
    assert f'data-testid="correct-log" href="/jadwal-saya/sesi/{lw.session.id}/log"' in log


def test_session_page_shows_the_correction_history_with_labels_who_when_and_why(client, login_as, lw):
    login_as("manager")  # managers read the log too
    html = client.get(f"/sesi/{lw.session.id}").get_data(as_text=True)
    table = section(html, "log-history")
    rows = re.findall(r'<tr data-action="(\w+)">(.*?)</tr>', table, flags=re.S)
    assert [action for action, _row in rows] == ["update", "update", "create"]  # newest first
    newest, older, first = (text(r) for _a, r in rows)
    assert newest.startswith("5 Mei 2026 09.15 Budi Koordinator Koreksi")
    assert "Terekam: Umum: 31 → 17" in newest and "Jumlah terekam: 31 → 17" in newest
    assert "Terekam: Laki-laki (L): 16 → 9" in newest and newest.endswith(SECOND_REASON)
    assert older.startswith("4 Mei 2026 15.30 Sari Lapangan Koreksi")
    assert "Terekam: Umum: 15 → 31" in older and older.endswith(FIRST_REASON)
    assert first.startswith("4 Mei 2026 13.00 Sari Lapangan Laporan pertama")
    assert "Terekam: Umum: 15" in first and "Jam mulai: 4 Mei 2026 08.05" in first
    assert "Tidak terekam: Gangguan alat atau jaringan: 8" in first and "Alat yang dipakai: KIT-A, KIT-B" in first
    assert first.endswith("–")  # no reason for the first log
    # never a raw column name
    for raw in ("recorded_umum", "recorded_total", "recorded_l", "not_recorded_", "away_", "kit_ids"):
        assert raw not in text(table), raw


def test_session_page_loads_log_and_history_in_a_bounded_number_of_queries(client, login_as, lw):
    login_as("coordinator")
    page = f"/sesi/{lw.session.id}"

    def statements():
        return builders.statements_of(lambda: client.get(page))[1]

    client.get(page)  # per-process memos (the demo banner's) filled
    before = len(statements())
    for i in range(5):  # five more corrections: the page asks no more of the database
        log = queries.get_log(lw.users["coordinator"], lw.session.id)
        operations.correct_log(lw.users["coordinator"], lw.session.id,
                            {"version": log.version, "notes": f"Koreksi {i}", "kit_ids": [lw.kit.id] if i % 2
                             else [lw.kit.id, lw.kit2.id], "reason": f"alasan {i}"},
                            now=NOW - timedelta(minutes=10 - i))
    html = client.get(f"/sesi/{lw.session.id}").get_data(as_text=True)
    assert html.count('<tr data-action="update">') == 7
    assert len(statements()) == before


def test_a_session_without_a_log_shows_no_log_section(client, login_as, lw):
    other = builders.make_session(lw.site1, lw.team, [lw.kit], DAY + timedelta(days=7))
    builders.db.session.commit()
    login_as("coordinator")
    html = client.get(f"/sesi/{other.id}").get_data(as_text=True)
    assert 'data-testid="turnout-log"' not in html


# ---------------------------------------------------------------- scope

def test_only_those_who_may_see_the_session_see_its_log(client, login_as, lw):
    page, url = f"/sesi/{lw.session.id}", f"/api/v1/sessions/{lw.session.id}/turnout"
    # another kecamatan's coordinator, another team's field user: as if the session did not exist
    for user in (lw.other_coord, lw.other_field):
        login(client, user)
        resp = client.get(page)
        assert resp.status_code == 404 and SECOND_REASON not in resp.get_data(as_text=True)
        resp = api(client, user, "GET", url)
        assert resp.status_code == 404 and "history" not in resp.get_json()
        assert api(client, user, "PATCH", url, {"version": 3, "notes": "x", "reason": "coba"}).status_code == 404
    # the team, its coordinator, the kabupaten's manager and the admin see it
    for role in ("field", "coordinator", "manager", "admin"):
        login_as(role)
        assert SECOND_REASON in client.get(page).get_data(as_text=True), role
        assert api(client, lw.users[role], "GET", url).get_json()["history"][0]["reason"] == SECOND_REASON


# ---------------------------------------------------------------- the API

def test_get_turnout_returns_the_history_and_every_earlier_field(client, lw):
    resp = api(client, lw.users["field"], "GET", f"/api/v1/sessions/{lw.session.id}/turnout")
    assert resp.status_code == 200
    data = resp.get_json()
    # the earlier fields are all still there
    assert {"id", "session_id", "recorded", "recorded_by_sex", "recorded_total", "not_recorded", "away",
            "started_at", "ended_at", "kit_ids", "notes", "version", "created_by", "created_by_name", "created_at",
            "updated_by", "updated_by_name", "updated_at", "correction_deadline"} <= set(data)
    assert data["recorded"]["umum"] == 17 and data["version"] == 3
    history = data["history"]
    assert [h["action"] for h in history] == ["update", "update", "create"]
    newest, older, first = history
    assert newest == {"at": "2026-05-05T09:15:00+07:00", "action": "update",
                      "user": {"id": lw.users["coordinator"].id, "name": "Budi Koordinator"},
                      "changes": {"recorded_umum": [31, 17], "recorded_l": [16, 9], "recorded_p": [15, 8],
                                  "recorded_total": [31, 17]},
                      "reason": SECOND_REASON}
    assert older["changes"]["recorded_umum"] == [15, 31] and older["reason"] == FIRST_REASON
    assert older["user"] == {"id": lw.users["field"].id, "name": "Sari Lapangan"}
    assert first["changes"]["recorded_umum"] == [None, 15] and first["reason"] == ""
    assert first["changes"]["started_at"] == [None, "2026-05-04T08:05:00+07:00"]  # office time zone


def test_patch_reason_is_stored_on_the_audit_entry_and_shown(client, login_as, lw):
    url = f"/api/v1/sessions/{lw.session.id}/turnout"
    resp = api(client, lw.users["coordinator"], "PATCH", url,
               {"version": 3, "not_recorded": {"tidak_bersedia": 5}, "reason": "  Dua warga menolak di rumah  "})
    assert resp.status_code == 200 and resp.get_json()["version"] == 4
    entry = builders.db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "turnout_log")
                                        .order_by(AuditEntry.id.desc())).first()
    assert entry.reason == "Dua warga menolak di rumah"
    assert entry.changes == {"not_recorded_tidak_bersedia": [3, 5]}
    assert api(client, lw.users["field"], "GET", url).get_json()["history"][0]["reason"] == \
        "Dua warga menolak di rumah"
    login_as("coordinator")
    newest = re.search(r'<tr data-action="update">(.*?)</tr>', client.get(f"/sesi/{lw.session.id}")
                       .get_data(as_text=True), flags=re.S).group(1)
    assert "Tidak terekam: Tidak bersedia: 3 → 5" in text(newest)
    assert text(newest).endswith("Dua warga menolak di rumah")


@pytest.mark.parametrize("reason,message", [
    ("Salah\u0000ketik", "Alasan koreksi memuat karakter NUL"),
    ("x" * 501, "Alasan koreksi terlalu panjang: 501 karakter, paling banyak 500."),
    (42, "Alasan koreksi harus berupa teks."),
])
def test_a_bad_reason_is_refused_and_nothing_changes(client, lw, reason, message):
    url = f"/api/v1/sessions/{lw.session.id}/turnout"
    resp = api(client, lw.users["coordinator"], "PATCH", url,
               {"version": 3, "recorded": {"umum": 18}, "recorded_by_sex": {"L": 10}, "reason": reason})
    assert resp.status_code == 422
    data = resp.get_json()
    assert data["errors"]["reason"].startswith(message)
    log = queries.get_log(lw.users["coordinator"], lw.session.id)
    assert log.version == 3 and log.recorded_umum == 17


def test_notes_with_a_nul_character_are_refused_not_a_server_error(client, lw):
    resp = api(client, lw.users["coordinator"], "PATCH", f"/api/v1/sessions/{lw.session.id}/turnout",
               {"version": 3, "notes": "Listrik\u0000padam"})
    assert resp.status_code == 422 and "NUL" in resp.get_json()["errors"]["notes"]


def test_a_bad_reason_is_reported_with_the_other_mistakes(client, lw):
    resp = api(client, lw.users["coordinator"], "PATCH", f"/api/v1/sessions/{lw.session.id}/turnout",
               {"version": 3, "recorded": {"umum": -1}, "reason": "x" * 600})
    errors = resp.get_json()["errors"]
    assert resp.status_code == 422 and "recorded.umum" in errors and "reason" in errors


def test_a_first_log_takes_no_reason(client, lw):
    fresh = builders.make_session(lw.site1, lw.team, [lw.kit], DAY + timedelta(days=1), status="terkonfirmasi")
    builders.db.session.commit()
    body = dict(first_log_body(), reason="bukan koreksi")
    token = builders.make_api_token(lw.users["field"])
    resp = client.post(f"/api/v1/sessions/{fresh.id}/turnout", json=body,
                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-first-reason"})
    assert resp.status_code == 422 and "reason" in resp.get_json()["errors"]


def test_the_openapi_document_describes_the_history_and_the_reason(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert schemas["TurnoutLog"]["properties"]["history"]["items"] == {
        "$ref": "#/components/schemas/TurnoutLogHistoryEntry"}
    assert set(schemas["TurnoutLogHistoryEntry"]["required"]) == {"at", "action", "user", "changes", "reason"}
    assert schemas["TurnoutLogPatch"]["properties"]["reason"]["maxLength"] == 500
    assert "get" in doc["paths"]["/api/v1/sessions/{session_id}/mop-up"]


# ---------------------------------------------------------------- the log form

def test_log_form_asks_a_reason_when_correcting(client, login_as, lw):
    login_as("coordinator")
    html = client.get(f"/jadwal-saya/sesi/{lw.session.id}/log").get_data(as_text=True)
    box = re.search(r'<fieldset id="fb-reason-box"[^>]*>', html).group(0)
    assert "hidden" not in box and 'data-mode="PATCH"' in html
    assert re.search(r'<textarea id="f-reason" name="reason" rows="2" maxlength="500"', html)
    labels = dict((family, dict(pairs)) for family, pairs in
                  json.loads(re.search(r'id="fb-log-data"[^>]*>(.*?)</script>', html).group(1))["labels"])
    assert labels["not_recorded"]["tidak_ditemukan_siak"] == "Data tidak ditemukan di SIAK / NIK ganda"
    fresh = builders.make_session(lw.site1, lw.team, [lw.kit], DAY + timedelta(days=1), status="terkonfirmasi")
    builders.db.session.commit()
    html = client.get(f"/jadwal-saya/sesi/{fresh.id}/log").get_data(as_text=True)
    assert re.search(r'<fieldset id="fb-reason-box"[^>]* hidden>', html)  # a first log: no reason


def test_one_set_of_labels_for_the_form_the_pages_and_the_exports(app, lw):
    from outreach import vocab
    from outreach.coverage import downloads
    from outreach.field import views as field_views

    with app.test_request_context():
        assert field_views.labels() == vocab.log_label_families()
        assert downloads._not_recorded_labels() == vocab.not_recorded_labels()
        assert downloads._group_labels() == vocab.recorded_group_labels() == vocab.target_group_labels()
        assert downloads._away_labels() == vocab.away_reason_labels()


# ---------------------------------------------------------------- mop-up from the log

def test_mop_up_form_opens_with_the_absentees_of_the_log(client, login_as, lw):
    login_as("coordinator")
    html = client.get(f"/sesi/{lw.session.id}").get_data(as_text=True)
    form = section(html, "mop-up")
    assert re.search(r'<input [^>]*id="absentees" name="absentees"[^>]* value="12">', form)  # 8 + 4, editable
    breakdown = text(section(form, "mop-up-from-log"))
    assert "Gangguan alat atau jaringan: 8" in breakdown
    assert "Data tidak ditemukan di SIAK / NIK ganda: 4" in breakdown
    assert "Tidak bersedia" not in breakdown  # a return visit does not fix a refusal
    # the proposal page, opened without a number, takes the log's
    resp = client.get(f"/sesi/baru?mop_up_of={lw.session.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "12 warga belum hadir" in html
    assert re.search(r'<input[^>]*name="absentees"[^>]*value="12"', html)
    assert "Gangguan alat atau jaringan 8" in text(section(html, "mop-up-from-log"))
    # a number typed on the session page still wins
    html = client.get(f"/sesi/baru?mop_up_of={lw.session.id}&absentees=30").get_data(as_text=True)
    assert "30 warga belum hadir" in html and 'data-testid="mop-up-from-log"' not in html


def test_mop_up_api_uses_the_same_default(client, lw):
    url = f"/api/v1/sessions/{lw.session.id}/mop-up"
    resp = api(client, lw.users["coordinator"], "GET", url)
    assert resp.status_code == 200
    proposal = resp.get_json()
    assert proposal["absentees"] == 12 and proposal["absentees_source"] == "log"
    assert proposal["absentees_from_log"] == {"total": 12, "by_reason": {"gangguan_alat_jaringan": 8,
                                                                         "tidak_ditemukan_siak": 4}}
    assert proposal["mop_up_of_id"] == lw.session.id and proposal["site_id"] == lw.site1.id
    typed = api(client, lw.users["coordinator"], "GET", url + "?absentees=40").get_json()
    assert typed["absentees"] == 40 and typed["absentees_source"] == "input"
    resp = api(client, lw.users["coordinator"], "GET", url + "?absentees=banyak")
    assert resp.status_code == 422 and "bilangan bulat" in resp.get_json()["errors"]["absentees"]
    assert api(client, lw.other_coord, "GET", url).status_code == 404
    assert api(client, lw.users["field"], "GET", url).status_code == 403
    assert api(client, lw.users["manager"], "GET", url).status_code == 403


@pytest.mark.parametrize("absentees", ["", "0", "-3", "1e3", "9" * 30, "2147483648", "\u0000", "12abc", "٣"])
def test_mop_up_api_answers_any_absentees_without_a_server_error(client, lw, absentees):
    token = builders.make_api_token(lw.users["coordinator"])
    resp = client.get(f"/api/v1/sessions/{lw.session.id}/mop-up", query_string={"absentees": absentees},
                      headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 400, 422), resp.status_code  # 400: a NUL byte, refused before the view
    if resp.status_code != 200:
        assert "absentees" in resp.get_json()["errors"]


def test_mop_up_without_absentees_in_the_log_asks_for_a_number(client, login_as, lw):
    done = builders.make_session(lw.site1, lw.team, [lw.kit], DAY - timedelta(days=7), status="terkonfirmasi")
    builders.db.session.commit()
    body = dict(first_log_body(), not_recorded={"tidak_bersedia": 2})
    operations.save_log(lw.users["field"], done.id, body, "k-no-absentees", now=datetime(2026, 4, 27, 13, 0, tzinfo=WIB))
    login_as("coordinator")
    form = section(client.get(f"/sesi/{done.id}").get_data(as_text=True), "mop-up")
    assert re.search(r'<input [^>]*id="absentees"[^>]* required aria-describedby="absentees-from-log">', form)
    assert "isi jumlahnya sendiri" in text(section(form, "mop-up-from-log"))
    resp = api(client, lw.users["coordinator"], "GET", f"/api/v1/sessions/{done.id}/mop-up")
    assert resp.status_code == 422 and "Isi jumlah warga" in resp.get_json()["errors"]["absentees"]
