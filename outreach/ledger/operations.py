"""The ledger's writes: every open session's expected turnout is its share of its pool.

`reallocate(desa_kodes=..., site_ids=...)` recomputes the shares of the pools given (the desa's, and the
schools' at those sites) and writes the expected turnout and its reasoning of every open session on them
whose share changed. Every write that moves a pool calls it in its own transaction: a session planned,
moved, cancelled or logged, a turnout log corrected, a SIAK import, a school's pemilih pemula changed,
refusers followed up. `estimate_for(...)` gives the share a new or edited session would get, with its
reasoning, without writing anything.
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import time
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app, has_request_context

from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.ledger import queries
from outreach.ledger.rules import Claim, allocate, claim_order
from outreach.models import Site
from outreach.models.planning import OPEN_STATUSES, RecordingSession
from outreach.planning import capacity


def _rate() -> float:
    return float(current_app.config.get("RECORDS_PER_KIT_HOUR") or 12)


def _locale() -> str:
    if has_request_context():
        from flask_babel import get_locale

        return str(get_locale() or "id")
    return "id"


def claim_of(session: RecordingSession, homes: Optional[dict] = None) -> Claim:
    """What a session could record with its kits in its hours (a mop-up: never more than its absentees; a
    home visit: never more than the people its request names, `homes` from queries.home_visit_people)."""
    days = (session.last_date - session.date).days + 1
    hours = capacity.session_hours(session.start_time, session.end_time, days)
    most = capacity.capacity_of(session.kind, len(session.kit_links), hours, _rate())
    if session.mop_up_absentees is not None:
        most = min(most, session.mop_up_absentees)
    if homes and session.site_id in homes:
        most = min(most, homes[session.site_id])
    return Claim(session.id, most)


def _homes_of(sessions: Iterable[RecordingSession], *sites: Site) -> dict[int, int]:
    """The people of the home-visit requests at the `rumah` sites of these sessions (and sites)."""
    ids = {s.site_id for s in sessions if s.site is not None and s.site.type == "rumah"}
    ids |= {site.id for site in sites if site is not None and site.type == "rumah"}
    return queries.home_visit_people(ids)


def _narrow(backlog: capacity.Backlog, site: Site, absentees: Optional[int], homes: dict) -> capacity.Backlog:
    """A mop-up's or a home visit's own limit inside its pool."""
    if absentees is not None:
        backlog = capacity.absentee_backlog(site.nama, absentees, pool=backlog)
    if site.id in homes:
        backlog = capacity.home_backlog(site.nama, homes[site.id], pool=backlog)
    return backlog


def _pool_backlog(site: Site, account, planned: tuple) -> capacity.Backlog:
    """The Backlog a session at `site` sees, given its desa's account and the shares planned before it."""
    if queries.pool_of(site) == queries.SEKOLAH:
        return capacity.school_backlog(site.nama, site.pemilih_pemula, site.pemilih_pemula_recorded, planned)
    place = account.nama if account is not None else site.desa_kode
    if account is None or account.wajib_ktp is None:
        return capacity.desa_pool(place, None, None, planned=planned)
    return capacity.desa_pool(place, account.wajib_ktp, account.sudah_rekam_estimated,
                              account.known_away_in_backlog, account.menolak_in_backlog, planned)


def _pool_size(site: Site, account) -> Optional[int]:
    return _pool_backlog(site, account, ()).count


def _estimate(backlog: capacity.Backlog, kind: str, kits: int, hours: float) -> capacity.TurnoutEstimate:
    return capacity.expected_turnout(kind=kind, kits=kits, hours=hours, records_per_kit_hour=_rate(),
                                     backlog=backlog, locale=_locale(), _=_)


def _shares_before(site: Site, account, others: list[RecordingSession], session_id: Optional[int],
                   homes: Optional[dict] = None) -> tuple:
    """((id, share), ...) of the open sessions on the site's pool planned before `session_id` (None: a new
    session, planned after all of them)."""
    ordered = sorted(others, key=lambda s: claim_order(s.id))
    shares = allocate(_pool_size(site, account), [claim_of(s, homes) for s in ordered])
    key = claim_order(session_id)
    return tuple((s.id, n) for s, n in zip(ordered, shares) if claim_order(s.id) < key)


