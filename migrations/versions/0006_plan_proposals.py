"""planner: stored proposals (usulan jadwal)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 01:24:31.800225

A proposal keeps the planner's request and result as JSON until the coordinator accepts the items
kept; `accepted_session_ids` lists the sessions that acceptance created.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('region_kode', sa.String(length=20), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_session_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_plan_proposal_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_proposal'))
    )
    with op.batch_alter_table('plan_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_proposal_region_kode'), ['region_kode'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_proposal_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_proposal_user_id'))
        batch_op.drop_index(batch_op.f('ix_plan_proposal_region_kode'))
    op.drop_table('plan_proposal')
