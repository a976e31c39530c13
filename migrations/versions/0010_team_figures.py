"""coverage: kit-hours stored on each turnout log, covering indexes for the team figures

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 05:00:00

The team figures (outreach.coverage.queries.team_figures) summed, per team, kits used × hours worked of
the period's logs, computing both from every log's row (the kit_ids JSON, julianday / epoch arithmetic
on started_at and ended_at). turnout_log.kit_hours now keeps that product, written by the field service
when a log is saved or corrected (outreach.field.service), so the figures read only index entries:

- ix_recording_session_date_team: the period's sessions with their team, status and expected turnout;
- ix_turnout_log_date_session: the period's logs with their session, recorded total and kit-hours.

The backfill computes what the service stores: len(kit_ids) × outreach.field.rules.hours_worked on the
local (office zone) times: one local day: end − start; several local days: the daily hours (time of
day at the end − at the start) times the days, unless that is not positive (then end − start).
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_recording_session_date_team', 'recording_session', ['date', 'team_id', 'status', 'expected_turnout', 'id']),
    ('ix_turnout_log_date_session', 'turnout_log', ['session_date', 'session_id', 'recorded_total', 'kit_hours']),
)


def _zone_name() -> str:
    """The office zone of the app (BABEL_DEFAULT_TIMEZONE), checked to be a real zone name."""
    try:
        from flask import current_app
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta"
    except RuntimeError:  # outside an application context
        name = "Asia/Jakarta"
    ZoneInfo(name)  # raises on an unknown name (and so on anything that is not a plain zone name)
    return name


def _hours(span: str, days_apart: str, greatest: str) -> str:
    """SQL of rules.hours_worked from the span in hours and the local days between start and end."""
    daily = f"({span} - 24 * {days_apart})"
    return (f"CASE WHEN {days_apart} < 1 THEN {greatest}({span}, 0) "
            f"WHEN {daily} > 0 THEN ({days_apart} + 1) * {daily} "
            f"ELSE {greatest}({span}, 0) END")


def kit_hours_sql(dialect: str, zone: str) -> str:
    """SQL: kits used × hours worked of a turnout_log row (the service's value, see the module docstring)."""
    if dialect == "postgresql":
        span = "(extract(epoch FROM ended_at - started_at) / 3600.0)"
        local = "(({col} AT TIME ZONE '{zone}')::date)"
        days_apart = f"({local.format(col='ended_at', zone=zone)} - {local.format(col='started_at', zone=zone)})"
        hours = _hours(span, days_apart, "greatest")
    else:
        # SQLite keeps the times as UTC text; the office zones of Indonesia keep one offset all year.
        offset = int(ZoneInfo(zone).utcoffset(datetime(2026, 1, 1)).total_seconds() // 60)
        span = "(round((julianday(ended_at) - julianday(started_at)) * 86400.0, 3) / 3600.0)"
        local = "julianday(date({col}, '{offset:+d} minutes'))"
        days_apart = (f"({local.format(col='ended_at', offset=offset)} - "
                      f"{local.format(col='started_at', offset=offset)})")
        hours = _hours(span, days_apart, "max")
    return f"coalesce(json_array_length(kit_ids), 0) * ({hours})"


def upgrade():
    op.add_column('turnout_log', sa.Column('kit_hours', sa.Float(), server_default='0', nullable=False))
    dialect = op.get_bind().dialect.name
    value = kit_hours_sql(dialect, _zone_name())
    if dialect == "postgresql":
        # A "type change" to the same type rewrites the table once with the computed values: an UPDATE
        # of every row would leave a dead copy of each row and index entry behind (table and indexes
        # twice their size until a VACUUM FULL, which makes the planner's estimates worse too).
        op.execute(f"ALTER TABLE turnout_log ALTER COLUMN kit_hours TYPE double precision USING {value}")
    else:
        op.execute(f"UPDATE turnout_log SET kit_hours = {value}")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    if dialect == "postgresql":
        # A rewritten table has no visibility map yet: until a vacuum, the "index-only" scans of the team
        # figures would visit the table for every log after all.
        with op.get_context().autocommit_block():
            op.execute("VACUUM (ANALYZE) turnout_log")


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column('turnout_log', 'kit_hours')
