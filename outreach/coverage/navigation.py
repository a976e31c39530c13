"""Where an area sits for the coverage pages: its breadcrumbs, the level below it, the level its
dashboard ranks, and the kabupaten/kota names that tell apart areas of the same name in a ranking."""
from __future__ import annotations

from typing import Iterable, Optional

import sqlalchemy as sa
from flask_login import current_user

from outreach.coverage.queries.areas import CHILD_LEVEL
from outreach.extensions import db
from outreach.models import Region


def crumbs_for(area) -> list[dict]:
    """The ancestors of the area the user may open (links lead to their dashboards)."""
    if area.kode is None:
        return []
    from outreach.regions.routes import breadcrumbs
    return breadcrumbs(current_user, area.kode)


def child_level_of(level: str) -> Optional[str]:
    return CHILD_LEVEL.get(level)


def ranking_level(area) -> Optional[str]:
    """Which areas the dashboard ranks: kecamatan (from a kabupaten or the province), desa inside a kecamatan."""
    if area.level == "desa":
        return None
    return "desa" if area.level == "kecamatan" else "kecamatan"


def parent_names(area, kodes: Iterable[str]) -> dict:
    """{kecamatan kode: its kabupaten/kota's short name} when a ranking spans several kabupaten
    (kecamatan names repeat across Jawa Tengah: "Salam", "Pagedongan"); {} otherwise. One query."""
    if area.kode is not None and area.level != "provinsi":
        return {}
    kodes = [k for k in kodes if k and k.count(".") >= 2]
    parents = {k: ".".join(k.split(".")[:2]) for k in kodes}
    if not parents:
        return {}
    rows = db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(sorted(set(parents.values())))))
    short = {k: (n[len("Kabupaten "):] if n.startswith("Kabupaten ") else n) for k, n in rows}
    return {k: short[p] for k, p in parents.items() if p in short}


def ranked_label(item, parents: dict) -> str:
    """An area's name in a ranking, with its kabupaten/kota when names repeat across the ranking."""
    parent = parents.get(item.kode)
    return f"{item.nama}, {parent}" if parent else item.nama
