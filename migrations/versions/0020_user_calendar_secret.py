"""area calendar link: a per-user secret for the iCalendar feed of the sessions in the user's area

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 17:30:00

A coordinator, manager or admin subscribes a phone calendar to /kalender/wilayah/<user id>/<secret>.ics.
The secret is random and stored on the user; "Buat tautan baru" replaces it, and so does everything that
ends a user's logins (keluar dari semua perangkat, a password change or reset, a deactivation).
Existing users each get their own secret here.
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('calendar_secret', sa.String(length=64), nullable=True))
    users = sa.table('app_user', sa.column('id', sa.Integer), sa.column('calendar_secret', sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == user_id)
                     .values(calendar_secret=secrets.token_urlsafe(24)))


def downgrade():
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('calendar_secret')
