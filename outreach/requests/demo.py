"""Demo visit requests (seed-demo): a few requests in the coordinator's kecamatan, so the queue, its menu
badge, the dashboard card and the planner's home visits have something to show.

Two new ones (one waiting longer than the reminder's days), a verified home visit (its `rumah` site made by
the queue, as a coordinator's "Verifikasi" would) and a refused one. Names, addresses and numbers are
invented like the rest of the demo. Seeding again adds nothing.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.models import Region, VisitRequest
from outreach.planning.demo import planner_for

# (code, kind, days old, rt, rw, people, address, description, name, relation, phone, then)
REQUESTS = (
    ("JB-DEMAA2", "rumah_lansia", 1, 3, 2, 1, "Jl. Melati Raya 12", "Nenek 84 tahun, tidak bisa berjalan jauh",
     "Sri Wahyuni", "anak", "6281200004412", None),
    ("JB-DEMAB3", "sekolah", 5, None, None, 38, "SMA Swasta Bina Putra", "Siswa kelas XII yang sudah 17 tahun",
     "Agus Salim", "guru BK", "6281200004413", None),
    ("JB-DEMAC4", "rumah_disabilitas", 3, 5, 1, 1, "Gg. Kenanga 4", "Pemuda 19 tahun, pengguna kursi roda",
     "Rini Astuti", "ibu", "6281200004414", "diverifikasi"),
    ("JB-DEMAD5", "rt_rw", 6, 7, 3, 25, "Balai RT 07/RW 03", "Warga yang belum rekam, pertemuan bulanan",
     "Joko Purnomo", "ketua RT", "6281200004415", "ditolak"),
)
REFUSAL = "Sudah dijadwalkan sesi balai desa minggu depan; warga diarahkan ke sana."


def seed(demo) -> list[VisitRequest]:
    """Add the demo requests (see module docstring); returns those created."""
    from outreach.requests import queue

    kecamatan = getattr(demo.coordinator_kecamatan, "kode", demo.coordinator_kecamatan)
    if db.session.scalar(sa.select(sa.func.count()).select_from(VisitRequest)
                         .where(VisitRequest.kecamatan_kode == kecamatan)):
        return []
    desa = db.session.scalars(sa.select(Region).where(Region.level == "desa", Region.kecamatan_kode == kecamatan)
                              .order_by(Region.kode)).all()
    coordinator = planner_for(demo.users, kecamatan)
    if not desa or coordinator is None:
        return []
    now = clock.utcnow()
    made = []
    for n, (code, kind, days, rt, rw, people, address, description, name, relation, phone, then) in \
            enumerate(REQUESTS):
        place = desa[n % len(desa)]
        created = now - timedelta(days=days)
        req = VisitRequest(code=code, kind=kind, desa_kode=place.kode, kecamatan_kode=place.kecamatan_kode,
                           kabupaten_kode=place.kabupaten_kode, provinsi_kode=place.provinsi_kode, rt=rt, rw=rw,
                           people=people, address=address, description=description, requester_name=name,
                           relation=relation, phone=phone, phone_last4=phone[-4:], status="baru", source="form",
                           created_at=created, updated_at=created, status_changed_at=created)
        db.session.add(req)
        db.session.commit()
        if then == "diverifikasi":
            queue.change_status(coordinator, req, "diverifikasi")
        elif then == "ditolak":
            queue.change_status(coordinator, req, "ditolak", reason=REFUSAL)
        made.append(req)
    return made
