"""imports that keep the valid rows: how many rows an import refused, and where the file listing them waits

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 00:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch') as batch:
        batch.add_column(sa.Column('refused', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('rejects_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch') as batch:
        batch.drop_column('rejects_token')
        batch.drop_column('refused')
