"""Small builders for test data: each test makes the rows it needs."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from outreach import clock
from outreach.extensions import db
from outreach.models import KnownAway, Kit, Region, Site, TargetCount, Team, User
from outreach.models.regions import ancestors_of, kind_of, level_of

PASSWORD = "rahasia-uji-123"
_seq = itertools.count(1)


def working_day(on_or_after: date) -> date:
    """The first working day (Monday–Friday, neither a public holiday nor cuti bersama of the `holidays`
    package) on or after a day: a session then gets no calendar warning while the calendar has no entries."""
    from outreach.planner.model import working_days
    from outreach.planning.calendar_rules import package_between

    last = on_or_after + timedelta(days=31)
    off = frozenset(d for d, _kind, _name in package_between(on_or_after, last, "ID"))
    return working_days(on_or_after, last, extra_holidays=off)[0]


def make_region(kode: str, nama: str | None = None, lat: float | None = -7.0, lng: float | None = 110.4,
                wajib_ktp: int | None = None, sudah_rekam: int | None = None, as_of: date | None = None) -> Region:
    level = level_of(kode)
    parent = ".".join(kode.split(".")[:-1]) or None
    if parent and db.session.get(Region, parent) is None:
        make_region(parent)
    region = Region(kode=kode, nama=nama or f"{level.title()} {kode}", level=level, kind=kind_of(kode),
                    parent_kode=parent, lat=lat, lng=lng, **ancestors_of(kode))
    if wajib_ktp is not None:
        region.wajib_ktp, region.sudah_rekam = wajib_ktp, sudah_rekam or 0
        region.target_as_of = as_of or date(2026, 9, 15)
        db.session.add(TargetCount(desa_kode=kode, wajib_ktp=wajib_ktp, sudah_rekam=sudah_rekam or 0,
                                   as_of=region.target_as_of, source="uji"))
    db.session.add(region)
    db.session.flush()
    return region


def make_known_away(desa_kode: str, reason: str, count: int) -> KnownAway:
    row = KnownAway(desa_kode=desa_kode, reason=reason, count=count)
    db.session.add(row)
    db.session.flush()
    return row


def make_site(desa_kode: str, nama: str | None = None, type: str = "balai_desa", lat: float = -7.0,
              lng: float = 110.4, **kw) -> Site:
    if db.session.get(Region, desa_kode) is None:
        make_region(desa_kode)
    anc = ancestors_of(desa_kode)
    site = Site(type=type, nama=nama or f"Lokasi {next(_seq)}", desa_kode=desa_kode, lat=lat, lng=lng,
                kecamatan_kode=anc["kecamatan_kode"], kabupaten_kode=anc["kabupaten_kode"],
                provinsi_kode=anc["provinsi_kode"], **kw)
    db.session.add(site)
    db.session.flush()
    return site


def make_team(office_kode: str = "33.74", nama: str | None = None) -> Team:
    if db.session.get(Region, office_kode) is None:
        make_region(office_kode)
    team = Team(nama=nama or f"Tim {next(_seq)}", office_kode=office_kode, office_lat=-6.99, office_lng=110.42)
    db.session.add(team)
    db.session.flush()
    return team


def make_kit(team: Team | None = None, code: str | None = None, status: str = "ok", office_kode: str = "33.74") -> Kit:
    kit = Kit(code=code or f"KIT-{next(_seq):03d}", status=status, team=team,
              office_kode=team.office_kode if team else office_kode)
    db.session.add(kit)
    db.session.flush()
    return kit


def make_user(role: str, username: str | None = None, scope: str | None = None, team: Team | None = None,
              password: str = PASSWORD) -> User:
    if scope and db.session.get(Region, scope) is None:
        make_region(scope)
    user = User(username=username or f"{role}{next(_seq)}", name=f"Pengguna {role}", role=role,
                scope_kode=scope, team=team)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_api_token(user: User, days: int | None = 365, revoked: bool = False) -> str:
    """Issue an API token for `user` (committed); returns the raw token for `Authorization: Bearer`."""
    from outreach.models import ApiToken
    from outreach.models.base import utcnow

    token, raw = ApiToken.issue(user, name="uji", days=days)
    if revoked:
        token.revoked_at = utcnow()
    db.session.add(token)
    db.session.commit()
    return raw


def make_session(site: Site, team: Team, kits: list | None = None, day: date | None = None, start: str = "08:00",
                 end: str = "12:00", status: str = "rencana", end_date: date | None = None, kind: str = "perekaman",
                 **kw):
    """A recording session written straight to the database (no rule checks: for arranging a test)."""
    from datetime import time

    from outreach.models import RecordingSession
    from outreach.planning.operations import set_kits

    session = RecordingSession(
        site_id=site.id, desa_kode=site.desa_kode, kecamatan_kode=site.kecamatan_kode,
        kabupaten_kode=site.kabupaten_kode, provinsi_kode=site.provinsi_kode,
        date=day or working_day(clock.local_today() + timedelta(days=7)), end_date=end_date, start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end), team_id=team.id, kind=kind, status=status,
        target_groups=kw.pop("target_groups", ["umum"]), expected_turnout=kw.pop("expected_turnout", 0), **kw)
    set_kits(session, [k.id for k in (kits or [])])
    db.session.add(session)
    db.session.flush()
    return session


def make_planning_world(world):
    """Extends the `world` fixture for planning tests: more kits (one rusak, one servis), a second team,
    a team of another kabupaten, another site and a school in the coordinator's kecamatan."""
    from types import SimpleNamespace

    kab_other_team = make_team("33.01", "Tim Kabupaten Lain")
    w = SimpleNamespace(
        **vars(world),
        kit2=make_kit(world.team, "KIT-B"),
        kit_broken=make_kit(world.team, "KIT-RUSAK", status="rusak"),
        kit_service=make_kit(None, "KIT-SERVIS", status="servis", office_kode="33.74"),
        team2=make_team("33.74", "Tim Keliling 2"),
        other_team=kab_other_team,
        other_kit=make_kit(kab_other_team, "KIT-LAIN"),
        site3=make_site(world.desa2.kode, "Balai Desa Satu B"),
        school=make_site(world.desa1.kode, "SMA Negeri Uji", type="sekolah", pemilih_pemula=120,
                         pemilih_pemula_recorded=100),
    )
    w.team2_kit = make_kit(w.team2, "KIT-T2")
    db.session.commit()
    return w


