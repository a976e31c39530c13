"""Admin operations on users, teams, kits and API tokens: validation, the change, its audit row.

Plain functions over the database session; nothing here imports Flask. Problems are raised as
`Invalid` holding Indonesian msgids (marked with N_ for extraction) and their parameters, keyed by
form field; the views translate them. Every change to a user, team, kit or token is audited.

Over 400 lines on purpose: users, teams, kits and tokens are one administration with one set of
scoped checks (which office an admin may act on, which role it may give); split per object, each part
would import the others' checks.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from outreach import input_limits, permissions
from outreach.auth.passwords import password_problem
from outreach.extensions import db
from outreach.i18n import N_
from outreach.models import ApiToken, AuditEntry, Kit, Region, Site, Team, User
from outreach.vocab import KIT_STATUSES, LEVELS, ROLES
from outreach.models.audit import diff, record_change
from outreach.models.base import utcnow
from outreach.models.regions import level_of
from outreach.admin import team_calendar

MAX_TOKEN_DAYS = 3650
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+()\-\s]{6,40}$")

USER_FIELDS = ("username", "name", "email", "role", "scope_kode", "national", "team_id", "active")
TEAM_FIELDS = ("nama", "office_kode", "office_lat", "office_lng", "members", "phone", "active")
KIT_FIELDS = ("code", "status", "office_kode", "team_id", "notes")



# ---------------------------------------------------------------- errors

@dataclass(frozen=True)
class Message:
    msgid: str
    params: dict = field(default_factory=dict)


class Invalid(Exception):
    """Input refused; `errors` maps a form field name ("" for the whole form) to its messages."""

    def __init__(self, errors: dict[str, list[Message]]):
        super().__init__(errors)
        self.errors = errors


class _Errors:
    def __init__(self):
        self.errors: dict[str, list[Message]] = {}

    def add(self, field_name: str, msgid: str, **params) -> None:
        self.errors.setdefault(field_name, []).append(Message(msgid, params))

    def has(self, field_name: str) -> bool:
        return field_name in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


# ---------------------------------------------------------------- small parsers

def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def _optional_code(value: Any) -> Optional[str]:
    return _text(value) or None


def _parse_id(value: Any) -> tuple[Optional[int], bool]:
    """(id or None, ok): '' and None mean no id; anything not a positive integer is not ok."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    number = input_limits.db_id(value)  # past the database's INTEGER: no such row
    return number, number is not None


def _parse_float(value: Any) -> tuple[Optional[float], bool]:
    """(number or None, ok); accepts a decimal comma as typed in Indonesia."""
    if value is None:
        return None, True
    if isinstance(value, (int, float)):
        return float(value), True
    text = str(value).strip().replace("\u2212", "-")
    if not text:
        return None, True
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None, False
    if number != number or number in (float("inf"), float("-inf")):
        return None, False
    return number, True


def _normalise_lines(text: Any) -> str:
    return "\n".join(line.strip() for line in _text(text).splitlines() if line.strip())


def _created(values: dict) -> dict:
    """Audit changes for a new row: {field: [None, value]} for every field that has a value."""
    return {k: [None, v] for k, v in values.items() if v not in (None, "")}


# ---------------------------------------------------------------- users

def validate_scope(role: str, scope: Optional[str], team: Optional[Team], national: bool = False) -> Optional[str]:
    """Message (Bahasa Indonesia msgid) when role, scope and team do not fit together, else None.
    `national`: the scope was given as "nasional" (all provinces; for managers and admins)."""
    if national and role not in ("manager", "admin"):
        return N_("Cakupan nasional hanya untuk manajer dan admin.")
    if role == "coordinator" and (not scope or level_of(scope) != "kecamatan"):
        return N_("Koordinator wajib memiliki cakupan satu kecamatan (kode seperti 33.74.01).")
    if role == "manager" and not national and (not scope or level_of(scope) not in ("provinsi", "kabupaten")):
        return N_("Manajer wajib memiliki cakupan nasional, provinsi atau kabupaten/kota (nasional, 33 atau "
                  "seperti 33.74).")
    if role == "field" and team is None:
        return N_("Pengguna tim lapangan wajib terdaftar pada satu tim.")
    return None


