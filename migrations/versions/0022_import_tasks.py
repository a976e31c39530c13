"""import tasks: large admin uploads processed in the background with their progress

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09 10:00:00

import_task: one uploaded file (kept on disk under instance/uploads, named here) on its way through the
background runner (outreach/imports/tasks.py): what to import and how, its state, phase and done/total, its
heartbeat, the report's summary and the ImportBatch it produced.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('stored_name', sa.String(length=40), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('commit', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('phase', sa.String(length=80), nullable=False),
    sa.Column('done', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('menunggu','berjalan','selesai','gagal')", name=op.f('ck_import_task_state_valid')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_task_batch_id_import_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_import_task_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_task'))
    )
    with op.batch_alter_table('import_task', schema=None) as batch_op:
        batch_op.create_index('ix_import_task_state_id', ['state', 'id'], unique=False)
        batch_op.create_index('ix_import_task_user_id', ['user_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_task', schema=None) as batch_op:
        batch_op.drop_index('ix_import_task_user_id')
        batch_op.drop_index('ix_import_task_state_id')
    op.drop_table('import_task')
