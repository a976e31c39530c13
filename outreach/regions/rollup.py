"""kecamatan_totals (outreach.models.regions.KecamatanTotals): the desa terms of the ledger summed per
kecamatan, so the figures of a province or of the whole country read ~7,000 rows instead of every desa.

Triggers (migration 0024) mark a kecamatan row stale (version + 1) in the transaction of every write
that moves one of its desa; reads (outreach.regions.queries.compute_totals) take the fresh rows and sum
the desa of the stale ones, so they are right whether or not the refresh has run. The refresh here
recomputes the stale rows in one statement; it runs every few minutes (scheduler job `kecamatan_totals`),
after `flask coverage-tally --rebuild` and a SIAK target import, and on demand:

    flask --app app coverage-rollup        # refresh the stale rows now
    flask --app app coverage-rollup --all  # recompute every kecamatan (and add rows found missing)

A write is never lost: the statement sets computed_version to the version it read, together with the
sums, in the same snapshot, and updates a row only WHERE its version is still that one. On PostgreSQL
the upsert locks the row and re-checks the condition against the newest committed version, so a log
committed meanwhile leaves the row stale (for the next refresh); on SQLite a write transaction works on
the newest data by construction.
"""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.dialects import postgresql, sqlite

from outreach.extensions import db
from outreach.models import KecamatanTotals, Region
from outreach.regions.queries import DesaFilter, TOTALS_COLUMNS, desa_sums, desa_values, stale_kecamatan

KT = KecamatanTotals


def recount(only_stale: bool = True) -> sa.Select:
    """SELECT kode, provinsi_kode, kabupaten_kode, *TOTALS_COLUMNS, version: the kecamatan sums counted from
    their desa (of the stale kecamatan, or of every kecamatan), beside the version of the row they are
    read with (0: no row yet)."""
    only = Region.kecamatan_kode.in_(stale_kecamatan()) if only_stale else Region.kecamatan_kode.is_not(None)
    d = desa_values(DesaFilter(), only=only).subquery("d")
    sums = (sa.select(d.c.kecamatan.label("kode"), sa.func.min(d.c.provinsi).label("provinsi_kode"),
                      sa.func.min(d.c.kabupaten).label("kabupaten_kode"), *desa_sums(d))
            .group_by(d.c.kecamatan).subquery("s"))
    return (sa.select(*sums.c, sa.func.coalesce(KT.version, 0).label("version"))
            .select_from(sums.outerjoin(KT, KT.kode == sums.c.kode)).where(sa.true()))


# PostgreSQL: how long the refresh waits for a row a writer holds before it gives up (the rows stay stale
# for the next run). Below deadlock_timeout (1 s by default), so a writer that holds several kecamatan rows
# (an import) and then waits for one the refresh holds is never the one a deadlock aborts.
LOCK_TIMEOUT = "500ms"


def refresh_kecamatan_totals(session=None, everything: bool = False) -> int:
    """Recompute the stale kecamatan rows (every kecamatan: `everything`) in one upsert, in the caller's
    transaction (the caller commits); returns the rows written. A row whose version moved since the
    statement read it stays stale. Stale rows of kecamatan left without desa are deleted. On PostgreSQL,
    when a writer holds a row longer than LOCK_TIMEOUT the refresh writes nothing (returns 0) and leaves
    the caller's transaction usable."""
    session = session or db.session
    if session.get_bind().dialect.name != "postgresql":
        written = len(session.execute(_upsert(recount(only_stale=not everything), session)).all())
        _drop_empty(session)
        return written
    previous = session.scalar(sa.text("SELECT current_setting('lock_timeout')"))
    try:
        with session.begin_nested():
            session.execute(sa.text("SELECT set_config('lock_timeout', :t, true)"), {"t": LOCK_TIMEOUT})
            written = len(session.execute(_upsert(recount(only_stale=not everything), session)).all())
            _drop_empty(session)
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return 0  # the savepoint's rollback restored lock_timeout too
    session.execute(sa.text("SELECT set_config('lock_timeout', :t, true)"), {"t": previous})
    return written


# A refresh of more rows than this is followed by ANALYZE (see analyze).
ANALYZE_AFTER = 500