def estimate_for(site: Site, *, kind: str, kit_count: int, start: time, end: time, days: int = 1,
                 session_id: Optional[int] = None, absentees: Optional[int] = None) -> capacity.TurnoutEstimate:
    """The expected turnout a session at `site` would get (its share of what the sessions planned before it
    leave), with its reasoning; `session_id`: the session being edited (it keeps its place in the order);
    `absentees`: a mop-up's known absentees (never more than the pool leaves)."""
    db.session.flush()
    pool, code = queries.pool_key(site)
    kwargs = {"site_ids": [site.id]} if pool == queries.SEKOLAH else {"desa_kodes": [code]}
    others = [s for s in queries.open_sessions(**kwargs)
              if s.id != session_id and queries.pool_key(s.site) == (pool, code)]
    account = queries.desa_accounts([site.desa_kode]).get(site.desa_kode)
    homes = _homes_of(others, site)
    backlog = _pool_backlog(site, account, _shares_before(site, account, others, session_id, homes))
    backlog = _narrow(backlog, site, absentees, homes)
    return _estimate(backlog, kind, kit_count, capacity.session_hours(start, end, days))


def reallocate(*, desa_kodes: Iterable[str] = (), site_ids: Iterable[int] = ()) -> int:
    """Share out again the pools of the desa and sites given (every open session on them gets its share
    and reasoning); returns how many sessions changed. Writes in the caller's transaction, no commit."""
    desa_kodes, site_ids = set(desa_kodes), set(site_ids)
    db.session.flush()
    ids = sorted(site_ids)
    for i in range(0, len(ids), 900):
        desa_kodes |= set(db.session.scalars(sa.select(Site.desa_kode).where(Site.id.in_(ids[i:i + 900]))))
    queries.lock_pools(desa_kodes, site_ids)
    sessions = queries.open_sessions(desa_kodes=desa_kodes, site_ids=site_ids)
    if not sessions:
        return 0
    accounts = queries.desa_accounts({s.desa_kode for s in sessions})
    homes = _homes_of(sessions)
    pools: dict[tuple, list[RecordingSession]] = {}
    for s in sessions:
        pools.setdefault(queries.pool_key(s.site), []).append(s)
    updates = []
    # Stored reasoning is in Bahasa Indonesia, whoever's act moved the pool.
    with _indonesian():
        for (pool, _code), members in pools.items():
            members.sort(key=lambda s: claim_order(s.id))
            account = accounts.get(members[0].desa_kode)
            before: list[tuple] = []
            for s in members:
                backlog = _narrow(_pool_backlog(s.site, account, tuple(before)), s.site, s.mop_up_absentees,
                                  homes)
                estimate = _estimate(backlog, s.kind, len(s.kit_links),
                                     capacity.session_hours(s.start_time, s.end_time,
                                                            (s.last_date - s.date).days + 1))
                before.append((s.id, estimate.expected))
                if (s.expected_turnout, s.pool, s.turnout_reasoning) != (estimate.expected, pool, estimate.reasoning):
                    updates.append({"sid": s.id, "expected": estimate.expected, "reasoning": estimate.reasoning,
                                    "pool": pool})
    if updates:
        # Core UPDATE: a share moved by someone else's act is not an edit of the session (its version,
        # which guards edits against each other, stays).
        RS = RecordingSession.__table__
        db.session.execute(
            RS.update().where(RS.c.id == sa.bindparam("sid"))
            .values(expected_turnout=sa.bindparam("expected"), turnout_reasoning=sa.bindparam("reasoning"),
                    pool=sa.bindparam("pool")), updates)
        changed = {u["sid"] for u in updates}
        for s in sessions:
            if s.id in changed:
                db.session.expire(s, ["expected_turnout", "turnout_reasoning", "pool", "updated_at"])
    return len(updates)


def reallocate_session(session: RecordingSession, *also_sites: Site) -> int:
    """Share out again the pools a session (and any site it just left) draws on. A site is named apart only
    when it is a school pool: every session at another site draws on that site's desa, given already (so
    the common case locks and reads the desa's pool once, not the site's as well)."""
    sites = [s for s in ([session.site, *also_sites] if session.site is not None else also_sites) if s is not None]
    return reallocate(desa_kodes={s.desa_kode for s in sites} | {session.desa_kode},
                      site_ids={s.id for s in sites if queries.pool_of(s) == queries.SEKOLAH})


