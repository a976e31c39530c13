"""The kecamatan and desa a user may pick in a filter or a form: (kode, nama) pairs in the user's scope,
by name. Shared by the site, session-list, calendar and print pages."""
from __future__ import annotations

import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import Region
from outreach.permissions import scope_clause


def kecamatan_choices(user) -> list[tuple[str, str]]:
    """Kecamatan in the user's scope, by name."""
    rows = db.session.execute(sa.select(Region.kode, Region.nama)
                              .where(Region.level == "kecamatan", scope_clause(user, Region))
                              .order_by(Region.nama, Region.kode)).all()
    return [(kode, nama) for kode, nama in rows]


def desa_choices(user, kecamatan_kode: str) -> list[tuple[str, str]]:
    """Desa of one kecamatan in the user's scope, by name."""
    rows = db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.level == "desa", Region.kecamatan_kode == kecamatan_kode, scope_clause(user, Region))
        .order_by(Region.nama, Region.kode)).all()
    return [(kode, nama) for kode, nama in rows]
