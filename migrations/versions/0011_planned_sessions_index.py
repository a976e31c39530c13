"""coverage: the (status, date) index of sessions also covers their site and expected turnout

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 05:00:00

The pemilih pemula figures sum, per school, the open sessions dated from today to the cut-off (site_id,
expected_turnout). With those two columns in the (status, date) index that sum never reads a session's
table row; the overdue-log counts, which used the (status, date) index, read the wider one the same way.
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_recording_session_status_date_site', 'recording_session',
                    ['status', 'date', 'site_id', 'expected_turnout'], unique=False)
    op.drop_index('ix_recording_session_status_date', table_name='recording_session')


def downgrade():
    op.create_index('ix_recording_session_status_date', 'recording_session', ['status', 'date'], unique=False)
    op.drop_index('ix_recording_session_status_date_site', table_name='recording_session')