@dataclass
class UserData:
    username: str
    name: str = ""
    email: str = ""
    role: str = ""
    scope_kode: Optional[str] = None
    team_id: Any = None
    active: bool = True


def _clean_user(data: UserData, errs: _Errors, existing: Optional[User]) -> dict:
    values = {
        "username": _text(data.username),
        "name": _text(data.name),
        "email": _text(data.email),
        "role": _text(data.role),
        "scope_kode": _optional_code(data.scope_kode),
        "active": bool(data.active),
    }
    username = values["username"]
    if not username:
        errs.add("username", N_("Nama pengguna wajib diisi."))
    elif not USERNAME_RE.match(username):
        errs.add("username", N_("Nama pengguna 3–64 karakter: huruf, angka, titik, garis bawah atau tanda hubung, "
                                "diawali huruf atau angka."))
    else:
        clash = sa.select(User.id).where(sa.func.lower(User.username) == username.lower())
        if existing is not None:
            clash = clash.where(User.id != existing.id)
        if db.session.scalar(clash) is not None:
            errs.add("username", N_("Nama pengguna %(username)s sudah dipakai."), username=username)
    if len(values["name"]) > 120:
        errs.add("name", N_("Nama paling banyak %(max)s karakter."), max=120)
    if values["email"] and (len(values["email"]) > 200 or not EMAIL_RE.match(values["email"])):
        errs.add("email", N_("Alamat email tidak valid."))
    role = values["role"]
    if role not in ROLES:
        errs.add("role", N_("Pilih peran yang dikenal."))

    team_id, ok = _parse_id(data.team_id)
    team = db.session.get(Team, team_id) if ok and team_id is not None else None
    if not ok or (team_id is not None and team is None):
        errs.add("team_id", N_("Tim tidak ditemukan."))
    elif team is not None and not team.active and (existing is None or existing.team_id != team.id):
        errs.add("team_id", N_("Tim %(nama)s tidak aktif."), nama=team.nama)
    values["team_id"] = team.id if team is not None else None

    scope = values["scope_kode"]
    national = scope is not None and scope.lower() == permissions.NATIONAL_SCOPE
    if national:
        scope = values["scope_kode"] = None
    values["national"] = national and role == "manager"
    scope_known = True
    if scope is not None and db.session.get(Region, scope) is None:
        errs.add("scope_kode", N_("Kode wilayah %(kode)s tidak ditemukan."), kode=scope)
        scope_known = False
    if role in ROLES and not errs.has("team_id"):
        problem = validate_scope(role, scope, team, national)
        if problem and (role == "field" or scope_known):
            errs.add("team_id" if role == "field" else "scope_kode", problem)
    return values


def _check_password(password: Optional[str], confirm: Optional[str], errs: _Errors, role: str = "",
                    username: str = "") -> None:
    """The password rule (outreach.auth.passwords); `confirm` (when not None) must repeat it exactly."""
    problem = password_problem(password, role, username) if password else None
    if not password:
        errs.add("password", N_("Kata sandi wajib diisi."))
    elif problem:
        errs.add("password", problem[0], **problem[1])
    elif confirm is not None and confirm != password:
        errs.add("password_confirm", N_("Kedua kata sandi tidak sama."))


