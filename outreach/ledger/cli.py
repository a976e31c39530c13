"""`flask --app app ledger-check [--repair]`: is every open session's expected turnout its share of its pool?

    flask --app app ledger-check           # list the pools whose open sessions expect more than they hold
    flask --app app ledger-check --repair  # share every pool out again (all open sessions)
"""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from outreach.extensions import db
from outreach.ledger import operations
from outreach.models.planning import OPEN_STATUSES, RecordingSession


def register(app):
    @app.cli.command("ledger-check")
    @click.option("--repair", is_flag=True, help="Bagi ulang semua pool: setiap sesi terbuka mendapat bagiannya.")
    @with_appcontext
    def ledger_check_command(repair):
        """Check (or repair) the planned share of every pool."""
        if repair:
            desa = db.session.scalars(sa.select(RecordingSession.desa_kode).distinct().where(
                RecordingSession.status.in_(OPEN_STATUSES))).all()
            changed = 0
            for i in range(0, len(desa), 500):
                changed += operations.reallocate(desa_kodes=desa[i:i + 500])
                db.session.commit()
            click.echo(f"Perkiraan hadir dibagi ulang: {changed} sesi berubah di {len(desa)} desa.")
            return
        wrong = operations.overplanned(limit=50)
        if not wrong:
            click.echo("Semua pool cocok: perkiraan hadir sesi terbuka tidak melebihi sisa yang dapat dijangkau.")
            return
        for item in wrong:
            click.echo(f"{item['pool']} {item['code']}: direncanakan {item['planned']}, sisa {item['pool_size']}")
        click.echo("Jalankan dengan --repair untuk membagi ulang.", err=True)
        raise SystemExit(1)
