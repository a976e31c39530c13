"""region shapes: simplified boundaries per zoom bucket, shared by every worker

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 10:00:00

region_shape holds, per region and zoom bucket (5..12), the bounds of its boundary and the simplified,
rounded GeoJSON the map API sends. The table starts empty: the maps draw from the old per-process path
(and log it) until `flask --app app build-map-shapes` has filled it; the boundary import and seed-demo
keep it up to date afterwards. region gets an index for the regions a map draws as their centroid.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('region_shape',
    sa.Column('kode', sa.String(length=20), nullable=False),
    sa.Column('bucket', sa.SmallInteger(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('west', sa.Float(), nullable=True),
    sa.Column('south', sa.Float(), nullable=True),
    sa.Column('east', sa.Float(), nullable=True),
    sa.Column('north', sa.Float(), nullable=True),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['kode'], ['region.kode'], name=op.f('fk_region_shape_kode_region'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kode', 'bucket', name=op.f('pk_region_shape'))
    )
    with op.batch_alter_table('region_shape', schema=None) as batch_op:
        batch_op.create_index('ix_region_shape_view', ['level', 'bucket', 'west', 'east', 'south', 'north', 'kode'],
                              unique=False)
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index('ix_region_level_point', ['level', 'has_boundary', 'lng', 'lat', 'kode'], unique=False)


def downgrade():
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index('ix_region_level_point')
    with op.batch_alter_table('region_shape', schema=None) as batch_op:
        batch_op.drop_index('ix_region_shape_view')
    op.drop_table('region_shape')
