"""`flask --app app create-default-places [--kecamatan KODE | --all]`: every desa's balai desa / kantor
kelurahan, after an import of regions (idempotent: a desa that has a balai desa site keeps it alone)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from outreach.extensions import db
from outreach.models import Region
from outreach.models.regions import level_of
from outreach.sites.default_places import create_default_places


def register(app):
    @app.cli.command("create-default-places")
    @click.option("--kecamatan", "area", default=None, metavar="KODE",
                  help="Hanya desa/kelurahan di wilayah ini (kode kecamatan, kabupaten/kota atau provinsi).")
    @click.option("--all", "everywhere", is_flag=True, help="Semua desa/kelurahan yang sudah diimpor.")
    @with_appcontext
    def create_default_places_command(area, everywhere):
        """Create the default recording place (balai desa / kantor kelurahan) of each desa that has none."""
        if bool(area) == everywhere:
            raise click.UsageError("Pilih salah satu: --kecamatan KODE atau --all.")
        if area is not None:
            area = area.strip()
            if level_of(area) not in ("provinsi", "kabupaten", "kecamatan", "desa") \
                    or db.session.get(Region, area) is None:
                raise click.BadParameter(f"wilayah dengan kode '{area}' tidak ditemukan.", param_hint="--kecamatan")
        outcome = create_default_places(None, area)
        click.echo(f"Tempat perekaman bawaan dibuat: {len(outcome.created)} (balai desa/kantor kelurahan, "
                   "koordinat perkiraan).")
        if outcome.without_point:
            click.echo(f"{len(outcome.without_point)} desa/kelurahan dilewati karena tidak punya titik koordinat, "
                       f"begitu pula kecamatan dan kabupatennya: {', '.join(outcome.without_point[:10])}"
                       + (" ..." if len(outcome.without_point) > 10 else ""), err=True)
