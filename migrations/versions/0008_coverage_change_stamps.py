"""coverage: indexes on recording_session.updated_at and site.updated_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 01:45:00

The coverage figures cache (outreach.regions.queries.cached) checks, before reusing team and pemilih
pemula figures, the newest updated_at of sessions and sites: with these indexes that is one index
look-up each instead of a walk through every row.
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_recording_session_updated_at', 'recording_session', ['updated_at']),
    ('ix_site_updated_at', 'site', ['updated_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
