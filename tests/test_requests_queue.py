"""The coordinator's queue of visit requests: transitions and their messages, scope, the audit of views, the
home visit that becomes a `rumah` site, the pages and the waiting counts."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from outreach.models import AuditEntry, Site
from outreach.models.jobs import Notification
from outreach.models.requests import VisitRequest
from outreach.models.regions import ancestors_of
from outreach.requests import queue
from tests import builders
from tests.conftest import WIB

NOW = datetime(2026, 9, 15, 9, 0, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)


def make_request(desa_kode="33.74.01.1001", code=None, kind="rumah_lansia", status="baru", days_old=0, **kw):
    """A visit request written straight to the database (as the intake would leave it)."""
    from outreach.extensions import db

    created = kw.pop("created_at", None) or datetime.now(timezone.utc) - timedelta(days=days_old)
    anc = ancestors_of(desa_kode)
    values = dict(code=code or f"JB-TEST{next(builders._seq):02d}", kind=kind, desa_kode=desa_kode,
                  kecamatan_kode=anc["kecamatan_kode"], kabupaten_kode=anc["kabupaten_kode"],
                  provinsi_kode=anc["provinsi_kode"], rt=3, rw=5, people=2, address="Jl. Mawar 7",
                  description="Nenek 82 tahun, tidak bisa berjalan", requester_name="Siti Aminah", relation="anak",
                  phone="081234567890", phone_last4="7890", status=status, created_at=created,
                  status_changed_at=created)
    values.update(kw)
    req = VisitRequest(**values)
    db.session.add(req)
    db.session.flush()
    return req


def audit_of(db, req, action=None):
    stmt = sa.select(AuditEntry).where(AuditEntry.entity == "visit_request", AuditEntry.entity_id == str(req.id))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt.order_by(AuditEntry.id)).all()


# ---------------------------------------------------------------- rules

def test_transition_rules_and_their_messages():
    assert queue.transition_errors("baru", "diverifikasi") == {}
    assert queue.transition_errors("baru", "dijadwalkan") == {
        "status": "Verifikasi permohonan dulu sebelum menautkannya ke sesi."}
    assert "selesai" in queue.transition_errors("diverifikasi", "selesai")["status"]
    assert queue.transition_errors("baru", "ditolak") == {
        "reason": "Tuliskan alasan penolakan; pemohon akan melihatnya."}
    assert queue.transition_errors("baru", "ditolak", reason="Bukan wilayah kami") == {}
    assert queue.transition_errors("diverifikasi", "dijadwalkan") == {"session_id": "Pilih sesi untuk permohonan ini."}
    assert queue.transition_errors("selesai", "ditolak", reason="x") == {
        "status": "Permohonan ini sudah selesai dan tidak dapat diubah lagi."}
    assert "tidak dikenal" in queue.transition_errors("baru", "hilang")["status"]


def test_age_in_office_days():
    created = datetime(2026, 9, 12, 18, 0, tzinfo=timezone.utc)  # 13 Sep 01.00 WIB
    assert queue.age_days(created, NOW, WIB) == 2
    assert queue.age_label(0) == "hari ini" and queue.age_label(3) == "3 hari"
    assert queue.home_site_name(3, 5) == "Rumah warga RT 03/RW 05"


# ---------------------------------------------------------------- operations

def test_verify_schedule_finish_with_audit(world, db):
    w = world
    coordinator = w.users["coordinator"]
    req = make_request(kind="sekolah")
    session = builders.make_session(w.site1, w.team, [w.kit])
    db.session.commit()
    queue.change_status(coordinator, req, "diverifikasi")
    assert req.status == "diverifikasi" and req.handled_by_id == coordinator.id and req.site_id is None
    queue.change_status(coordinator, req, "dijadwalkan", session_id=session.id)
    assert req.session_id == session.id and req.session.id == session.id and req.closed_at is None
    queue.change_status(coordinator, req, "selesai")
    assert req.status == "selesai" and req.closed_at is not None
    rows = audit_of(db, req, "status")
    assert [r.changes["status"] for r in rows] == [["baru", "diverifikasi"], ["diverifikasi", "dijadwalkan"],
                                                   ["dijadwalkan", "selesai"]]
    assert rows[1].changes["session_id"] == [None, session.id]
    assert all("Siti" not in str(r.changes) for r in rows)


def test_illegal_moves_and_bad_sessions_are_refused(world, db):
    w = world
    coordinator = w.users["coordinator"]
    req = make_request()
    other_kec_session = builders.make_session(w.site2, w.team, [])  # Kecamatan Dua
    cancelled = builders.make_session(w.site1, w.team, [], status="dibatalkan", cancel_reason="hujan")
    db.session.commit()
    with pytest.raises(queue.QueueError) as exc:
        queue.change_status(coordinator, req, "selesai")
    assert exc.value.status == 422 and "dijadwalkan" in exc.value.message
    with pytest.raises(queue.QueueError) as exc:
        queue.change_status(coordinator, req, "ditolak", reason="   ")
    assert exc.value.errors == {"reason": "Tuliskan alasan penolakan; pemohon akan melihatnya."}
    queue.change_status(coordinator, req, "diverifikasi")
    for bad in (other_kec_session.id, 999999, "abc"):
        with pytest.raises(queue.QueueError) as exc:
            queue.change_status(coordinator, req, "dijadwalkan", session_id=bad)
        assert "tidak ditemukan di kecamatan permohonan ini" in exc.value.errors["session_id"]
    with pytest.raises(queue.QueueError) as exc:
        queue.change_status(coordinator, req, "dijadwalkan", session_id=cancelled.id)
    assert "dibatalkan" in exc.value.message
    queue.change_status(coordinator, req, "ditolak", reason="Sudah direkam di kantor")
    assert req.status == "ditolak" and req.reason == "Sudah direkam di kantor" and req.closed_at is not None
    with pytest.raises(queue.QueueError, match="sudah ditolak"):
        queue.change_status(coordinator, req, "diverifikasi")


def test_manager_reads_only(world, db):
    req = make_request()
    db.session.commit()
    with pytest.raises(queue.QueueError) as exc:
        queue.change_status(world.users["manager"], req, "diverifikasi")
    assert exc.value.status == 403


def test_stale_version_is_a_409(world, db):
    req = make_request()
    db.session.commit()
    with pytest.raises(queue.StaleRequest) as exc:
        queue.change_status(world.users["coordinator"], req, "diverifikasi", expected_version=req.version + 1)
    assert exc.value.status == 409 and "pengguna lain" in exc.value.message


def test_verified_home_visit_becomes_a_rumah_site(world, db):
    w = world
    req = make_request(kind="rumah_sakit", rt=4, rw=2)
    pinned = make_request(kind="rumah_odgj", lat=-7.01, lng=110.41)
    school = make_request(kind="sekolah")
    db.session.commit()
    for r in (req, pinned, school):
        queue.change_status(w.users["coordinator"], r, "diverifikasi")
    site = db.session.get(Site, req.site_id)
    assert site.type == "rumah" and site.nama == "Rumah warga RT 04/RW 02" and "Siti" not in site.nama
    assert site.desa_kode == req.desa_kode and site.kecamatan_kode == "33.74.01"
    assert site.address == "Jl. Mawar 7" and site.contact_phone == "081234567890"
    assert (site.lat, site.lng, site.coords_approximate) == (w.desa1.lat, w.desa1.lng, True)
    pinned_site = db.session.get(Site, pinned.site_id)
    assert (pinned_site.lat, pinned_site.lng, pinned_site.coords_approximate) == (-7.01, 110.41, False)
    assert school.site_id is None
    site_audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "site",
                                                                AuditEntry.entity_id == str(site.id))).one()
    assert "Jl. Mawar" not in str(site_audit.changes) and req.code in site_audit.reason


def test_waiting_counts_and_announce(world, db):
    w = world
    make_request()
    make_request(status="diverifikasi")
    make_request(status="dijadwalkan")
    make_request(desa_kode="33.74.01.2002")
    make_request(desa_kode="33.74.02.1001")
    make_request(desa_kode="33.01.01.2001")
    second = builders.make_user("coordinator", "koordinator_dua", scope="33.74.01")
    builders.make_user("coordinator", "koordinator_kec2", scope="33.74.02")
    req = make_request()
    db.session.commit()
    assert queue.waiting_counts(w.users["manager"]) == {"33.74.01": 4, "33.74.02": 1}
    assert queue.waiting_counts(w.users["coordinator"], "desa") == {"33.74.01.1001": 3, "33.74.01.2002": 1}
    assert queue.waiting_total(w.users["admin"]) == 6 and queue.waiting_total(w.users["field"]) == 0
    assert queue.announce(req) == 2
    assert queue.announce(req) == 0  # once per request
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
    assert {n.user_id for n in notes} == {w.users["coordinator"].id, second.id}
    assert req.code in notes[0].title and "Siti" not in notes[0].title + notes[0].body
    assert notes[0].link == f"/permohonan-masuk/{req.id}"


# ---------------------------------------------------------------- pages

def test_list_is_scoped_ordered_and_shows_no_phone(client, login_as, world, db):
    old_done = make_request(code="JB-DONE01", status="selesai", days_old=9)
    young = make_request(code="JB-YOUNG1", days_old=1)
    old = make_request(code="JB-OLD001", status="diverifikasi", days_old=5)
    make_request(code="JB-KEC201", desa_kode="33.74.02.1001")
    db.session.commit()
    login_as("coordinator")
    resp = client.get("/permohonan-masuk")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.index("JB-OLD001") < html.index("JB-YOUNG1") < html.index("JB-DONE01")
    assert "JB-KEC201" not in html and "081234567890" not in html and "Siti" not in html
    assert 'data-age-days="5"' in html and "5 hari" in html
    assert 'data-testid="nav-badge-request_queue.index">2<' in html
    filtered = client.get("/permohonan-masuk?status=selesai").get_data(as_text=True)
    assert "JB-DONE01" in filtered and "JB-OLD001" not in filtered
    # A link naming one filter only (a desa) is a filter, not a bad choice of the others.
    by_desa = client.get(f"/permohonan-masuk?desa={young.desa_kode}")
    assert by_desa.status_code == 200 and "JB-YOUNG1" in by_desa.get_data(as_text=True)
    assert client.get("/permohonan-masuk?status=hilang").status_code == 400
    assert not audit_of(db, old) and not audit_of(db, young) and not audit_of(db, old_done)


def test_detail_shows_personal_data_and_audits_the_view(client, login_as, world, db):
    req = make_request()
    db.session.commit()
    user = login_as("coordinator")
    html = client.get(f"/permohonan-masuk/{req.id}").get_data(as_text=True)
    assert "Siti Aminah" in html and "081234567890" in html and 'data-testid="verify"' in html
    views = audit_of(db, req, "lihat")
    assert len(views) == 1 and views[0].user_id == user.id
    manager = login_as("manager")
    html = client.get(f"/permohonan-masuk/{req.id}").get_data(as_text=True)
    assert "Siti Aminah" in html and 'data-testid="read-only"' in html and 'data-testid="verify"' not in html
    assert [v.user_id for v in audit_of(db, req, "lihat")] == [user.id, manager.id]


def test_scope_of_pages(client, login_as, world, db):
    mine = make_request()
    other = make_request(desa_kode="33.74.02.1001")
    db.session.commit()
    login_as("coordinator")
    assert client.get(f"/permohonan-masuk/{other.id}").status_code == 404
    assert client.post(f"/permohonan-masuk/{other.id}/status", data={"status": "diverifikasi"}).status_code == 404
    assert client.get("/permohonan-masuk/99999999999").status_code == 404
    login_as("manager")
    assert client.post(f"/permohonan-masuk/{mine.id}/status", data={"status": "diverifikasi"}).status_code == 403
    login_as("field")
    assert client.get("/permohonan-masuk").status_code == 403
    assert client.get(f"/permohonan-masuk/{mine.id}").status_code == 403
    assert not audit_of(db, other, "lihat")


def test_actions_through_the_page(client, login_as, world, db):
    w = world
    req = make_request()
    session = builders.make_session(w.site1, w.team, [w.kit])
    db.session.commit()
    login_as("coordinator")
    url = f"/permohonan-masuk/{req.id}/status"
    resp = client.post(url, data={"status": "diverifikasi", "version": req.version})
    assert resp.status_code == 302
    db.session.refresh(req)
    assert req.status == "diverifikasi" and req.site_id
    html = client.get(f"/permohonan-masuk/{req.id}").get_data(as_text=True)
    assert f'/sesi/baru?site={req.site_id}' in html and f'value="{session.id}"' in html
    stale = client.post(url, data={"status": "dijadwalkan", "session_id": session.id, "version": 1})
    assert stale.status_code == 409 and "pengguna lain" in stale.get_data(as_text=True)
    missing = client.post(url, data={"status": "dijadwalkan", "version": req.version})
    assert missing.status_code == 422 and "Pilih sesi" in missing.get_data(as_text=True)
    resp = client.post(url, data={"status": "dijadwalkan", "session_id": session.id, "version": req.version})
    assert resp.status_code == 302
    db.session.refresh(req)
    assert req.status == "dijadwalkan" and req.session_id == session.id
    too_long = client.post(url, data={"status": "ditolak", "reason": "x" * 600, "version": req.version})
    assert too_long.status_code == 400


def test_dashboard_and_map_show_waiting_counts(client, login_as, world, db):
    make_request()
    make_request(status="diverifikasi", desa_kode="33.74.01.2002")
    make_request(status="selesai")
    db.session.commit()
    login_as("coordinator")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-waiting-requests"' in html and 'data-waiting="2"' in html
    html = client.get("/peta/kecamatan/33.74.01").get_data(as_text=True)
    assert 'data-testid="map-waiting-requests"' in html and "2 permohonan menunggu" in html


def test_scheduled_requests_follow_their_session_when_it_is_cancelled_or_logged(world, db):
    """A cancelled session sends its requests back to be scheduled again; a finished one closes them."""
    from outreach.planning import operations as planning

    w = world
    coordinator = w.users["coordinator"]
    first, second = make_request(kind="sekolah"), make_request(kind="rt_rw")
    cancelled = builders.make_session(w.site1, w.team, [w.kit], status="terkonfirmasi")
    held = builders.make_session(w.site1, w.team, [w.kit], day=cancelled.date + timedelta(days=1),
                                 status="terkonfirmasi")
    db.session.commit()
    for req, session in ((first, cancelled), (second, held)):
        queue.change_status(coordinator, req, "diverifikasi")
        queue.change_status(coordinator, req, "dijadwalkan", session_id=session.id)
    planning.cancel_session(coordinator, cancelled, "Balai dipakai acara desa")
    assert (first.status, first.session_id, first.closed_at) == ("diverifikasi", None, None)
    planning.mark_finished(held, coordinator)
    assert second.status == "selesai" and second.closed_at is not None and second.session_id == held.id
    notes = [r.reason for r in audit_of(db, first, "status")] + [r.reason for r in audit_of(db, second, "status")]
    assert f"Sesi #{cancelled.id} dibatalkan: jadwalkan lagi." in notes and f"Sesi #{held.id} selesai." in notes