def _commit_or_duplicate(errs_field: str, msgid: str, **params) -> None:
    """Commit; a unique-constraint race becomes the same message the pre-check gives."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Invalid({errs_field: [Message(msgid, params)]})


def _scoped_actor(actor_id: Optional[int]) -> Optional[User]:
    """The acting admin when its scope limits what it may give (None: the CLI or a national admin)."""
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    return None if actor is None or permissions.is_national_admin(actor) else actor


def _check_within_actor(values: dict, actor_id: Optional[int], errs: _Errors) -> None:
    """A scoped admin gives only areas inside its own (never none, which means national): outreach.permissions."""
    actor = _scoped_actor(actor_id)
    if actor is None or errs.has("scope_kode") or errs.has("team_id"):
        return
    field = values["role"] == permissions.FIELD
    team = db.session.get(Team, values["team_id"]) if values["team_id"] is not None else None
    area = (team.office_kode if team is not None else None) if field else values["scope_kode"]
    if not permissions.can_manage_area(actor, area):
        errs.add("team_id" if field else "scope_kode",
                 N_("Anda hanya mengelola wilayah %(scope)s: pilih cakupan (atau tim) di dalam wilayah itu."),
                 scope=actor.scope_kode)


def create_user(data: UserData, password: Optional[str], actor_id: Optional[int],
                password_confirm: Optional[str] = None) -> User:
    """Create a user after checking role/scope/team (inside the acting admin's area), uniqueness and password
    length."""
    errs = _Errors()
    values = _clean_user(data, errs, None)
    _check_within_actor(values, actor_id, errs)
    _check_password(password, password_confirm, errs, values["role"], values["username"])
    errs.raise_if_any()
    user = User(**values)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_change("user", user.id, "create", actor_id, _created(values))
    team_calendar.membership_change(None, user, actor_id)
    _commit_or_duplicate("username", N_("Nama pengguna %(username)s sudah dipakai."), username=values["username"])
    return user


def update_user(user: User, data: UserData, actor_id: Optional[int]) -> dict:
    """Apply an edit; returns the audited changes ({} when nothing changed)."""
    errs = _Errors()
    values = _clean_user(data, errs, user)
    _check_within_actor(values, actor_id, errs)
    if actor_id is not None and user.id == actor_id:
        if not values["active"]:
            errs.add("active", N_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
        if values["role"] in ROLES and values["role"] != "admin":
            errs.add("role", N_("Anda tidak dapat menurunkan peran akun Anda sendiri."))
    errs.raise_if_any()
    changes = diff(user, USER_FIELDS, values)
    if not changes:
        return {}
    member_of = team_calendar.member_team_id(user)
    for name in changes:
        setattr(user, name, values[name])
    if "active" in changes and not user.active:
        user.end_logins()  # a deactivated user is signed out everywhere at once
    record_change("user", user.id, "update", actor_id, changes)
    team_calendar.membership_change(member_of, user, actor_id)  # joined or left: the team's iCal link changes
    _commit_or_duplicate("username", N_("Nama pengguna %(username)s sudah dipakai."), username=values["username"])
    return changes


def reset_password(user: User, password: Optional[str], actor_id: Optional[int],
                   password_confirm: Optional[str] = None) -> None:
    """Set a new password the user must change at the next login. The audit row records the act, never the
    password."""
    errs = _Errors()
    _check_password(password, password_confirm, errs, user.role, user.username)
    errs.raise_if_any()
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.must_change_password = True  # the admin knows this one: the user chooses their own at next login
    user.end_logins()  # every login made with the old password (remember-me included) ends
    revoked = revoke_all_tokens(user)
    record_change("user", user.id, "reset_password", actor_id, {"tokens_revoked": [None, revoked]} if revoked else {})
    db.session.commit()


# ---------------------------------------------------------------- lists and pages

def _paginate(query, page: int, per_page: int):
    """Flask-SQLAlchemy's pagination (items, total, pages, has_prev/has_next) of `query`."""
    return db.paginate(query, page=max(int(page or 1), 1), per_page=per_page, error_out=False, max_per_page=per_page)


def users_page(admin, role: Optional[str] = None, q: Optional[str] = None, page: int = 1, per_page: int = 50):
    """The users `admin` manages, with their scope region and team loaded (no N+1), filtered by role and a
    search text."""
    query = (sa.select(User).options(joinedload(User.scope), joinedload(User.team))
             .where(permissions.manageable_users_clause(admin)).order_by(User.username))
    if role in ROLES:
        query = query.where(User.role == role)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.username).like(like), sa.func.lower(User.name).like(like),
                                   sa.func.lower(User.email).like(like)))
    return _paginate(query, page, per_page)


