"""`flask --app app build-map-shapes [--level desa]`: (re)build the shared map layers from the stored
boundaries (after migration 0023, or after boundaries were written outside the import)."""
from __future__ import annotations

import click

from outreach.i18n import gettext_here as _
from outreach.maps import shapes
from outreach.maps.queries import MAP_LEVELS


def register(app):
    @app.cli.command("build-map-shapes")
    @click.option("--level", type=click.Choice(MAP_LEVELS), default=None,
                  help="Hanya tingkat ini (bawaan: kabupaten, kecamatan, dan desa).")
    def build_map_shapes(level):
        """Bangun ulang bentuk peta (batas wilayah yang disederhanakan per zoom) dari batas yang tersimpan."""
        for name in ([level] if level else MAP_LEVELS):
            done = shapes.rebuild(name)
            click.echo(_("Bentuk peta %(level)s: %(n)d wilayah berbatas.", level=name, n=done))
