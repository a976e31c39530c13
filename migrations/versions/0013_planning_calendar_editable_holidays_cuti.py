"""planning calendar: editable holidays, cuti bersama, regional days, election day, exam weeks

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('first_date', sa.Date(), nullable=False),
        sa.Column('last_date', sa.Date(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('region_kode', sa.String(length=20), server_default='', nullable=False),
        sa.Column('replaces_date', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('last_date >= first_date', name=op.f('ck_calendar_entry_dates_in_order')),
        sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_calendar_entry_created_by_id_app_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_calendar_entry_updated_by_id_app_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_entry')),
        sa.UniqueConstraint('kind', 'region_kode', 'first_date', name='uq_calendar_entry_kind_region_first'),
    )
    with op.batch_alter_table('calendar_entry', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_entry_first_date_last_date', ['first_date', 'last_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_entry_replaces_date'), ['replaces_date'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_entry_replaces_date'))
        batch_op.drop_index('ix_calendar_entry_first_date_last_date')
    op.drop_table('calendar_entry')
