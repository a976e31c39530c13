"""create-user and create-token."""
import click
import sqlalchemy as sa

from outreach.admin import team_calendar
from outreach.admin.service import validate_scope
from outreach.permissions import NATIONAL_SCOPE
from outreach.auth.passwords import password_problem
from outreach.extensions import db
from outreach.models import ApiToken, Region, Team, User
from outreach.vocab import ROLES


def register(app):
    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--scope", "scope", default=None, help="Kode wilayah cakupan, mis. 33.74.01; 'nasional' untuk manajer kantor pusat")
    @click.option("--team", "team_name", default=None, help="Nama tim (untuk peran field)")
    @click.option("--name", default="", help="Nama lengkap")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user(username, role, scope, team_name, name, password):
        """Create a user (or reset an existing one's password, role and scope)."""
        team = None
        if team_name:
            team = db.session.scalar(sa.select(Team).where(Team.nama == team_name))
            if team is None:
                raise click.ClickException(f"Tim '{team_name}' tidak ditemukan.")
        national = bool(scope) and scope.lower() == NATIONAL_SCOPE
        if national:
            scope = None
        if scope and db.session.get(Region, scope) is None:
            raise click.ClickException(f"Wilayah dengan kode '{scope}' tidak ditemukan. Impor wilayah dahulu.")
        problem = validate_scope(role, scope, team, national)
        if problem:
            raise click.ClickException(problem)
        problem = password_problem(password, role, username)
        if problem:
            raise click.ClickException(problem[0] % problem[1])
        user = db.session.scalar(sa.select(User).where(User.username == username))
        created = user is None
        member_of = None if created else team_calendar.member_team_id(user)
        if created:
            user = User(username=username)
            db.session.add(user)
        user.role, user.scope_kode, user.team = role, scope, team
        user.national = national and role == "manager"
        user.name = name or user.name or username
        if not created:
            user.end_logins()  # a new password ends the logins made with the old one
        user.set_password(password)
        db.session.flush()
        team_calendar.membership_change(member_of, user, None)  # a member joined or left: new iCal link
        db.session.commit()
        click.echo(f"Pengguna {username} {'dibuat' if created else 'diperbarui'} (peran {role}).")

    @app.cli.command("create-token")
    @click.argument("username")
    @click.option("--name", default="cli", help="Keterangan token")
    @click.option("--days", default=365, type=int, help="Masa berlaku (hari); 0 = tanpa batas")
    def create_token(username, name, days):
        """Issue an API token; the token is the last word printed."""
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"Pengguna '{username}' tidak ditemukan.")
        token, raw = ApiToken.issue(user, name=name, days=days or None)
        db.session.add(token)
        db.session.commit()
        click.echo(f"Token API untuk {username} (simpan sekarang, tidak ditampilkan lagi): {raw}")
