"""revocable logins: a per-user session version carried by every login

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:30:00

Every session and remember-me cookie carries "user id.session version"; a password reset, a
deactivation or "keluar dari semua perangkat" bumps the version, so every earlier login stops working.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('session_version')
