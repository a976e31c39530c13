"""Demo turnout logs for `seed-demo`: the finished demo sessions get their logs, except the latest
past sessions of the demo field user's team, which wait for theirs, so "Jadwal saya" shows at once
what a team does after a session.

Logs are written through `outreach.field.operations.save_log`, as a phone would send them: the session
becomes selesai, the audit trail records the log, and the residents learned to be away are added to
the desa's known-away counts. Numbers are deterministic (seeded) and stay within what the kits could
record. Idempotent: when the kecamatan's sessions already have
logs, nothing is added.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from outreach import clock
from outreach.extensions import db
from outreach.models import RecordingSession, TurnoutLog
from outreach import permissions
from outreach.planning import workflow
from outreach.planning.demo import planner_for

# Past sessions of the demo field user's team left without a log (flagged on its schedule).
WAITING = 2
SEED = "jemput-bola-field-demo"


def _field_user(users):
    people = list(users.values()) if isinstance(users, dict) else list(users or [])
    return next((u for u in people if permissions.is_field(u) and u.team_id), None)


def seed(demo) -> list[TurnoutLog]:
    """Add the demo logs (see module docstring); returns those created."""
    from outreach.field import operations, queries

    field_user = _field_user(demo.users)
    kecamatan = getattr(demo.coordinator_kecamatan, "kode", demo.coordinator_kecamatan)
    supervisor = planner_for(demo.users, kecamatan)
    if field_user is None:
        return []
    tz = queries.log_settings().tz
    today = clock.local_now().astimezone(tz).date()
    RS = RecordingSession
    sessions = list(db.session.scalars(
        sa.select(RS).where(RS.kecamatan_kode == kecamatan, RS.status != workflow.DIBATALKAN,
                            sa.func.coalesce(RS.end_date, RS.date) < today)
        .order_by(RS.date, RS.start_time, RS.id)))
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    if db.session.scalar(sa.select(sa.func.count()).select_from(TurnoutLog).where(TurnoutLog.session_id.in_(ids))):
        return []
    own = [s for s in sessions if s.team_id == field_user.team_id]
    waiting = {s.id for s in own[-WAITING:]}
    for s in own[-WAITING:]:
        if s.status == workflow.SELESAI:
            # "selesai" comes only from a log (see planning.workflow); a session still waiting for its
            # log stays confirmed.
            s.status = workflow.TERKONFIRMASI
    db.session.commit()

    rng = random.Random(SEED)
    created = []
    for s in sessions:
        if s.id in waiting:
            continue
        user = field_user if s.team_id == field_user.team_id else supervisor
        if user is None:
            continue
        data, logged_at = _log_values(s, rng, tz)
        result = operations.save_log(user, s.id, data, f"demo-{s.id}", now=logged_at)
        created.append(result.log)
    return created


def _log_values(s: RecordingSession, rng: random.Random, tz) -> tuple[dict, datetime]:
    """Believable figures for one finished session, and when its log was sent (after the session)."""
    from outreach.field import queries

    settings = queries.log_settings()
    first, last = s.date, s.end_date or s.date
    started = datetime.combine(first, s.start_time, tzinfo=tz) + timedelta(minutes=rng.choice((0, 5, 10, 15, 20)))
    ended = datetime.combine(last, s.end_time, tzinfo=tz) + timedelta(minutes=rng.choice((-20, -10, 0, 10)))
    days = (last - first).days + 1
    daily_hours = (datetime.combine(first, s.end_time) - datetime.combine(first, s.start_time)).seconds / 3600
    kit_ids = sorted(link.kit_id for link in s.kit_links)
    capacity = int(len(kit_ids) * daily_hours * days * settings.records_per_kit_hour)
    if s.kind == "sosialisasi" or not kit_ids:
        total = 0
    else:
        expected = s.expected_turnout or max(capacity // 2, 10)
        total = min(max(int(expected * rng.uniform(0.55, 1.05)), 3), capacity)
    site_type = s.site.type if s.site else ""
    if site_type == "sekolah":
        groups = {"pemilih_pemula": total, "umum": 0, "lansia_disabilitas": 0}
    else:
        pemula = min(total, rng.randint(0, max(total // 6, 1)))
        lansia = min(total - pemula, rng.randint(0, max(total // 8, 1)) if site_type != "rumah" else total - pemula)
        groups = {"pemilih_pemula": pemula, "umum": total - pemula - lansia, "lansia_disabilitas": lansia}
    men = int(round(total * rng.uniform(0.4, 0.6)))
    data = {
        "recorded": groups,
        "recorded_by_sex": {"L": men, "P": total - men},
        "not_recorded": {"tidak_ditemukan_siak": rng.randint(0, 3), "sudah_rekam": rng.randint(0, 4),
                         "belum_cukup_umur": rng.randint(0, 2),
                         "gangguan_alat_jaringan": rng.choice((0, 0, 0, 2, 5)), "tidak_bersedia": rng.randint(0, 2)},
        # Residents the team learned are away: they add to the desa's known-away counts (seed-demo
        # creates those rows once and leaves them alone afterwards).
        "away": {"luar_negeri": rng.randint(0, 3), "bekerja_luar_daerah": rng.randint(0, 3),
                 "sekolah_luar_daerah": rng.randint(0, 2),
                 "pindah_meninggal": rng.randint(0, 2), "lainnya": rng.choice((0, 0, 1))},
        "started_at": started.isoformat(), "ended_at": ended.isoformat(), "kit_ids": kit_ids,
        "notes": rng.choice(("", "", "Listrik sempat padam 20 menit.", "Banyak warga bekerja; datang sore.",
                             "Ketua RT membantu mendata warga lansia.")),
    }
    logged_at = ended.astimezone(timezone.utc) + timedelta(hours=rng.choice((1, 2, 3, 20)))
    return data, logged_at