def analyze(session=None, commit: bool = True) -> None:
    """After a refresh of many rows: statistics that say how few rows are stale now, so PostgreSQL plans the
    desa of those as index look-ups (autovacuum would get there in its own time; statistics taken while most
    rows were stale made a national figure cost 55 ms instead of 10). `commit`: commit the session after."""
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE kecamatan_totals"))
        if commit:
            session.commit()


def _upsert(source: sa.Select, session):
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(KT)
    columns = ["kode", "provinsi_kode", "kabupaten_kode", *TOTALS_COLUMNS, "computed_version", "version"]
    # computed_version and (for a row still missing) version are both the version read: a missing row
    # goes in fresh at version 0, which no trigger-made row (version >= 1) can ever equal.
    stmt = insert.from_select(columns, _with_version_twice(source))
    updated = {name: stmt.excluded[name] for name in ("provinsi_kode", "kabupaten_kode", *TOTALS_COLUMNS,
                                                      "computed_version")}
    return stmt.on_conflict_do_update(index_elements=[KT.kode], set_=updated,
                                      where=KT.version == stmt.excluded.computed_version).returning(KT.kode)


def _with_version_twice(source: sa.Select) -> sa.Select:
    r = source.subquery("r")
    return sa.select(*[r.c[name] for name in ("kode", "provinsi_kode", "kabupaten_kode", *TOTALS_COLUMNS)],
                     r.c.version.label("computed_version"), r.c.version.label("version")).where(sa.true())


def _drop_empty(session) -> None:
    """Delete the stale rows of kecamatan that have no desa left, each only while its version is still the
    one read (a desa added meanwhile bumped it and keeps the row)."""
    has_desa = sa.exists().where(Region.kecamatan_kode == KT.kode, Region.level == "desa")
    empty = session.execute(sa.select(KT.kode, KT.version).where(KT.stale, ~has_desa)).all()
    if empty:
        table = KT.__table__
        session.execute(sa.delete(table).where(table.c.kode == sa.bindparam("k"),
                                               table.c.version == sa.bindparam("v")),
                        [{"k": kode, "v": version} for kode, version in empty])


def drift(limit: int = 20) -> list[dict]:
    """Fresh kecamatan rows whose sums differ from a recount of their desa, and kecamatan with desa but no
    row at all (their desa would be left out of the figures): at most `limit`, each {"kode", "column",
    "kept", "recount"} (column "row" for a missing row)."""
    counted = recount(only_stale=False).subquery("c")
    pairs = [(name, KT.__table__.c[name], counted.c[name])
             for name in ("provinsi_kode", "kabupaten_kode", *TOTALS_COLUMNS)]
    stmt = (sa.select(counted.c.kode, KT.kode, *[p[1] for p in pairs], *[p[2] for p in pairs])
            .outerjoin(KT, KT.kode == counted.c.kode)
            .where(sa.or_(KT.kode.is_(None),
                          sa.and_(~KT.stale,
                                  sa.or_(*[kept.is_distinct_from(fresh) for _, kept, fresh in pairs]))))
            .order_by(counted.c.kode).limit(limit))
    out = []
    n = len(pairs)
    for row in db.session.execute(stmt):
        if row[1] is None:
            out.append({"kode": row[0], "column": "row", "kept": None, "recount": "ada desa"})
            continue
        for i, (name, _, _) in enumerate(pairs):
            kept, fresh = row[2 + i], row[2 + n + i]
            if kept != fresh and not (kept is None and fresh is None):
                out.append({"kode": row[0], "column": name, "kept": kept, "recount": fresh})
                break
    return out


def stale_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(KT).where(KT.stale))


def register(app):
    @app.cli.command("coverage-rollup")
    @click.option("--all", "everything", is_flag=True,
                  help="Hitung ulang semua kecamatan, bukan hanya yang berubah.")
    @with_appcontext
    def coverage_rollup_command(everything):
        """Refresh the per-kecamatan sums the coverage figures of big areas read."""
        n = refresh_kecamatan_totals(db.session, everything=everything)
        db.session.commit()
        if everything or n > ANALYZE_AFTER:
            analyze(db.session)
        click.echo(f"Rekap per kecamatan diperbarui: {n} kecamatan; {stale_count()} masih menunggu.")
