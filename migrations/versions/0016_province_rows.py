"""provinces are regions: a row for every province that has kabupaten/kota but no row of its own;
managers at the national office (app_user.national)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:10:00

Regions files of one province leave the province row out; the import now creates it from the official
list of 38 provinces (outreach/regions/provinces.py). This adds the rows an earlier import left out and
hangs the kabupaten/kota under them. Codes outside the official list are left as they are.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    from outreach.regions.provinces import PROVINCES

    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('national', sa.Boolean(), nullable=False, server_default=sa.false()))

    bind = op.get_bind()
    region = sa.table('region', sa.column('kode'), sa.column('nama'), sa.column('level'), sa.column('kind'),
                      sa.column('parent_kode'), sa.column('provinsi_kode'), sa.column('has_boundary'),
                      sa.column('updated_at'))
    present = set(bind.execute(sa.select(region.c.kode).where(region.c.level == 'provinsi')).scalars())
    used = set(bind.execute(sa.select(region.c.provinsi_kode).distinct()).scalars())
    now = datetime.now(timezone.utc)
    for kode in sorted(used - present):
        if kode not in PROVINCES:
            continue
        bind.execute(sa.insert(region).values(kode=kode, nama=PROVINCES[kode], level='provinsi', kind='provinsi',
                                              parent_kode=None, provinsi_kode=kode, has_boundary=False,
                                              updated_at=now))
    bind.execute(sa.update(region).where(region.c.level == 'kabupaten', region.c.parent_kode.is_(None),
                                         region.c.provinsi_kode.in_(list(PROVINCES)))
                 .values(parent_kode=region.c.provinsi_kode))


def downgrade():
    # The province rows are real data now and stay.
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('national')
