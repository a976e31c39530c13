"""coverage: per-desa tally of recorded-since and known-away, kept by triggers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 04:00:00

The coverage figures of a province summed, per desa, the logs dated after the desa's official as-of date
(8,563 index probes) and its known-away rows on every request. desa_tally keeps those per-desa sums
(see outreach.models.regions.DesaTally), so a province reads one row per desa. Triggers keep it in
the same transaction as the write, whichever way the write comes (ORM, bulk statement, cascade from a
deleted session):

- a turnout log inserted, changed or deleted moves recorded_since by its recorded_total when its
  session date lies after the desa's as-of date;
- a known-away row moves known_away and away_<reason> by its count;
- a desa's new as-of date (a SIAK import) recounts its recorded_since from its logs; a new desa row
  recounts everything.

On PostgreSQL a delta is one `UPDATE ... SET x = x + d` on the desa's row: two logs of the same desa
written at once wait for each other's row lock and neither is lost.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

REASONS = ("luar_negeri", "luar_daerah", "pindah_meninggal", "lainnya")
EPOCH = "'1900-01-01'"


def _as_of(row: str) -> str:
    return f"coalesce((SELECT target_as_of FROM region WHERE kode = {row}.desa_kode), {EPOCH})"


def _log_delta(row: str, sign: str) -> str:
    return (f"UPDATE desa_tally SET recorded_since = recorded_since {sign} {row}.recorded_total "
            f"WHERE desa_kode = {row}.desa_kode AND {row}.session_date > {_as_of(row)}")


def _away_delta(row: str, sign: str) -> str:
    parts = [f"known_away = known_away {sign} {row}.count"]
    parts += [f"away_{r} = away_{r} {sign} (CASE WHEN {row}.reason = '{r}' THEN {row}.count ELSE 0 END)"
              for r in REASONS]
    return f"UPDATE desa_tally SET {', '.join(parts)} WHERE desa_kode = {row}.desa_kode"


def _ensure(kode: str) -> str:
    return f"INSERT INTO desa_tally (desa_kode) VALUES ({kode}) ON CONFLICT (desa_kode) DO NOTHING"


def _since_of(kode: str, as_of: str) -> str:
    return (f"(SELECT coalesce(sum(l.recorded_total), 0) FROM turnout_log l "
            f"WHERE l.desa_kode = {kode} AND l.session_date > coalesce({as_of}, {EPOCH}))")


def _away_of(kode: str, reason=None) -> str:
    extra = f" AND k.reason = '{reason}'" if reason else ""
    return f"(SELECT coalesce(sum(k.count), 0) FROM known_away k WHERE k.desa_kode = {kode}{extra})"


def _recount(kode: str, as_of: str, away: bool) -> str:
    parts = [f"recorded_since = {_since_of(kode, as_of)}"]
    if away:
        parts.append(f"known_away = {_away_of(kode)}")
        parts += [f"away_{r} = {_away_of(kode, r)}" for r in REASONS]
    return f"UPDATE desa_tally SET {', '.join(parts)} WHERE desa_kode = {kode}"


# (name, table, event, condition on NEW/OLD or None, statements)
TRIGGERS = (
    ("desa_tally_log_insert", "turnout_log", "INSERT", None,
     [_ensure("NEW.desa_kode"), _log_delta("NEW", "+")]),
    ("desa_tally_log_update", "turnout_log", "UPDATE OF recorded_total, session_date, desa_kode", None,
     [_log_delta("OLD", "-"), _ensure("NEW.desa_kode"), _log_delta("NEW", "+")]),
    ("desa_tally_log_delete", "turnout_log", "DELETE", None, [_log_delta("OLD", "-")]),
    ("desa_tally_away_insert", "known_away", "INSERT", None,
     [_ensure("NEW.desa_kode"), _away_delta("NEW", "+")]),
    ("desa_tally_away_update", "known_away", "UPDATE OF count, reason, desa_kode", None,
     [_away_delta("OLD", "-"), _ensure("NEW.desa_kode"), _away_delta("NEW", "+")]),
    ("desa_tally_away_delete", "known_away", "DELETE", None, [_away_delta("OLD", "-")]),
    ("desa_tally_region_insert", "region", "INSERT", "NEW.level = 'desa'",
     [_ensure("NEW.kode"), _recount("NEW.kode", "NEW.target_as_of", away=True)]),
    ("desa_tally_region_as_of", "region", "UPDATE OF target_as_of", "NEW.level = 'desa' AND {changed}",
     [_ensure("NEW.kode"), _recount("NEW.kode", "NEW.target_as_of", away=False)]),
)


def _create_triggers(dialect: str) -> None:
    for name, table, event, condition, statements in TRIGGERS:
        if dialect == "postgresql":
            changed = "NEW.target_as_of IS DISTINCT FROM OLD.target_as_of"
            body = "".join(f"  {s};\n" for s in statements)
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}"
                       f"  RETURN NULL;\nEND;\n$$")
            when = f" WHEN ({condition.format(changed=changed)})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {name}()")
        else:
            changed = "NEW.target_as_of IS NOT OLD.target_as_of"
            when = f" WHEN {condition.format(changed=changed)}" if condition else ""
            body = "".join(f"  {s};\n" for s in statements)
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}\nBEGIN\n{body}END")


def upgrade():
    op.create_table(
        'desa_tally',
        sa.Column('desa_kode', sa.String(length=20), nullable=False),
        sa.Column('recorded_since', sa.Integer(), server_default='0', nullable=False),
        sa.Column('known_away', sa.Integer(), server_default='0', nullable=False),
        *[sa.Column(f'away_{r}', sa.Integer(), server_default='0', nullable=False) for r in REASONS],
        sa.PrimaryKeyConstraint('desa_kode', name=op.f('pk_desa_tally')),
        sqlite_with_rowid=False,  # SQLite: the rows live in the primary key's b-tree (one look-up per desa)
    )
    away = ", ".join(_away_of("r.kode", r) for r in REASONS)
    op.execute(f"INSERT INTO desa_tally (desa_kode, recorded_since, known_away, "
               f"{', '.join('away_' + r for r in REASONS)}) "
               f"SELECT r.kode, {_since_of('r.kode', 'r.target_as_of')}, {_away_of('r.kode')}, {away} "
               f"FROM region r WHERE r.level = 'desa'")
    _create_triggers(op.get_bind().dialect.name)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, *_ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('desa_tally')