def _indonesian():
    if has_request_context():
        from flask_babel import force_locale

        return force_locale("id")
    return nullcontext()


def overplanned(limit: int = 20) -> list[dict]:
    """Pools whose open sessions expect more than the pool holds (none when every write reallocated):
    [{"pool", "code", "planned", "pool_size"}], for the ledger check command and the tests."""
    RS = RecordingSession
    out = []
    rows = db.session.execute(
        sa.select(RS.desa_kode, sa.func.sum(RS.expected_turnout)).where(
            RS.status.in_(OPEN_STATUSES), RS.pool == "desa")
        .group_by(RS.desa_kode)).all()
    accounts = queries.desa_accounts(k for k, _ in rows)
    for kode, planned in rows:
        account = accounts.get(kode)
        if account is not None and account.reachable_backlog is not None and planned > account.reachable_backlog:
            out.append({"pool": "desa", "code": kode, "planned": int(planned),
                        "pool_size": account.reachable_backlog})
    rows = db.session.execute(
        sa.select(RS.site_id, sa.func.sum(RS.expected_turnout)).where(
            RS.status.in_(OPEN_STATUSES), RS.pool == "sekolah")
        .group_by(RS.site_id)).all()
    for site_id, planned in rows:
        site = db.session.get(Site, site_id)
        size = site.pemilih_pemula_backlog if site is not None else None
        if size is not None and planned > size:
            out.append({"pool": "sekolah", "code": site_id, "planned": int(planned), "pool_size": size})
    return out[:limit]


# ---------------------------------------------------------------- refusers followed up

FOLLOWUP_NOTE_MAX_CHARS = 500


class FollowupInvalid(Exception):
    """Bad input for a follow-up; `errors` maps a field to a message in Bahasa Indonesia."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def follow_up_refusers(user, desa_kode: str, count, followed_on, note: str = "", *, today=None):
    """Record that `count` residents of the desa who refused to record were followed up on `followed_on`:
    they return to the desa's reachable backlog (the open sessions there get their shares again). Checks
    the count against the desa's open refusers and the date against today; commits."""
    from datetime import date as date_type

    from outreach import clock
    from outreach.models import RefuserFollowup
    from outreach.models.audit import record_change

    today = today or clock.local_today()
    account = queries.desa_accounts([desa_kode]).get(desa_kode)
    errors: dict[str, str] = {}
    open_refusers = account.menolak if account is not None else 0
    try:
        n = int(str(count).strip())
    except (TypeError, ValueError):
        n = None
    if n is None or n < 1:
        errors["count"] = _("Jumlah harus bilangan bulat 1 atau lebih.")
    elif n > open_refusers:
        errors["count"] = _("Hanya %(n)s warga yang tercatat menolak dan belum ditindaklanjuti di desa ini.",
                            n=open_refusers)
    day = followed_on
    if not isinstance(day, date_type):
        try:
            day = date_type.fromisoformat(str(followed_on).strip())
        except ValueError:
            day = None
    if day is None:
        errors["followed_on"] = _("Tanggal tindak lanjut tidak sah; tulis TTTT-BB-HH.")
    elif day > today:
        errors["followed_on"] = _("Tanggal tindak lanjut tidak boleh sesudah hari ini.")
    note = note or ""
    if not isinstance(note, str) or "\x00" in note or len(note) > FOLLOWUP_NOTE_MAX_CHARS:
        errors["note"] = _("Catatan berupa teks, paling banyak %(n)s karakter.", n=FOLLOWUP_NOTE_MAX_CHARS)
    if errors:
        raise FollowupInvalid(errors)
    row = RefuserFollowup(desa_kode=desa_kode, count=n, followed_on=day, note=note.strip(),
                          user_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    record_change("refuser_followup", row.id, "create", getattr(user, "id", None),
                  {"desa_kode": [None, desa_kode], "count": [None, n], "followed_on": [None, day.isoformat()]},
                  reason=note.strip())
    reallocate(desa_kodes=[desa_kode])
    db.session.commit()
    return row