@dataclass
class TeamRow:
    team: Team
    office_nama: str
    user_count: int
    kit_count: int


def teams_page(admin, page: int = 1, per_page: int = 50):
    """The teams `admin` manages, with office name and counts of users and kits, in three queries."""
    result = _paginate(sa.select(Team).options(joinedload(Team.office))
                       .where(permissions.manageable_office_clause(admin, Team.office_kode)).order_by(Team.nama),
                       page, per_page)
    ids = [t.id for t in result.items]
    users = dict(db.session.execute(sa.select(User.team_id, sa.func.count()).where(User.team_id.in_(ids))
                                    .group_by(User.team_id)).all()) if ids else {}
    kits = dict(db.session.execute(sa.select(Kit.team_id, sa.func.count()).where(Kit.team_id.in_(ids))
                                   .group_by(Kit.team_id)).all()) if ids else {}
    result.items = [TeamRow(t, t.office.nama if t.office else "", users.get(t.id, 0), kits.get(t.id, 0))
                    for t in result.items]
    return result


@dataclass
class KitRow:
    kit: Kit
    office_nama: str


def kits_page(admin, status: Optional[str] = None, page: int = 1, per_page: int = 50):
    """The kits `admin` manages, with their home team and office name, filtered by status."""
    query = (sa.select(Kit).options(joinedload(Kit.team))
             .where(permissions.manageable_office_clause(admin, Kit.office_kode)).order_by(Kit.code))
    if status in KIT_STATUSES:
        query = query.where(Kit.status == status)
    result = _paginate(query, page, per_page)
    names = _region_names({k.office_kode for k in result.items})
    result.items = [KitRow(k, names.get(k.office_kode, "")) for k in result.items]
    return result


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    codes = [c for c in codes if c]
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(Region.kode, Region.nama).where(Region.kode.in_(codes))).all())


def kabupaten_choices(admin) -> list[tuple[str, str]]:
    """(kode, label) of every kabupaten/kota `admin` manages, for office pickers."""
    rows = db.session.execute(sa.select(Region.kode, Region.nama).where(
        Region.level == "kabupaten", permissions.manageable_office_clause(admin, Region.kode))
        .order_by(Region.kode)).all()
    return [(kode, f"{kode} — {nama}") for kode, nama in rows]


def team_choices(admin, office: Optional[str] = None, keep=None, narrow: bool = False
                 ) -> list[tuple[str, str, bool]]:
    """(id, name, active) of every team `admin` manages, for team pickers; with `narrow`, only those of
    kabupaten/kota `office` and team `keep` (the one already chosen)."""
    query = sa.select(Team.id, Team.nama, Team.active).where(
        permissions.manageable_office_clause(admin, Team.office_kode))
    if narrow:
        keep_id = input_limits.db_id(keep) or -1
        query = query.where(sa.or_(Team.office_kode == (office or ""), Team.id == keep_id))
    rows = db.session.execute(query.order_by(Team.nama)).all()
    return [(str(i), nama, active) for i, nama, active in rows]


