"""job leases: a running job's owner and heartbeat

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:00:00

A running job records which process runs it and renews a heartbeat; the scheduler's sweep takes over a
run whose heartbeat stopped (its process died) and redoes it once.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_run') as batch:
        batch.add_column(sa.Column('owner', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('job_run') as batch:
        batch.drop_column('heartbeat_at')
        batch.drop_column('owner')
