"""Erasure of a closed visit request's personal data by the housekeeping job, after REQUEST_RETENTION_DAYS:
the counts stay, the `rumah` site it became loses its contact (and is deactivated when no open session uses it)."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from outreach.jobs.runner import run_job
from outreach.models import AuditEntry, Site
from outreach.models.requests import VisitRequest
from outreach.requests import queue
from tests import builders
from tests.conftest import WIB
from tests.test_requests_queue import make_request

NOW = datetime(2026, 12, 14, 3, 30, tzinfo=WIB)
pytestmark = pytest.mark.at(NOW)


def test_closed_requests_lose_personal_data_after_retention(world, db, app):
    assert app.config["REQUEST_RETENTION_DAYS"] == 90
    w = world
    coordinator = w.users["coordinator"]
    old_done = make_request(code="JB-OLD001", kind="rumah_lansia", days_old=120)
    old_rejected = make_request(code="JB-REJ001", kind="sekolah", days_old=100, lat=-7.0, lng=110.4)
    recent_done = make_request(code="JB-NEW001", days_old=40)
    still_open = make_request(code="JB-OPEN01", status="diverifikasi", days_old=200)
    busy_home = make_request(code="JB-BUSY01", kind="rumah_sakit", days_old=150)
    db.session.commit()
    # Verify the home visits (they become rumah sites), then close everything at its own past instant.
    for req in (old_done, busy_home):
        queue.change_status(coordinator, req, "diverifikasi")
    busy_session = builders.make_session(busy_home.site, w.team, [], day=builders.working_day(NOW.date()))
    db.session.commit()
    past = datetime.now(timezone.utc)
    for req, closed_days, status in ((old_done, 95, "selesai"), (old_rejected, 91, "ditolak"),
                                     (recent_done, 30, "selesai"), (busy_home, 100, "selesai")):
        req.status, req.closed_at = status, past - timedelta(days=closed_days)
    db.session.commit()

    outcome = run_job("housekeeping", datetime.now(timezone.utc))
    assert outcome.status == "done", outcome.error
    assert outcome.summary["requests_erased"] == 3
    assert outcome.summary["sites_cleared"] == 2 and outcome.summary["sites_deactivated"] == 1

    for req in (old_done, old_rejected, busy_home):
        db.session.refresh(req)
        assert (req.address, req.description, req.requester_name, req.relation, req.phone) == ("",) * 5
        assert req.lat is None and req.lng is None and req.erased_at is not None
        assert req.people == 2 and req.desa_kode and req.kind and req.created_at and req.closed_at
    assert old_done.status == "selesai" and old_rejected.status == "ditolak" and old_done.phone_last4 == "7890"
    for req in (recent_done, still_open):
        db.session.refresh(req)
        assert req.phone == "081234567890" and req.erased_at is None
    home = db.session.get(Site, old_done.site_id)
    assert (home.address, home.contact_name, home.contact_phone) == ("", "", "") and home.active is False
    busy = db.session.get(Site, busy_home.site_id)
    assert busy.contact_phone == "" and busy.active is True and busy_session.site_id == busy.id
    (batch,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "hapus_data_pribadi")).all()
    assert sorted(batch.changes["requests"]) == sorted([old_done.id, old_rejected.id, busy_home.id])

    again = run_job("housekeeping", datetime.now(timezone.utc) + timedelta(minutes=5), trigger="cli")
    assert again.summary["requests_erased"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRequest)) == 5


def test_erased_request_page_shows_no_personal_data(client, login_as, world, db):
    req = make_request(status="selesai", days_old=200)
    req.closed_at = datetime.now(timezone.utc) - timedelta(days=100)
    db.session.commit()
    run_job("housekeeping", datetime.now(timezone.utc))
    login_as("coordinator")
    html = client.get(f"/permohonan-masuk/{req.id}").get_data(as_text=True)
    assert 'data-testid="request-erased"' in html and "Siti" not in html and "Jl. Mawar" not in html