def make_notification(user: User, title: str = "Pemberitahuan uji", body: str = "", kind: str = "info",
                      read: bool = False, ref: str | None = None, link: str | None = None, created_at=None):
    """An in-app notification for `user` (read now when `read`)."""
    from outreach.models.base import utcnow
    from outreach.models.jobs import Notification

    note = Notification(user_id=user.id, kind=kind, title=title, body=body, ref=ref, link=link,
                        created_at=created_at or utcnow(), read_at=utcnow() if read else None)
    db.session.add(note)
    db.session.flush()
    return note


def make_turnout_log(session, user=None, recorded: dict | None = None, by_sex: dict | None = None,
                     not_recorded: dict | None = None, away: dict | None = None, started_at=None, ended_at=None,
                     kit_ids: list | None = None, notes: str = "", key: str | None = None, created_at=None,
                     finish: bool = True):
    """A turnout log written straight to the database (no rule checks, no figures moved: for arranging
    a test). recorded defaults to {"umum": 10}, by_sex to an even L/P split; `finish` sets the session selesai."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from outreach.models.base import utcnow
    from outreach.models.field import TurnoutLog
    from outreach.vocab import away_column, not_recorded_column, recorded_column, sex_column

    recorded = recorded if recorded is not None else {"umum": 10}
    total = sum(recorded.values())
    by_sex = by_sex if by_sex is not None else {"L": total // 2, "P": total - total // 2}
    tz = ZoneInfo("Asia/Jakarta")
    started_at = started_at or datetime.combine(session.date, session.start_time, tzinfo=tz)
    ended_at = ended_at or datetime.combine(session.date, session.end_time, tzinfo=tz)
    counts = {recorded_column(g): n for g, n in recorded.items()}
    counts.update({sex_column(s): n for s, n in by_sex.items()})
    counts.update({not_recorded_column(r): n for r, n in (not_recorded or {}).items()})
    counts.update({away_column(r): n for r, n in (away or {}).items()})
    log = TurnoutLog(
        session_id=session.id, desa_kode=session.desa_kode, kecamatan_kode=session.kecamatan_kode,
        kabupaten_kode=session.kabupaten_kode, provinsi_kode=session.provinsi_kode, session_date=session.date,
        recorded_total=total, started_at=started_at, ended_at=ended_at,
        kit_ids=kit_ids if kit_ids is not None else sorted(link.kit_id for link in session.kit_links),
        notes=notes, idempotency_key=key or f"uji-{next(_seq)}-{session.id}", request_fingerprint="0" * 64,
        created_by_id=user.id if user else None, updated_by_id=user.id if user else None,
        created_at=created_at or utcnow(), updated_at=created_at or utcnow(), **counts)
    from outreach.field.operations import hours_after_end

    log.hours_after_end = hours_after_end(session, log.created_at)
    if finish:
        session.status = "selesai"
    db.session.add(log)
    db.session.flush()
    return log


def statements_of(fn) -> tuple:
    """(fn()'s result, [SQL statements it sent to the database])."""
    import sqlalchemy as sa

    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return result, seen
