"""team figures: how long after its session ended each turnout log was first stored

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:00:00

A log is late when it was first stored more than LATE_LOG_HOURS after its session's last day ended
(outreach.field.rules.sent_late). The team figures counted that from each logged session's row and its
log's row (the session's end and the log's first store are in no index): 0.1 s a year of sessions on a
province. turnout_log.hours_after_end keeps the hours from the end (in the office zone) to the first
store, written by the field service when a log is first saved, and the team figures' covering index
(session_date, session_id, recorded_total, kit_hours) gets it too, so late logs are one more sum over
index entries. Existing logs are backfilled from their created_at and their session's end.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_INDEX = ['session_date', 'session_id', 'recorded_total', 'kit_hours']
NEW_INDEX = OLD_INDEX + ['hours_after_end']


def _zone_name() -> str:
    try:
        from flask import current_app
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta"
    except RuntimeError:  # outside an application context
        name = "Asia/Jakarta"
    ZoneInfo(name)  # raises on an unknown name
    return name


def hours_after_end_sql(dialect: str, zone: str) -> str:
    """SQL: hours from the session's end (its last day at end_time, office zone) to the log's created_at,
    for a turnout_log row (`s` is its recording_session)."""
    if dialect == "postgresql":
        ended = f"timezone('{zone}', coalesce(s.end_date, s.date) + s.end_time)"
        return f"extract(epoch FROM turnout_log.created_at - {ended}) / 3600.0"
    offset = int(ZoneInfo(zone).utcoffset(datetime(2026, 1, 1)).total_seconds() // 60)
    ended = f"datetime(coalesce(s.end_date, s.date) || ' ' || s.end_time, '{-offset:+d} minutes')"
    return f"round((julianday(turnout_log.created_at) - julianday({ended})) * 24.0, 6)"


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column('turnout_log', sa.Column('hours_after_end', sa.Float(), nullable=True))
    value = hours_after_end_sql(dialect, _zone_name())
    op.execute(f"UPDATE turnout_log SET hours_after_end = (SELECT {value} FROM recording_session s "
               f"WHERE s.id = turnout_log.session_id)")
    op.drop_index('ix_turnout_log_date_session', table_name='turnout_log')
    op.create_index('ix_turnout_log_date_session', 'turnout_log', NEW_INDEX, unique=False)


def downgrade():
    op.drop_index('ix_turnout_log_date_session', table_name='turnout_log')
    op.create_index('ix_turnout_log_date_session', 'turnout_log', OLD_INDEX, unique=False)
    op.drop_column('turnout_log', 'hours_after_end')  # no table rebuild: SQLite drops a column in place
