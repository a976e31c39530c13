"""ledger: obstacles apart (known-away reasons, refusers) and the planned share

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00

- Known-away reasons: the one reason for students and workers outside the region ("luar_daerah") is
  split into "sekolah_luar_daerah" and "bekerja_luar_daerah". Existing rows and log columns carry over
  to "bekerja_luar_daerah" (the old label read "Sekolah/bekerja di luar daerah"; most of those counted are
  of working age): turnout_log.away_luar_daerah is renamed, known_away rows change reason (merged when
  the desa already has a row of the new reason), and turnout_log gets away_sekolah_luar_daerah.
- Refusers: residents who refused to record (turnout_log.not_recorded_tidak_bersedia of the logs after
  the desa's SIAK as-of date) are a figure of their own per desa, less those the coordinator followed up
  (new table refuser_followup).
- Planned share: recording_session.pool says which pool a session's expected turnout is drawn from
  ('desa', or 'sekolah' for a school with a counted pemilih pemula pool; backfilled from the site), and
  desa_tally.planned keeps Σ expected turnout of the desa's open sessions drawing on the desa's pool.
- plan_proposal.accept_outcome keeps what accepting a proposal did (the page after a reload shows it).
- desa_tally is rebuilt with the new columns (recorded_since, menolak, known_away, away_<reason>,
  planned) and its triggers are recreated for them, on SQLite and PostgreSQL alike (see 0009 for how the
  triggers keep the sums in the transaction of each write).
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_REASONS = ("luar_negeri", "luar_daerah", "pindah_meninggal", "lainnya")
REASONS = ("luar_negeri", "sekolah_luar_daerah", "bekerja_luar_daerah", "pindah_meninggal", "lainnya")
OPEN = "('rencana','terkonfirmasi','ditunda')"
SNAPSHOT_TERMS = ("recorded_over_target", "known_away_in_backlog", "menolak", "menolak_in_backlog", "planned")
EPOCH = "'1900-01-01'"
OLD_TRIGGERS = (("desa_tally_log_insert", "turnout_log"), ("desa_tally_log_update", "turnout_log"),
                ("desa_tally_log_delete", "turnout_log"), ("desa_tally_away_insert", "known_away"),
                ("desa_tally_away_update", "known_away"), ("desa_tally_away_delete", "known_away"),
                ("desa_tally_region_insert", "region"), ("desa_tally_region_as_of", "region"))


def _count_columns(reasons) -> list[str]:
    return (["recorded_pemilih_pemula", "recorded_umum", "recorded_lansia_disabilitas", "recorded_l", "recorded_p",
             "not_recorded_tidak_ditemukan_siak", "not_recorded_sudah_rekam", "not_recorded_belum_cukup_umur",
             "not_recorded_gangguan_alat_jaringan", "not_recorded_tidak_bersedia"]
            + [f"away_{r}" for r in reasons] + ["recorded_total"])


def _nonneg(reasons) -> str:
    return " AND ".join(f"{c} >= 0" for c in _count_columns(reasons))


# ---------------------------------------------------------------- trigger bodies

def _as_of(kode: str) -> str:
    return f"coalesce((SELECT target_as_of FROM region WHERE kode = {kode}), {EPOCH})"


def _ensure(kode: str) -> str:
    return f"INSERT INTO desa_tally (desa_kode) VALUES ({kode}) ON CONFLICT (desa_kode) DO NOTHING"


def _log_delta(row: str, sign: str) -> str:
    return (f"UPDATE desa_tally SET recorded_since = recorded_since {sign} {row}.recorded_total, "
            f"menolak = menolak {sign} {row}.not_recorded_tidak_bersedia "
            f"WHERE desa_kode = {row}.desa_kode AND {row}.session_date > {_as_of(row + '.desa_kode')}")


def _away_delta(row: str, sign: str) -> str:
    parts = [f"known_away = known_away {sign} {row}.count"]
    parts += [f"away_{r} = away_{r} {sign} (CASE WHEN {row}.reason = '{r}' THEN {row}.count ELSE 0 END)"
              for r in REASONS]
    return f"UPDATE desa_tally SET {', '.join(parts)} WHERE desa_kode = {row}.desa_kode"


def _followup_delta(row: str, sign: str) -> str:
    return (f"UPDATE desa_tally SET menolak = menolak {sign} {row}.count "
            f"WHERE desa_kode = {row}.desa_kode AND {row}.followed_on > {_as_of(row + '.desa_kode')}")


def _planned_delta(row: str, sign: str) -> str:
    return (f"UPDATE desa_tally SET planned = planned {sign} {row}.expected_turnout "
            f"WHERE desa_kode = {row}.desa_kode AND {row}.status IN {OPEN} AND {row}.pool = 'desa'")


def _since_of(kode: str, as_of: str) -> str:
    return (f"(SELECT coalesce(sum(l.recorded_total), 0) FROM turnout_log l "
            f"WHERE l.desa_kode = {kode} AND l.session_date > coalesce({as_of}, {EPOCH}))")


def _menolak_of(kode: str, as_of: str) -> str:
    return (f"((SELECT coalesce(sum(l.not_recorded_tidak_bersedia), 0) FROM turnout_log l "
            f"WHERE l.desa_kode = {kode} AND l.session_date > coalesce({as_of}, {EPOCH})) - "
            f"(SELECT coalesce(sum(f.count), 0) FROM refuser_followup f "
            f"WHERE f.desa_kode = {kode} AND f.followed_on > coalesce({as_of}, {EPOCH})))")


def _away_of(kode: str, reason=None) -> str:
    extra = f" AND k.reason = '{reason}'" if reason else ""
    return f"(SELECT coalesce(sum(k.count), 0) FROM known_away k WHERE k.desa_kode = {kode}{extra})"


def _planned_of(kode: str) -> str:
    return (f"(SELECT coalesce(sum(s.expected_turnout), 0) FROM recording_session s "
            f"WHERE s.desa_kode = {kode} AND s.status IN {OPEN} AND s.pool = 'desa')")


def _recount(kode: str, as_of: str, everything: bool) -> str:
    parts = [f"recorded_since = {_since_of(kode, as_of)}", f"menolak = {_menolak_of(kode, as_of)}"]
    if everything:
        parts.append(f"known_away = {_away_of(kode)}")
        parts += [f"away_{r} = {_away_of(kode, r)}" for r in REASONS]
        parts.append(f"planned = {_planned_of(kode)}")
    return f"UPDATE desa_tally SET {', '.join(parts)} WHERE desa_kode = {kode}"


# (name, table, event, condition on NEW/OLD or None, statements)
TRIGGERS = (
    ("desa_tally_log_insert", "turnout_log", "INSERT", None,
     [_ensure("NEW.desa_kode"), _log_delta("NEW", "+")]),
    ("desa_tally_log_update", "turnout_log",
     "UPDATE OF recorded_total, not_recorded_tidak_bersedia, session_date, desa_kode", None,
     [_log_delta("OLD", "-"), _ensure("NEW.desa_kode"), _log_delta("NEW", "+")]),
    ("desa_tally_log_delete", "turnout_log", "DELETE", None, [_log_delta("OLD", "-")]),
    ("desa_tally_away_insert", "known_away", "INSERT", None,
     [_ensure("NEW.desa_kode"), _away_delta("NEW", "+")]),
    ("desa_tally_away_update", "known_away", "UPDATE OF count, reason, desa_kode", None,
     [_away_delta("OLD", "-"), _ensure("NEW.desa_kode"), _away_delta("NEW", "+")]),
    ("desa_tally_away_delete", "known_away", "DELETE", None, [_away_delta("OLD", "-")]),
    ("desa_tally_followup_insert", "refuser_followup", "INSERT", None,
     [_ensure("NEW.desa_kode"), _followup_delta("NEW", "-")]),
    ("desa_tally_followup_update", "refuser_followup", "UPDATE OF count, followed_on, desa_kode", None,
     [_followup_delta("OLD", "+"), _ensure("NEW.desa_kode"), _followup_delta("NEW", "-")]),
    ("desa_tally_followup_delete", "refuser_followup", "DELETE", None, [_followup_delta("OLD", "+")]),
    ("desa_tally_session_insert", "recording_session", "INSERT", None,
     [_ensure("NEW.desa_kode"), _planned_delta("NEW", "+")]),
    ("desa_tally_session_update", "recording_session", "UPDATE OF expected_turnout, status, pool, desa_kode",
     None, [_planned_delta("OLD", "-"), _ensure("NEW.desa_kode"), _planned_delta("NEW", "+")]),
    ("desa_tally_session_delete", "recording_session", "DELETE", None, [_planned_delta("OLD", "-")]),
    ("desa_tally_region_insert", "region", "INSERT", "NEW.level = 'desa'",
     [_ensure("NEW.kode"), _recount("NEW.kode", "NEW.target_as_of", everything=True)]),
    ("desa_tally_region_as_of", "region", "UPDATE OF target_as_of", "NEW.level = 'desa' AND {changed}",
     [_ensure("NEW.kode"), _recount("NEW.kode", "NEW.target_as_of", everything=False)]),
)


def _create_triggers(dialect: str) -> None:
    for name, table, event, condition, statements in TRIGGERS:
        body = "".join(f"  {s};\n" for s in statements)
        if dialect == "postgresql":
            changed = "NEW.target_as_of IS DISTINCT FROM OLD.target_as_of"
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}"
                       f"  RETURN NULL;\nEND;\n$$")
            when = f" WHEN ({condition.format(changed=changed)})" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {name}()")
        else:
            changed = "NEW.target_as_of IS NOT OLD.target_as_of"
            when = f" WHEN {condition.format(changed=changed)}" if condition else ""
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when}\nBEGIN\n{body}END")


def _drop_triggers(names_tables, dialect: str) -> None:
    for name, table in names_tables:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _tally_table(reasons, extra: bool) -> None:
    columns = [sa.Column('desa_kode', sa.String(length=20), nullable=False),
               sa.Column('recorded_since', sa.Integer(), server_default='0', nullable=False)]
    if extra:
        columns.append(sa.Column('menolak', sa.Integer(), server_default='0', nullable=False))
    columns.append(sa.Column('known_away', sa.Integer(), server_default='0', nullable=False))
    columns += [sa.Column(f'away_{r}', sa.Integer(), server_default='0', nullable=False) for r in reasons]
    if extra:
        columns.append(sa.Column('planned', sa.Integer(), server_default='0', nullable=False))
    op.create_table('desa_tally', *columns, sa.PrimaryKeyConstraint('desa_kode', name=op.f('pk_desa_tally')),
                    sqlite_with_rowid=False)


def upgrade():
    dialect = op.get_bind().dialect.name
    _drop_triggers(OLD_TRIGGERS, dialect)

    # Known-away reasons: luar_daerah -> bekerja_luar_daerah (merged into an existing row of that reason).
    op.execute("UPDATE known_away SET count = count + (SELECT o.count FROM known_away o WHERE o.desa_kode = "
               "known_away.desa_kode AND o.reason = 'luar_daerah') WHERE reason = 'bekerja_luar_daerah' AND "
               "EXISTS (SELECT 1 FROM known_away o WHERE o.desa_kode = known_away.desa_kode "
               "AND o.reason = 'luar_daerah')")
    op.execute("DELETE FROM known_away WHERE reason = 'luar_daerah' AND EXISTS (SELECT 1 FROM known_away n "
               "WHERE n.desa_kode = known_away.desa_kode AND n.reason = 'bekerja_luar_daerah')")
    op.execute("UPDATE known_away SET reason = 'bekerja_luar_daerah' WHERE reason = 'luar_daerah'")
    # Any other reason a bulk load may have left is "lainnya" (merged likewise); from now on the database
    # refuses a reason it does not know.
    known = ", ".join(f"'{r}'" for r in REASONS)
    op.execute(f"UPDATE known_away SET count = count + (SELECT coalesce(sum(o.count), 0) FROM known_away o "
               f"WHERE o.desa_kode = known_away.desa_kode AND o.reason NOT IN ({known})) WHERE reason = 'lainnya'")
    op.execute(f"DELETE FROM known_away WHERE reason NOT IN ({known}) AND EXISTS (SELECT 1 FROM known_away n "
               f"WHERE n.desa_kode = known_away.desa_kode AND n.reason = 'lainnya')")
    op.execute(f"UPDATE known_away SET reason = 'lainnya' WHERE reason NOT IN ({known})")
    with op.batch_alter_table('known_away') as batch:
        batch.create_check_constraint(op.f('ck_known_away_reason_valid'), f"reason IN ({known})")

    with op.batch_alter_table('turnout_log') as batch:
        batch.drop_constraint(op.f('ck_turnout_log_counts_nonneg'), type_='check')
        batch.alter_column('away_luar_daerah', new_column_name='away_bekerja_luar_daerah',
                           existing_type=sa.Integer(), existing_nullable=False, existing_server_default='0')
        batch.add_column(sa.Column('away_sekolah_luar_daerah', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('turnout_log') as batch:
        batch.create_check_constraint(op.f('ck_turnout_log_counts_nonneg'), _nonneg(REASONS))

    op.create_table(
        'refuser_followup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('desa_kode', sa.String(length=20), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('followed_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('count > 0', name=op.f('ck_refuser_followup_count_positive')),
        sa.ForeignKeyConstraint(['desa_kode'], ['region.kode'], name=op.f('fk_refuser_followup_desa_kode_region')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_refuser_followup_user_id_app_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refuser_followup')),
    )
    op.create_index(op.f('ix_refuser_followup_desa_kode'), 'refuser_followup', ['desa_kode'], unique=False)

    with op.batch_alter_table('recording_session') as batch:
        batch.add_column(sa.Column('pool', sa.String(length=10), server_default='desa', nullable=False))
        batch.add_column(sa.Column('mop_up_absentees', sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f('ck_recording_session_pool_valid'), "pool IN ('desa','sekolah')")
    op.execute("UPDATE recording_session SET pool = 'sekolah' WHERE site_id IN "
               "(SELECT id FROM site WHERE type = 'sekolah' AND pemilih_pemula IS NOT NULL)")

    with op.batch_alter_table('plan_proposal') as batch:
        batch.add_column(sa.Column('accept_outcome', sa.JSON(), nullable=True))

    # Snapshots keep every term of the ledger; earlier rows get theirs from their own figures (their
    # estimate was capped per desa and their reachable backlog was the backlog less the known away).
    with op.batch_alter_table('coverage_snapshot') as batch:
        for name in SNAPSHOT_TERMS:
            batch.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE coverage_snapshot SET recorded_over_target = CASE WHEN sudah_rekam_official + "
               "recorded_since > sudah_rekam_estimated THEN sudah_rekam_official + recorded_since - "
               "sudah_rekam_estimated ELSE 0 END, known_away_in_backlog = CASE WHEN backlog > reachable_backlog "
               "THEN backlog - reachable_backlog ELSE 0 END")

    op.drop_table('desa_tally')
    _tally_table(REASONS, extra=True)
    away = ", ".join(_away_of("r.kode", r) for r in REASONS)
    op.execute(f"INSERT INTO desa_tally (desa_kode, recorded_since, menolak, known_away, "
               f"{', '.join('away_' + r for r in REASONS)}, planned) "
               f"SELECT r.kode, {_since_of('r.kode', 'r.target_as_of')}, {_menolak_of('r.kode', 'r.target_as_of')}, "
               f"{_away_of('r.kode')}, {away}, {_planned_of('r.kode')} FROM region r WHERE r.level = 'desa'")
    _create_triggers(dialect)


def downgrade():
    dialect = op.get_bind().dialect.name
    _drop_triggers([(name, table) for name, table, *_ in TRIGGERS], dialect)
    op.drop_table('desa_tally')
    with op.batch_alter_table('coverage_snapshot') as batch:
        for name in SNAPSHOT_TERMS:
            batch.drop_column(name)
    with op.batch_alter_table('plan_proposal') as batch:
        batch.drop_column('accept_outcome')
    with op.batch_alter_table('recording_session') as batch:
        batch.drop_constraint(op.f('ck_recording_session_pool_valid'), type_='check')
        batch.drop_column('mop_up_absentees')
        batch.drop_column('pool')
    op.drop_index(op.f('ix_refuser_followup_desa_kode'), table_name='refuser_followup')
    op.drop_table('refuser_followup')
    # Students and workers outside the region become one reason again.
    op.execute("UPDATE turnout_log SET away_bekerja_luar_daerah = away_bekerja_luar_daerah + away_sekolah_luar_daerah")
    with op.batch_alter_table('turnout_log') as batch:
        batch.drop_constraint(op.f('ck_turnout_log_counts_nonneg'), type_='check')
        batch.drop_column('away_sekolah_luar_daerah')
        batch.alter_column('away_bekerja_luar_daerah', new_column_name='away_luar_daerah',
                           existing_type=sa.Integer(), existing_nullable=False, existing_server_default='0')
    with op.batch_alter_table('turnout_log') as batch:
        batch.create_check_constraint(op.f('ck_turnout_log_counts_nonneg'), _nonneg(OLD_REASONS))
    op.execute("UPDATE known_away SET count = count + (SELECT o.count FROM known_away o WHERE o.desa_kode = "
               "known_away.desa_kode AND o.reason = 'sekolah_luar_daerah') WHERE reason = 'bekerja_luar_daerah' "
               "AND EXISTS (SELECT 1 FROM known_away o WHERE o.desa_kode = known_away.desa_kode "
               "AND o.reason = 'sekolah_luar_daerah')")
    op.execute("DELETE FROM known_away WHERE reason = 'sekolah_luar_daerah' AND EXISTS (SELECT 1 FROM known_away n "
               "WHERE n.desa_kode = known_away.desa_kode AND n.reason = 'bekerja_luar_daerah')")
    with op.batch_alter_table('known_away') as batch:
        batch.drop_constraint(op.f('ck_known_away_reason_valid'), type_='check')
    op.execute("UPDATE known_away SET reason = 'luar_daerah' WHERE reason IN ('bekerja_luar_daerah', "
               "'sekolah_luar_daerah')")
    # Recreate 0009's tally and triggers.
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).with_name("0009_desa_tally.py")
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    m0009 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0009)
    _tally_table(OLD_REASONS, extra=False)
    away = ", ".join(m0009._away_of("r.kode", r) for r in OLD_REASONS)
    op.execute(f"INSERT INTO desa_tally (desa_kode, recorded_since, known_away, "
               f"{', '.join('away_' + r for r in OLD_REASONS)}) "
               f"SELECT r.kode, {m0009._since_of('r.kode', 'r.target_as_of')}, {m0009._away_of('r.kode')}, {away} "
               f"FROM region r WHERE r.level = 'desa'")
    m0009._create_triggers(dialect)
