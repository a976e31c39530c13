"""Saving sites: scope, uniqueness, history of school targets, audit trail."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.models import Region, Site, TargetCount
from outreach.models.audit import diff, record_change
from outreach.models.regions import ancestors_of
from outreach.permissions import in_scope, sites_clause
from outreach.sites.rules import DesaInfo, SiteCheck, check_site

EDITABLE = ("type", "nama", "desa_kode", "lat", "lng", "rt", "rw", "address", "npsn", "jenjang", "school_status",
            "contact_name", "contact_phone", "notes", "coords_approximate", "unavailable_dates")


def desa_info(kode: str | None) -> Optional[DesaInfo]:
    if not kode:
        return None
    row = db.session.execute(
        sa.select(Region.kode, Region.nama, Region.level, Region.lat, Region.lng, Region.boundary)
        .where(Region.kode == kode)).first()
    return DesaInfo(*row) if row else None


def visible_site(user, site_id: int) -> Optional[Site]:
    """The site if `user` may see it (outreach.permissions.sites_clause), else None."""
    return db.session.scalar(sa.select(Site).where(Site.id == site_id, sites_clause(user)))


def save_site(user, data: dict, site: Site | None = None) -> tuple[Optional[Site], SiteCheck]:
    """Create (site=None) or update a site from raw input; commits on success, writes nothing on error."""
    merged = dict(data)
    if site is not None:  # a partial update keeps the fields it does not name
        for name in EDITABLE:
            merged.setdefault(name, getattr(site, name))
        merged.setdefault("pemilih_pemula", site.pemilih_pemula)
    check = check_site(merged, desa_info(merged.get("desa_kode")))
    values = check.values
    if "desa_kode" not in check.errors and not in_scope(user, values["desa_kode"]):
        check.errors["desa_kode"] = "Desa/kelurahan ini di luar wilayah tugas Anda."
    if values.get("npsn") and "npsn" not in check.errors:
        clash = db.session.scalar(sa.select(Site.id).where(Site.npsn == values["npsn"],
                                                           Site.id != (site.id if site else -1)))
        if clash:
            check.errors["npsn"] = f"NPSN {values['npsn']} sudah dipakai lokasi lain (#{clash})."
    if not check.ok:
        return None, check

    new_values = {k: values[k] for k in EDITABLE}
    new_values.update({k: v for k, v in ancestors_of(values["desa_kode"]).items()})
    creating = site is None
    old_desa = None if creating else site.desa_kode
    if creating:
        site = Site()
        db.session.add(site)
        changes = {k: [None, v] for k, v in new_values.items() if v not in (None, "")}
    else:
        changes = diff(site, new_values.keys(), new_values)
    for k, v in new_values.items():
        setattr(site, k, v)
    pp = values.get("pemilih_pemula")
    if site.type == "sekolah" and pp is not None and pp != site.pemilih_pemula:
        changes["pemilih_pemula"] = [site.pemilih_pemula, pp]
        site.pemilih_pemula, site.pemilih_pemula_as_of = pp, clock.local_today()
        site.pemilih_pemula_recorded = min(site.pemilih_pemula_recorded or 0, pp)
        db.session.flush()
        db.session.add(TargetCount(site_id=site.id, wajib_ktp=pp, sudah_rekam=site.pemilih_pemula_recorded,
                                   as_of=site.pemilih_pemula_as_of, source="isian manual"))
    db.session.flush()
    if changes:
        record_change("site", site.id, "create" if creating else "update", getattr(user, "id", None), changes)
        if not creating:
            # A school's pool, its type or its desa may have changed: its sessions get their shares again.
            from outreach.ledger import operations as ledger

            ledger.reallocate(desa_kodes={site.desa_kode, old_desa} - {None}, site_ids=[site.id])
    db.session.commit()
    return site, check


def create_sites(user, rows: list[dict], reason: str = "") -> list[int]:
    """Create many checked sites in one bulk insert, each with the audit entry `save_site` writes for a new
    site; returns their ids in the order of `rows`. The caller has checked scope and values, and commits."""
    if not rows:
        return []
    ids = list(db.session.scalars(sa.insert(Site).returning(Site.id, sort_by_parameter_order=True), rows))
    user_id = getattr(user, "id", None)
    for site_id, values in zip(ids, rows):
        record_change("site", site_id, "create", user_id,
                      {k: [None, v] for k, v in values.items() if v not in (None, "")}, reason)
    db.session.flush()
    return ids


def site_as_dict(site: Site) -> dict:
    return {
        "id": site.id, "nama": site.nama, "type": site.type, "desa_kode": site.desa_kode,
        "kecamatan_kode": site.kecamatan_kode, "kabupaten_kode": site.kabupaten_kode,
        "lat": site.lat, "lng": site.lng, "coords_approximate": site.coords_approximate,
        "rt": site.rt, "rw": site.rw, "address": site.address, "npsn": site.npsn, "jenjang": site.jenjang,
        "school_status": site.school_status, "contact_name": site.contact_name,
        "contact_phone": site.contact_phone, "notes": site.notes, "pemilih_pemula": site.pemilih_pemula,
        "pemilih_pemula_recorded": site.pemilih_pemula_recorded, "active": site.active,
        "unavailable_dates": site.unavailable_dates or "",
    }
