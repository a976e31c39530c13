"""site unavailable dates (planner: days a site cannot host a session)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 01:38:13.970140

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unavailable_dates', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('unavailable_dates')