def overview(admin) -> dict:
    """Counts for the admin home, of what `admin` manages: users by role, teams, kits by status, regions by
    level and sites of its area, and the latest changes made by its users."""
    def grouped(column, *where) -> dict:
        query = sa.select(column, sa.func.count()).group_by(column)
        for clause in where:
            query = query.where(clause)
        return {k: n for k, n in db.session.execute(query).all()}

    users = permissions.manageable_users_clause(admin)
    users_by_role = grouped(User.role, users)
    kits_by_status = grouped(Kit.status, permissions.manageable_office_clause(admin, Kit.office_kode))
    regions_by_level = grouped(Region.level, permissions.scope_clause(admin, Region))
    team_total, team_active = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Team.active.is_(True))).select_from(Team)
        .where(permissions.manageable_office_clause(admin, Team.office_kode))).one()
    recent_query = sa.select(AuditEntry).options(joinedload(AuditEntry.user))
    if not permissions.is_national_admin(admin):
        recent_query = recent_query.where(AuditEntry.user_id.in_(sa.select(User.id).where(users)))
    recent = list(db.session.scalars(recent_query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(10)))
    return {
        "users_total": sum(users_by_role.values()),
        "users_active": db.session.scalar(sa.select(sa.func.count()).select_from(User)
                                          .where(User.active.is_(True), users)),
        "users_by_role": {r: users_by_role.get(r, 0) for r in ROLES},
        "teams_total": team_total,
        "teams_active": team_active,
        "kits_total": sum(kits_by_status.values()),
        "kits_by_status": {s: kits_by_status.get(s, 0) for s in KIT_STATUSES},
        "regions_by_level": {lv: regions_by_level.get(lv, 0) for lv in LEVELS},
        "sites_total": db.session.scalar(sa.select(sa.func.count()).select_from(Site)
                                         .where(permissions.scope_clause(admin, Site))),
        "recent_changes": recent,
    }


# ---------------------------------------------------------------- teams

@dataclass
class TeamData:
    nama: str
    office_kode: str
    office_lat: Any = None
    office_lng: Any = None
    members: str = ""
    phone: str = ""
    active: bool = True


def _check_office(kode: Optional[str], errs: _Errors) -> None:
    if not kode:
        errs.add("office_kode", N_("Kantor (kabupaten/kota) wajib dipilih."))
        return
    region = db.session.get(Region, kode)
    if region is None:
        errs.add("office_kode", N_("Kode wilayah %(kode)s tidak ditemukan."), kode=kode)
    elif region.level != "kabupaten":
        errs.add("office_kode", N_("Kantor harus sebuah kabupaten/kota (kode seperti 33.74)."))


def _check_office_within_actor(values: dict, actor_id: Optional[int], errs: _Errors) -> None:
    """A scoped admin keeps teams and kits (and a kit's home team) inside its own area."""
    actor = _scoped_actor(actor_id)
    if actor is None:
        return
    if not errs.has("office_kode") and not permissions.can_manage_area(actor, values.get("office_kode")):
        errs.add("office_kode", N_("Anda hanya mengelola wilayah %(scope)s: pilih kantor di dalam wilayah itu."),
                 scope=actor.scope_kode)
    team = db.session.get(Team, values["team_id"]) if values.get("team_id") is not None else None
    if team is not None and not errs.has("team_id") and not permissions.can_manage_area(actor, team.office_kode):
        errs.add("team_id", N_("Anda hanya mengelola wilayah %(scope)s: pilih tim di dalam wilayah itu."),
                 scope=actor.scope_kode)


def _clean_coords(lat_in: Any, lng_in: Any, errs: _Errors) -> tuple[Optional[float], Optional[float]]:
    lat, lat_ok = _parse_float(lat_in)
    lng, lng_ok = _parse_float(lng_in)
    if not lat_ok:
        errs.add("office_lat", N_("Lintang harus berupa angka, mis. -6.9932."))
    if not lng_ok:
        errs.add("office_lng", N_("Bujur harus berupa angka, mis. 110.4203."))
    if not (lat_ok and lng_ok):
        return None, None
    if (lat is None) != (lng is None):
        errs.add("office_lat" if lat is None else "office_lng",
                 N_("Isi lintang dan bujur bersama-sama, atau kosongkan keduanya."))
        return None, None
    if lat is None:
        return None, None
    if not -90 <= lat <= 90:
        if -90 <= lng <= 90 and -180 <= lat <= 180:
            errs.add("office_lat", N_("Lintang dan bujur tampaknya tertukar: lintang -90…90, bujur -180…180."))
        else:
            errs.add("office_lat", N_("Lintang harus di antara -90 dan 90."))
    if not -180 <= lng <= 180:
        errs.add("office_lng", N_("Bujur harus di antara -180 dan 180."))
    return lat, lng


