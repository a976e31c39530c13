"""Users, teams, kits and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from outreach.extensions import db
from outreach.models.base import utcnow
from outreach.vocab import ROLES


class Team(db.Model):
    """A tim perekaman keliling of a kabupaten/kota office."""
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    nama: Mapped[str] = mapped_column(sa.String(120), unique=True)
    office_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode"), index=True)  # kabupaten/kota
    office_lat: Mapped[Optional[float]] = mapped_column(sa.Float)
    office_lng: Mapped[Optional[float]] = mapped_column(sa.Float)
    members: Mapped[str] = mapped_column(sa.Text, default="")  # one name per line
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    calendar_secret: Mapped[str] = mapped_column(sa.String(64), default=lambda: secrets.token_urlsafe(24))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    office: Mapped["Region"] = relationship(foreign_keys=[office_kode])  # noqa: F821
    kits: Mapped[list["Kit"]] = relationship(back_populates="team", order_by="Kit.code")

    @property
    def member_list(self) -> list[str]:
        return [m.strip() for m in self.members.splitlines() if m.strip()]


class Kit(db.Model):
    """A mobile recording kit (camera, fingerprint and iris scanners, signature pad)."""
    __tablename__ = "kit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="ok")
    office_kode: Mapped[str] = mapped_column(sa.ForeignKey("region.kode"), index=True)
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("team.id"), index=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    team: Mapped[Optional[Team]] = relationship(back_populates="kits")


class User(UserMixin, db.Model):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(12))
    scope_kode: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("region.kode"))
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    locale: Mapped[Optional[str]] = mapped_column(sa.String(5))
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    last_login_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Part of every login (session cookie and remember-me cookie, see get_id): bumping it ends them all.
    session_version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    # A manager at the national office: all provinces (scope_kode stays empty). A manager with neither
    # a scope nor this flag sees nothing (see outreach.permissions.scope_of).
    national: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # Set when an admin sets the password: the user must choose their own before anything else.
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # The key of the user's secret calendar link of its area's sessions (staff only, see
    # outreach.permissions.has_area_calendar). Replaced on request and whenever every login ends.
    calendar_secret: Mapped[Optional[str]] = mapped_column(sa.String(64), default=lambda: secrets.token_urlsafe(24))

    scope: Mapped[Optional["Region"]] = relationship(foreign_keys=[scope_kode])  # noqa: F821
    team: Mapped[Optional[Team]] = relationship()

    __table_args__ = (sa.CheckConstraint("role IN (%s)" % ",".join(f"'{r}'" for r in ROLES), name="role_valid"),)

    def set_password(self, password: str) -> None:
        method = "scrypt"
        if has_app_context():  # tests may choose a cheaper hash to stay fast
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def dummy_password_check(password: str) -> bool:
        """The cost of check_password for a name no user has (so the answer's time does not tell); False."""
        check_password_hash(_dummy_hash(), password)
        return False

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login: what the session and the remember-me cookie carry
        return f"{self.id}.{self.session_version or 1}"

    def end_logins(self) -> None:
        """Every login of this user (on any device, remember-me included) stops working at its next request."""
        self.session_version = (self.session_version or 1) + 1
        self.new_calendar_secret()  # the calendar link is a key too: a lost phone or a leaked password ends it

    def new_calendar_secret(self) -> str:
        """Replace the key of the user's area calendar link: the old link stops answering."""
        self.calendar_secret = secrets.token_urlsafe(24)
        return self.calendar_secret

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def _dummy_hash() -> str:
    """A hash of a random password made with the method new passwords get."""
    return _dummy_hash_for(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt")


@lru_cache(maxsize=4)
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def hash_token(raw: str) -> str:
    """Tokens are stored only as a SHA-256 digest (they are long random strings, so no salt is needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str = "", days: Optional[int] = 365) -> tuple["ApiToken", str]:
        """Create a token for `user`; returns the row and the raw token (shown once, never stored)."""
        raw = "jb_" + secrets.token_urlsafe(32)
        token = cls(user=user, token_hash=hash_token(raw), prefix=raw[:10], name=name,
                    expires_at=(utcnow() + timedelta(days=days)) if days else None)
        return token, raw

    def is_valid(self, now: Optional[datetime] = None) -> bool:
        now = now or utcnow()
        if self.revoked_at is not None:
            return False
        if self.expires_at is not None:
            exp = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=now.tzinfo)
            if exp <= now:
                return False
        return True
