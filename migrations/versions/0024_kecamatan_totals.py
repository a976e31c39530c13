"""kecamatan totals: the desa terms of the ledger summed per kecamatan, kept fresh by a refresh

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 12:00:00

kecamatan_totals holds, per kecamatan, one row of the coverage sums at kecamatan level (the columns a
kecamatan row of outreach.regions.queries._finest_totals yields), so the figures of a province or of the
whole country add up ~7,000 rows instead of every desa. Triggers (SQLite and PostgreSQL alike, written
as in 0012) bump `version` of the desa's kecamatan row in the transaction of every write that moves a
desa's terms: its desa_tally row (logs, refusers, known away, sessions), its official figures or its
kecamatan (both the old and the new one), a desa added or removed. outreach.regions.rollup recomputes the
stale rows (computed_version <> version); reads take the fresh rows and count the desa of the stale ones.
`stale` is that comparison stored (a generated column): PostgreSQL keeps statistics of a column, not of a
comparison of two, and plans the few stale kecamatan's desa as index look-ups only when it knows they are few.

Every kecamatan that has desa gets a stale row here; the scheduler job `kecamatan_totals` or
`flask --app app coverage-rollup` fills them (reads are right meanwhile, only not faster).
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

REASONS = ("luar_negeri", "sekolah_luar_daerah", "bekerja_luar_daerah", "pindah_meninggal", "lainnya")
SUMS = ("wajib", "official", "since", "since_free", "over", "away_in", "menolak_in", "menolak", "planned",
        *[f"away_{r}" for r in REASONS])
TALLY_COLUMNS = ("recorded_since", "menolak", "known_away", *[f"away_{r}" for r in REASONS], "planned")
REGION_COLUMNS = ("wajib_ktp", "sudah_rekam", "target_as_of", "kecamatan_kode", "kabupaten_kode",
                  "provinsi_kode", "level")
BUMP = "ON CONFLICT (kode) DO UPDATE SET version = kecamatan_totals.version + 1"


# ---------------------------------------------------------------- trigger bodies

def _bump_desa(kode: str, extra: str = "") -> str:
    """Bump (or create, stale) the kecamatan row of the desa `kode` (looked up in region)."""
    return (f"INSERT INTO kecamatan_totals (kode, provinsi_kode, kabupaten_kode, version, computed_version) "
            f"SELECT r.kecamatan_kode, r.provinsi_kode, r.kabupaten_kode, 1, 0 FROM region r "
            f"WHERE r.kode = {kode} AND r.level = 'desa' AND r.kecamatan_kode IS NOT NULL{extra} {BUMP}")


def _bump_row(row: str) -> str:
    """Bump (or create, stale) the kecamatan row of the region row `row` (NEW or OLD), when it is a desa."""
    return (f"INSERT INTO kecamatan_totals (kode, provinsi_kode, kabupaten_kode, version, computed_version) "
            f"SELECT {row}.kecamatan_kode, {row}.provinsi_kode, {row}.kabupaten_kode, 1, 0 "
            f"WHERE {row}.level = 'desa' AND {row}.kecamatan_kode IS NOT NULL {BUMP}")


def _stale(kecamatan: str) -> str:
    """Bump an existing row only (after a delete: a missing row has nothing left to recount)."""
    return f"UPDATE kecamatan_totals SET version = version + 1 WHERE kode = {kecamatan}"


def _stale_desa(kode: str) -> str:
    return _stale(f"(SELECT r.kecamatan_kode FROM region r WHERE r.kode = {kode})")


# (name, table, event, condition on NEW/OLD or None, statements); {changed:COLUMNS} in a condition lists
# the columns of which one must differ between OLD and NEW.
TRIGGERS = (
    ("kecamatan_totals_tally_insert", "desa_tally", "INSERT", None, [_bump_desa("NEW.desa_kode")]),
    ("kecamatan_totals_tally_update", "desa_tally", "UPDATE", "{changed:tally}",
     [_bump_desa("NEW.desa_kode"), _bump_desa("OLD.desa_kode", " AND OLD.desa_kode <> NEW.desa_kode")]),
    ("kecamatan_totals_tally_delete", "desa_tally", "DELETE", None, [_stale_desa("OLD.desa_kode")]),
    ("kecamatan_totals_region_insert", "region", "INSERT", "NEW.level = 'desa'", [_bump_row("NEW")]),
    ("kecamatan_totals_region_update", "region", f"UPDATE OF {', '.join(REGION_COLUMNS)}",
     "(OLD.level = 'desa' OR NEW.level = 'desa') AND ({changed:region})",
     [_bump_row("NEW"), f"{_stale('OLD.kecamatan_kode')} AND OLD.level = 'desa' AND "
                        f"(OLD.kecamatan_kode IS DISTINCT FROM NEW.kecamatan_kode OR NEW.level <> 'desa')"]),
    ("kecamatan_totals_region_delete", "region", "DELETE", "OLD.level = 'desa'", [_stale("OLD.kecamatan_kode")]),
)


def _changed(columns, dialect: str) -> str:
    op_ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"NEW.{c} {op_} OLD.{c}" for c in columns)


def _condition(condition: str, dialect: str) -> str:
    return (condition.replace("{changed:tally}", _changed(("desa_kode", *TALLY_COLUMNS), dialect))
            .replace("{changed:region}", _changed(REGION_COLUMNS, dialect)))


def _create_triggers(dialect: str) -> None:
    for name, table, event, condition, statements in TRIGGERS:
        if dialect != "postgresql":
            statements = [s.replace("IS DISTINCT FROM", "IS NOT") for s in statements]
        body = "".join(f"  {s};\n" for s in statements)
        if dialect == "postgresql":
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}"
                       f"  RETURN NULL;\nEND;\n$$")
            when = f" WHEN ({_condition(condition, dialect)})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {name}()")
        else:
            when = f" WHEN {_condition(condition, dialect)}" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}\nBEGIN\n{body}END")


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'kecamatan_totals',
        sa.Column('kode', sa.String(length=8), nullable=False),
        sa.Column('provinsi_kode', sa.String(length=2), nullable=True),
        sa.Column('kabupaten_kode', sa.String(length=5), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('computed_version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('stale', sa.Boolean(), sa.Computed('version <> computed_version', persisted=True), nullable=True),
        sa.Column('as_of', sa.Date(), nullable=True),
        sa.Column('as_of_first', sa.Date(), nullable=True),
        sa.Column('n', sa.Integer(), server_default='0', nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=True) for name in SUMS],
        sa.PrimaryKeyConstraint('kode', name=op.f('pk_kecamatan_totals')),
    )
    op.create_index('ix_kecamatan_totals_kabupaten', 'kecamatan_totals', ['kabupaten_kode'], unique=False)
    op.create_index('ix_kecamatan_totals_provinsi', 'kecamatan_totals', ['provinsi_kode'], unique=False)
    op.execute("INSERT INTO kecamatan_totals (kode, provinsi_kode, kabupaten_kode, version, computed_version) "
               "SELECT kecamatan_kode, min(provinsi_kode), min(kabupaten_kode), 1, 0 FROM region "
               "WHERE level = 'desa' AND kecamatan_kode IS NOT NULL GROUP BY kecamatan_kode")
    _create_triggers(dialect)
    if dialect == "postgresql":
        op.execute("ANALYZE kecamatan_totals")


def downgrade():
    dialect = op.get_bind().dialect.name
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index('ix_kecamatan_totals_provinsi', table_name='kecamatan_totals')
    op.drop_index('ix_kecamatan_totals_kabupaten', table_name='kecamatan_totals')
    op.drop_table('kecamatan_totals')
