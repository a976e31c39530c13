"""forced password change: a user whose password an admin reset must choose a new one

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:30:00

After an admin sets a user's password, the user's next login leads to "Ganti kata sandi" and every
other page (and the API with a session login) waits until the user has chosen a password of their own.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('must_change_password')
