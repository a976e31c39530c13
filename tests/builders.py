"""Small builders for test data: each test makes the rows it needs."""
from __future__ import annotations

import itertools
from datetime import date

from outreach.extensions import db
from outreach.models import KnownAway, Kit, Region, Site, TargetCount, Team, User
from outreach.models.regions import ancestors_of, kind_of, level_of

PASSWORD = "rahasia-uji-123"
_seq = itertools.count(1)


def make_region(kode: str, nama: str | None = None, lat: float | None = -7.0, lng: float | None = 110.4,
                wajib_ktp: int | None = None, sudah_rekam: int | None = None, as_of: date | None = None) -> Region:
    level = level_of(kode)
    parent = ".".join(kode.split(".")[:-1]) or None
    if parent and db.session.get(Region, parent) is None:
        make_region(parent)
    region = Region(kode=kode, nama=nama or f"{level.title()} {kode}", level=level, kind=kind_of(kode),
                    parent_kode=parent, lat=lat, lng=lng, **ancestors_of(kode))
    if wajib_ktp is not None:
        region.wajib_ktp, region.sudah_rekam = wajib_ktp, sudah_rekam or 0
        region.target_as_of = as_of or date(2026, 9, 15)
        db.session.add(TargetCount(desa_kode=kode, wajib_ktp=wajib_ktp, sudah_rekam=sudah_rekam or 0,
                                   as_of=region.target_as_of, source="uji"))
    db.session.add(region)
    db.session.flush()
    return region


def make_known_away(desa_kode: str, reason: str, count: int) -> KnownAway:
    row = KnownAway(desa_kode=desa_kode, reason=reason, count=count)
    db.session.add(row)
    db.session.flush()
    return row


def make_site(desa_kode: str, nama: str | None = None, type: str = "balai_desa", lat: float = -7.0,
              lng: float = 110.4, **kw) -> Site:
    if db.session.get(Region, desa_kode) is None:
        make_region(desa_kode)
    anc = ancestors_of(desa_kode)
    site = Site(type=type, nama=nama or f"Lokasi {next(_seq)}", desa_kode=desa_kode, lat=lat, lng=lng,
                kecamatan_kode=anc["kecamatan_kode"], kabupaten_kode=anc["kabupaten_kode"],
                provinsi_kode=anc["provinsi_kode"], **kw)
    db.session.add(site)
    db.session.flush()
    return site


def make_team(office_kode: str = "33.74", nama: str | None = None) -> Team:
    if db.session.get(Region, office_kode) is None:
        make_region(office_kode)
    team = Team(nama=nama or f"Tim {next(_seq)}", office_kode=office_kode, office_lat=-6.99, office_lng=110.42)
    db.session.add(team)
    db.session.flush()
    return team


def make_kit(team: Team | None = None, code: str | None = None, status: str = "ok", office_kode: str = "33.74") -> Kit:
    kit = Kit(code=code or f"KIT-{next(_seq):03d}", status=status, team=team,
              office_kode=team.office_kode if team else office_kode)
    db.session.add(kit)
    db.session.flush()
    return kit


def make_user(role: str, username: str | None = None, scope: str | None = None, team: Team | None = None,
              password: str = PASSWORD) -> User:
    if scope and db.session.get(Region, scope) is None:
        make_region(scope)
    user = User(username=username or f"{role}{next(_seq)}", name=f"Pengguna {role}", role=role,
                scope_kode=scope, team=team)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