def _clean_team(data: TeamData, errs: _Errors, existing: Optional[Team]) -> dict:
    values = {"nama": _text(data.nama), "office_kode": _optional_code(data.office_kode),
              "members": _normalise_lines(data.members), "phone": _text(data.phone), "active": bool(data.active)}
    nama = values["nama"]
    if not nama:
        errs.add("nama", N_("Nama tim wajib diisi."))
    elif len(nama) > 120:
        errs.add("nama", N_("Nama paling banyak %(max)s karakter."), max=120)
    else:
        clash = sa.select(Team.id).where(sa.func.lower(Team.nama) == nama.lower())
        if existing is not None:
            clash = clash.where(Team.id != existing.id)
        if db.session.scalar(clash) is not None:
            errs.add("nama", N_("Nama tim %(nama)s sudah dipakai."), nama=nama)
    _check_office(values["office_kode"], errs)
    values["office_lat"], values["office_lng"] = _clean_coords(data.office_lat, data.office_lng, errs)
    if values["phone"] and not PHONE_RE.match(values["phone"]):
        errs.add("phone", N_("Nomor telepon hanya boleh berisi angka, spasi, +, - dan tanda kurung (6–40 karakter)."))
    return values


def create_team(data: TeamData, actor_id: Optional[int]) -> Team:
    """Create a team (its calendar link secret is generated by the model)."""
    errs = _Errors()
    values = _clean_team(data, errs, None)
    _check_office_within_actor(values, actor_id, errs)
    errs.raise_if_any()
    team = Team(**values)
    db.session.add(team)
    db.session.flush()
    record_change("team", team.id, "create", actor_id, _created(values))
    _commit_or_duplicate("nama", N_("Nama tim %(nama)s sudah dipakai."), nama=values["nama"])
    return team


def update_team(team: Team, data: TeamData, actor_id: Optional[int]) -> dict:
    """Apply an edit; returns the audited changes ({} when nothing changed)."""
    errs = _Errors()
    values = _clean_team(data, errs, team)
    _check_office_within_actor(values, actor_id, errs)
    errs.raise_if_any()
    changes = diff(team, TEAM_FIELDS, values)
    if not changes:
        return {}
    for name in changes:
        setattr(team, name, values[name])
    record_change("team", team.id, "update", actor_id, changes)
    if "members" in changes:  # someone joined or left: a link kept by a former member must stop working
        team_calendar.rotate_for_membership((team.id,), actor_id)
    _commit_or_duplicate("nama", N_("Nama tim %(nama)s sudah dipakai."), nama=values["nama"])
    return changes


def rotate_calendar_secret(team: Team, actor_id: Optional[int]) -> str:
    """A new calendar link secret: the old link stops working. The secret itself is not audited."""
    team.calendar_secret = secrets.token_urlsafe(24)
    record_change("team", team.id, "rotate_calendar_link", actor_id, {})
    db.session.commit()
    return team.calendar_secret


# ---------------------------------------------------------------- kits

@dataclass
class KitData:
    code: str
    status: str = "ok"
    office_kode: Optional[str] = None
    team_id: Any = None
    notes: str = ""


