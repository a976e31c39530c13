"""desa_tally (outreach.models.regions.DesaTally): the per-desa log, refuser, known-away and planned sums
that database triggers keep. Here: the same sums counted from scratch, to find rows that drifted (tests check every
test's data with it; `flask --app app coverage-tally` checks a live database) and to rebuild them.

    flask --app app coverage-tally            # count the desa whose tally differs from a recount
    flask --app app coverage-tally --rebuild  # rewrite every tally row from a recount

The check also compares the fresh per-kecamatan sums (outreach.regions.rollup) with a recount of their
desa; a rebuild recomputes them all.
"""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from outreach.extensions import db
from outreach.models import DesaTally, KnownAway, RefuserFollowup, Region
from outreach.vocab import AWAY_REASONS
from outreach.models.field import TurnoutLog
from outreach.models.planning import OPEN_STATUSES, RecordingSession
from outreach.regions.queries import EPOCH

TALLY_COLUMNS = ("recorded_since", "menolak", "known_away", *[f"away_{reason}" for reason in AWAY_REASONS],
                 "planned")


def recount():
    """SELECT desa_kode, recorded_since, menolak, known_away, away_<reason>..., planned counted from the logs,
    follow-ups, known-away rows and open sessions of every desa region row (what the triggers should have
    kept)."""
    as_of = sa.func.coalesce(Region.target_as_of, EPOCH)

    def logs(column):
        return (sa.select(sa.func.coalesce(sa.func.sum(column), 0))
                .where(TurnoutLog.desa_kode == Region.kode, TurnoutLog.session_date > as_of)
                .correlate(Region).scalar_subquery())

    since = logs(TurnoutLog.recorded_total)
    followed = (sa.select(sa.func.coalesce(sa.func.sum(RefuserFollowup.count), 0))
                .where(RefuserFollowup.desa_kode == Region.kode, RefuserFollowup.followed_on > as_of)
                .correlate(Region).scalar_subquery())
    menolak = logs(TurnoutLog.not_recorded_tidak_bersedia) - followed
    RS = RecordingSession
    planned = (sa.select(sa.func.coalesce(sa.func.sum(RS.expected_turnout), 0))
               .where(RS.desa_kode == Region.kode, RS.status.in_(OPEN_STATUSES), RS.pool == "desa")
               .correlate(Region).scalar_subquery())

    def away(reason=None):
        cond = [KnownAway.desa_kode == Region.kode] + ([KnownAway.reason == reason] if reason else [])
        return (sa.select(sa.func.coalesce(sa.func.sum(KnownAway.count), 0)).where(*cond)
                .correlate(Region).scalar_subquery())

    values = [since, menolak, away(), *[away(reason) for reason in AWAY_REASONS], planned]
    return sa.select(Region.kode.label("desa_kode"), *[v.label(c) for v, c in zip(values, TALLY_COLUMNS)]).where(
        Region.level == "desa")


def drift(limit: int = 20) -> list[dict]:
    """Desa whose tally row differs from a recount (a missing row counts as zeros): at most `limit`,
    each {"desa_kode", "column", "tally", "recount"} for its first differing column."""
    fresh = recount().subquery("fresh")
    T = DesaTally
    pairs = [(c, sa.func.coalesce(getattr(T, c), 0), fresh.c[c]) for c in TALLY_COLUMNS]
    stmt = (sa.select(fresh.c.desa_kode, *[p[1] for p in pairs], *[p[2] for p in pairs])
            .outerjoin(T, T.desa_kode == fresh.c.desa_kode)
            .where(sa.or_(*[kept != counted for _, kept, counted in pairs]))
            .order_by(fresh.c.desa_kode).limit(limit))
    out = []
    n = len(pairs)
    for row in db.session.execute(stmt):
        for i, column in enumerate(TALLY_COLUMNS):
            if row[1 + i] != row[1 + n + i]:
                out.append({"desa_kode": row[0], "column": column, "tally": row[1 + i], "recount": row[1 + n + i]})
                break
    return out


def rebuild() -> int:
    """Rewrite every tally row from a recount (in the caller's transaction); returns the rows written."""
    db.session.execute(sa.delete(DesaTally))
    result = db.session.execute(sa.insert(DesaTally).from_select(["desa_kode", *TALLY_COLUMNS], recount()))
    return result.rowcount


def register(app):
    @app.cli.command("coverage-tally")
    @click.option("--rebuild", "do_rebuild", is_flag=True, help="Tulis ulang semua baris dari hitungan ulang.")
    @with_appcontext
    def coverage_tally_command(do_rebuild):
        """Check (or rebuild) the per-desa tally the coverage figures read."""
        from outreach.regions import rollup

        if do_rebuild:
            n = rebuild()
            k = rollup.refresh_kecamatan_totals(db.session, everything=True)
            db.session.commit()
            rollup.analyze(db.session)
            click.echo(f"Rekap per desa ditulis ulang: {n} desa; rekap per kecamatan: {k} kecamatan.")
            return
        wrong = drift(limit=20)
        wrong_kecamatan = rollup.drift(limit=20)
        if not wrong and not wrong_kecamatan:
            click.echo("Rekap per desa dan per kecamatan cocok dengan hitungan ulang dari log dan data warga di "
                       "luar wilayah.")
            return
        for item in wrong:
            click.echo(f"{item['desa_kode']}: {item['column']} tersimpan {item['tally']}, "
                       f"hitungan ulang {item['recount']}")
        for item in wrong_kecamatan:
            if item["column"] == "row":
                click.echo(f"Kecamatan {item['kode']}: baris rekap tidak ada")
            else:
                click.echo(f"Kecamatan {item['kode']}: {item['column']} tersimpan {item['kept']}, "
                           f"hitungan ulang {item['recount']}")
        if wrong:
            click.echo("Rekap per desa berbeda dari hitungan ulang; jalankan dengan --rebuild untuk memperbaikinya.",
                       err=True)
        if wrong_kecamatan:
            click.echo("Rekap per kecamatan berbeda dari hitungan ulang; jalankan coverage-rollup --all untuk "
                       "memperbaikinya.", err=True)
        raise SystemExit(1)
