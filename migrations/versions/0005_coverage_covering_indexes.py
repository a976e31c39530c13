"""coverage: covering indexes for the live coverage figures

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 01:00:00

The coverage figures (outreach.regions.queries) read, per desa, the official figures of the region row,
SUM(recorded_total) of its turnout logs after the official as-of date, and its known-away counts; the
forecast sums the logs of the last weeks per kecamatan; "data per" reads the newest log change; the
pemilih pemula figures sum the schools per kecamatan; the figures cache checks the newest updated_at of
logs, known-away and region rows (with boundaries, a region row's updated_at sits behind its large
boundary text: the index spares reading it). With every column they read inside an index,
those reads never touch the tables (SQLite) or become index-only scans (PostgreSQL), which keeps the
province-wide figures fast; it also keeps the large `boundary` text of region rows out of the way.
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_turnout_log_desa_date_total', 'turnout_log', ['desa_kode', 'session_date', 'recorded_total']),
    ('ix_turnout_log_date_kecamatan_total', 'turnout_log', ['session_date', 'kecamatan_kode', 'recorded_total']),
    ('ix_turnout_log_updated_at', 'turnout_log', ['updated_at']),
    ('ix_recording_session_status_date', 'recording_session', ['status', 'date']),
    ('ix_known_away_desa_reason_count', 'known_away', ['desa_kode', 'reason', 'count']),
    ('ix_known_away_updated_at', 'known_away', ['updated_at']),
    ('ix_region_updated_at', 'region', ['updated_at']),
    ('ix_site_school_pemilih_pemula', 'site', ['type', 'active', 'kecamatan_kode', 'pemilih_pemula',
                                               'pemilih_pemula_recorded']),
    ('ix_region_coverage', 'region', ['level', 'kabupaten_kode', 'kecamatan_kode', 'kode', 'provinsi_kode',
                                      'wajib_ktp', 'sudah_rekam', 'target_as_of']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
