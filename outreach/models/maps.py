"""Map layers shared by every worker: each region's boundary simplified per zoom bucket, stored once.

One row per (region, zoom bucket) for the buckets MIN_BUCKET..MAX_BUCKET-1 of outreach.maps.geometry (the
top bucket draws Region.boundary itself, rounded), holding the bounds of the whole boundary (the bbox test)
and the simplified, rounded GeoJSON geometry the map API sends as it is. Written where boundaries are
written (the boundary import, seed-demo) and by `flask --app app build-map-shapes`; see outreach.maps.shapes.
A region whose boundary cannot be read keeps a row with its centroid point as geometry (or no geometry and
no bounds when it has no centroid either), so the rows of a level always match its regions with a boundary.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outreach.extensions import db


class RegionShape(db.Model):
    __tablename__ = "region_shape"

    kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode", ondelete="CASCADE"), primary_key=True)
    bucket: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10))
    west: Mapped[Optional[float]] = mapped_column(sa.Float)
    south: Mapped[Optional[float]] = mapped_column(sa.Float)
    east: Mapped[Optional[float]] = mapped_column(sa.Float)
    north: Mapped[Optional[float]] = mapped_column(sa.Float)
    geometry: Mapped[Optional[str]] = mapped_column(sa.Text)  # GeoJSON geometry text, simplified and rounded

    __table_args__ = (
        # The bbox test of a view (and the count that decides its detail) reads this index alone.
        sa.Index("ix_region_shape_view", "level", "bucket", "west", "east", "south", "north", "kode"),
    )

    def __repr__(self) -> str:
        return f"<RegionShape {self.kode} z{self.bucket}>"
