"""shared values: computed once, shared by every worker and restart

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 00:00:00

shared_value holds pickled values (a dashboard's forecast and team panels of a province or the whole
country, official SIAK series) under a key, with the stamp of the data they came from and when they were
computed (outreach.cache.SharedCache). Rows may be deleted at any time: they are computed again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shared_value',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('stamp', sa.String(length=200), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_shared_value'))
    )


def downgrade():
    op.drop_table('shared_value')