def _clean_kit(data: KitData, errs: _Errors, existing: Optional[Kit]) -> dict:
    values = {"code": _text(data.code), "status": _text(data.status), "office_kode": _optional_code(data.office_kode),
              "notes": _text(data.notes)}
    code = values["code"]
    if not code:
        errs.add("code", N_("Kode kit wajib diisi."))
    elif len(code) > 40:
        errs.add("code", N_("Kode kit paling banyak %(max)s karakter."), max=40)
    else:
        clash = sa.select(Kit.id).where(sa.func.lower(Kit.code) == code.lower())
        if existing is not None:
            clash = clash.where(Kit.id != existing.id)
        if db.session.scalar(clash) is not None:
            errs.add("code", N_("Kode kit %(code)s sudah dipakai."), code=code)
    if values["status"] not in KIT_STATUSES:
        errs.add("status", N_("Status kit harus salah satu dari: baik, rusak, servis."))
    _check_office(values["office_kode"], errs)
    team_id, ok = _parse_id(data.team_id)
    team = db.session.get(Team, team_id) if ok and team_id is not None else None
    if not ok or (team_id is not None and team is None):
        errs.add("team_id", N_("Tim tidak ditemukan."))
    elif team is not None and values["office_kode"] and team.office_kode != values["office_kode"] \
            and not errs.has("office_kode"):
        errs.add("team_id", N_("Tim asal harus berkantor di kabupaten/kota yang sama dengan kit."))
    values["team_id"] = team.id if team is not None else None
    return values


def create_kit(data: KitData, actor_id: Optional[int]) -> Kit:
    errs = _Errors()
    values = _clean_kit(data, errs, None)
    _check_office_within_actor(values, actor_id, errs)
    errs.raise_if_any()
    kit = Kit(**values)
    db.session.add(kit)
    db.session.flush()
    record_change("kit", kit.id, "create", actor_id, _created(values))
    _commit_or_duplicate("code", N_("Kode kit %(code)s sudah dipakai."), code=values["code"])
    return kit


def update_kit(kit: Kit, data: KitData, actor_id: Optional[int]) -> dict:
    """Apply an edit; returns the audited changes ({} when nothing changed)."""
    errs = _Errors()
    values = _clean_kit(data, errs, kit)
    _check_office_within_actor(values, actor_id, errs)
    errs.raise_if_any()
    changes = diff(kit, KIT_FIELDS, values)
    if not changes:
        return {}
    for name in changes:
        setattr(kit, name, values[name])
    record_change("kit", kit.id, "update", actor_id, changes)
    _commit_or_duplicate("code", N_("Kode kit %(code)s sudah dipakai."), code=values["code"])
    return changes


# ---------------------------------------------------------------- API tokens

def revoke_all_tokens(user: User) -> int:
    """Revoke the user's tokens still in force (on a password reset); returns how many."""
    now = utcnow()
    tokens = [t for t in tokens_of(user) if t.revoked_at is None]
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def issue_token(user: User, name: Any, days: Any, actor_id: Optional[int]) -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the raw token, which is shown once and stored only hashed."""
    errs = _Errors()
    name = _text(name)
    if len(name) > 120:
        errs.add("name", N_("Keterangan paling banyak %(max)s karakter."), max=120)
    days_text = _text(days)
    if not days_text.isdigit() or int(days_text) > MAX_TOKEN_DAYS:
        errs.add("days", N_("Masa berlaku harus bilangan bulat 0–%(max)s hari (0 = tanpa batas)."), max=MAX_TOKEN_DAYS)
    errs.raise_if_any()
    token, raw = ApiToken.issue(user, name=name, days=int(days_text) or None)
    db.session.add(token)
    db.session.flush()
    record_change("api_token", token.id, "issue", actor_id,
                  {"user_id": [None, user.id], "prefix": [None, token.prefix], "name": [None, name],
                   "expires_at": [None, token.expires_at.isoformat() if token.expires_at else None]})
    db.session.commit()
    return token, raw


def revoke_token(token: ApiToken, actor_id: Optional[int]) -> bool:
    """Revoke a token; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record_change("api_token", token.id, "revoke", actor_id, {"revoked_at": [None, token.revoked_at.isoformat()]})
    db.session.commit()
    return True
