"""visit requests and site confirmations

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:42:51

visit_request: a request for a visit from the public form or the public API, with its personal data (erased
after closing) and its way through the coordinator's queue. recording_session gets the site contact's
answer to "Minta konfirmasi" (status, the signed link's nonce, when asked/answered/reminded, a proposed
date and a note).
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('desa_kode', sa.String(length=20), nullable=False),
    sa.Column('kecamatan_kode', sa.String(length=8), nullable=False),
    sa.Column('kabupaten_kode', sa.String(length=5), nullable=False),
    sa.Column('provinsi_kode', sa.String(length=2), nullable=False),
    sa.Column('rt', sa.Integer(), nullable=True),
    sa.Column('rw', sa.Integer(), nullable=True),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('requester_name', sa.String(length=120), nullable=False),
    sa.Column('relation', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('phone_last4', sa.String(length=4), nullable=False),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('rumah_lansia','rumah_sakit','rumah_disabilitas','rumah_odgj','sekolah','pesantren','panti','lapas','perusahaan','lembaga_lain','rt_rw')", name=op.f('ck_visit_request_kind_valid')),
    sa.CheckConstraint("status IN ('baru','diverifikasi','dijadwalkan','selesai','ditolak')", name=op.f('ck_visit_request_status_valid')),
    sa.CheckConstraint('people >= 1', name=op.f('ck_visit_request_people_positive')),
    sa.ForeignKeyConstraint(['desa_kode'], ['region.kode'], name=op.f('fk_visit_request_desa_kode_region')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['app_user.id'], name=op.f('fk_visit_request_handled_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['recording_session.id'], name=op.f('fk_visit_request_session_id_recording_session'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_visit_request_site_id_site'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_request')),
    sa.UniqueConstraint('code', name=op.f('uq_visit_request_code'))
    )
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.create_index('ix_visit_request_closed', ['status', 'closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_request_desa_kode'), ['desa_kode'], unique=False)
        batch_op.create_index('ix_visit_request_kabupaten_status', ['kabupaten_kode', 'status'], unique=False)
        batch_op.create_index('ix_visit_request_kecamatan_status', ['kecamatan_kode', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_visit_request_phone_status', ['phone', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_request_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('recording_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_status', sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column('confirmation_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('confirmation_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmation_answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmation_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmation_proposed_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('confirmation_note', sa.Text(), server_default='', nullable=False))
    # SQLite cannot add a CHECK without rebuilding the table, which its ledger triggers (0012) forbid;
    # there the model's validation alone keeps the status valid (a new database gets the CHECK anyway).
    if op.get_bind().dialect.name != 'sqlite':
        op.create_check_constraint(
            op.f('ck_recording_session_confirmation_valid'), 'recording_session',
            "confirmation_status IS NULL OR confirmation_status IN "
            "('diminta','menunggu','terkonfirmasi','jadwal_ulang','ditolak')")



def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_recording_session_confirmation_valid'), 'recording_session', type_='check')
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would trip over the ledger triggers on SQLite.
    for column in ('confirmation_note', 'confirmation_proposed_date', 'confirmation_reminded_at',
                   'confirmation_answered_at', 'confirmation_requested_at', 'confirmation_nonce',
                   'confirmation_status'):
        op.execute(f'ALTER TABLE recording_session DROP COLUMN {column}')

    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_request_session_id'))
        batch_op.drop_index('ix_visit_request_phone_status')
        batch_op.drop_index('ix_visit_request_kecamatan_status')
        batch_op.drop_index('ix_visit_request_kabupaten_status')
        batch_op.drop_index(batch_op.f('ix_visit_request_desa_kode'))
        batch_op.drop_index('ix_visit_request_closed')

    op.drop_table('visit_request')
