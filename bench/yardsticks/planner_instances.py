"""Seeded planning instances for tests and benchmarks (generated numbers, never real records).

- `small_instance(seed)`: one made-up kecamatan (6–12 desa, their balai desa and RT/RW meeting
  points, 1–3 schools), 10 working days, 2 teams (one in the kecamatan, one at the kabupaten
  office further away) and 3 kits, with busy days, a kit out on some days, blocked site dates and
  school cut-offs inside the range. The backlog is drawn between about half and three times what
  the kits can record, so sometimes the kits and sometimes the pools are what binds.
- `kabupaten_instance(data_dir, kode)`: the real desa centroids (`jateng_wilayah.csv`) and real
  SMA/SMK/SLB schools (`jateng_sekolah.csv`) of one kabupaten, with generated backlogs, RT/RW and
  balai desa sites, 5 teams in spread-out kecamatan and 6 kits.
"""
from __future__ import annotations

import csv
import math
import random
from datetime import date, time, timedelta
from pathlib import Path
from typing import Optional

from outreach.planner.model import BusySlot, Kit, PlanRequest, PriorityWeights, Site, Team, working_days

SMALL_START = date(2026, 2, 2)  # a Monday; 2026-02-17 (Imlek) falls in the range


def _first_working_days(start: date, count: int) -> tuple[date, date]:
    last = start + timedelta(days=count * 2 + 10)
    days = working_days(start, last)
    return start, days[count - 1]


def small_instance(seed: int, n_days: int = 10, n_teams: int = 2, n_kits: int = 3,
                   n_desa: Optional[tuple[int, int]] = None) -> PlanRequest:
    """A kecamatan-sized instance, the same for the same seed."""
    rng = random.Random(seed)
    first, last = _first_working_days(SMALL_START, n_days)
    days = working_days(first, last)
    lat0, lng0 = -7.45 + rng.uniform(-0.2, 0.2), 109.0 + rng.uniform(-0.3, 0.3)
    lo, hi = n_desa or (6, 12)
    desa_count = rng.randint(lo, hi)
    rate, work_hours = 10.0, 7.0
    kit_day = rate * 6  # about what one kit records in a day
    load = rng.uniform(0.5, 3.0)  # total backlog / total kit capacity
    total_backlog = load * kit_day * n_kits * n_days
    shares = [rng.uniform(0.3, 1.7) for _ in range(desa_count)]
    school_count = rng.randint(1, 3)
    pp_share = rng.uniform(0.1, 0.3)
    sites: list[Site] = []
    desa_backlog: dict[str, int] = {}
    sid = 1
    for n in range(desa_count):
        key = f"D{n + 1:02d}"
        dlat, dlng = lat0 + rng.uniform(-0.06, 0.06), lng0 + rng.uniform(-0.06, 0.06)
        pool = int(total_backlog * (1 - pp_share) * shares[n] / sum(shares))
        desa_backlog[key] = pool
        lagging = rng.random() < 0.3
        visited = None if rng.random() < 0.2 else rng.randint(0, 200)
        sites.append(Site(sid, dlat, dlng, name=f"Balai Desa {key}", desa=key, backlog=pool, lagging=lagging,
                          days_since_visit=visited))
        sid += 1
        for r in range(rng.randint(0, 2)):
            blocked = frozenset(rng.sample(days, 1)) if rng.random() < 0.3 else frozenset()
            sites.append(Site(sid, dlat + rng.uniform(-0.012, 0.012), dlng + rng.uniform(-0.012, 0.012),
                              name=f"RW {r + 1:02d} {key}", desa=key, backlog=int(pool * rng.uniform(0.3, 0.7)),
                              lagging=lagging, days_since_visit=visited, blocked_dates=blocked))
            sid += 1
    for n in range(school_count):
        pp = max(int(total_backlog * pp_share / school_count * rng.uniform(0.6, 1.4)), 10)
        cutoff = days[rng.randint(1, len(days) - 2)] if rng.random() < 0.8 else days[-1] + timedelta(days=30)
        start = rng.randint(0, len(days) - 3)
        blocked = frozenset(days[start:start + rng.randint(1, 3)]) if rng.random() < 0.5 else frozenset()
        sites.append(Site(sid, lat0 + rng.uniform(-0.05, 0.05), lng0 + rng.uniform(-0.05, 0.05),
                          name=f"SMA {n + 1}", pemilih_pemula=pp, cutoff=cutoff, blocked_dates=blocked,
                          lagging=rng.random() < 0.2, days_since_visit=rng.randint(0, 200)))
        sid += 1
    teams = [Team(1, lat0 + rng.uniform(-0.01, 0.01), lng0 + rng.uniform(-0.01, 0.01), name="Tim Kecamatan")]
    for t in range(2, n_teams + 1):
        angle = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(0.08, 0.22)  # about 9-24 km away
        teams.append(Team(t, lat0 + dist * math.sin(angle), lng0 + dist * math.cos(angle), name=f"Tim {t}",
                          kit_ids=tuple(range(1, n_kits)) if rng.random() < 0.25 else None))
    kits = [Kit(k, code=f"K-{k:02d}") for k in range(1, n_kits + 1)]
    if rng.random() < 0.4:
        k = rng.randrange(n_kits)
        kits[k] = Kit(kits[k].id, kits[k].code, unavailable_dates=frozenset(rng.sample(days, rng.randint(1, 4))))
    busy = []
    for _ in range(rng.randint(0, 3)):
        day = rng.choice(days)
        if rng.random() < 0.5:
            busy.append(BusySlot(day, team_id=rng.randint(1, n_teams)))
        else:
            busy.append(BusySlot(day, kit_ids=(rng.randint(1, n_kits),)))
    return PlanRequest(first_day=first, last_day=last, teams=tuple(teams), kits=tuple(kits), sites=tuple(sites),
                       desa_backlog=desa_backlog, busy=tuple(busy), records_per_kit_hour=rate,
                       travel_speed_kmh=30.0, road_factor=1.4,
                       work_start=time(8, 0), work_end=time(8 + int(work_hours), 0),
                       weights=PriorityWeights(pemilih_pemula=1.0, lagging=0.5, per_30_days_since_visit=0.1))


# ------------------------------------------------------------------------ kabupaten scale
def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def kabupaten_instance(data_dir: Path, kode: str = "33.01", n_days: int = 20, n_teams: int = 5, n_kits: int = 6,
                       seed: int = 2026, start: date = date(2026, 3, 2)) -> PlanRequest:
    """Real desa and schools of one kabupaten with generated backlogs and sites."""
    rng = random.Random(seed)
    wilayah = _read_csv(Path(data_dir) / "jateng_wilayah.csv")
    kec = [r for r in wilayah if r["level"] == "kecamatan" and r["parent_kode"] == kode]
    desa = [r for r in wilayah if r["level"] == "desa" and r["kode"].startswith(kode + ".")]
    kab = next(r for r in wilayah if r["kode"] == kode)
    schools = [r for r in _read_csv(Path(data_dir) / "jateng_sekolah.csv")
               if r["kode_kabupaten"] == kode and r["jenjang"] in ("SMA", "SMK", "SLB") and r["lat"] and r["lng"]]
    first, last = _first_working_days(start, n_days)
    days = working_days(first, last)
    sites: list[Site] = []
    desa_backlog: dict[str, int] = {}
    sid = 1
    kec_lagging = {r["kode"]: rng.random() < 0.25 for r in kec}
    for r in sorted(desa, key=lambda r: r["kode"]):
        lat, lng = float(r["lat"]), float(r["lng"])
        pool = int(rng.lognormvariate(math.log(120), 0.8))
        desa_backlog[r["kode"]] = pool
        lagging = kec_lagging.get(r["parent_kode"], False)
        visited = None if rng.random() < 0.15 else rng.randint(0, 240)
        sites.append(Site(sid, lat, lng, name=f"Balai Desa {r['nama']}", desa=r["kode"], backlog=pool,
                          lagging=lagging, days_since_visit=visited))
        sid += 1
        for n in range(rng.randint(1, 4)):
            rt, rw = rng.randint(1, 8), rng.randint(1, 12)
            blocked = frozenset(rng.sample(days, 2)) if rng.random() < 0.15 else frozenset()
            sites.append(Site(sid, lat + rng.uniform(-0.01, 0.01), lng + rng.uniform(-0.01, 0.01),
                              name=f"RT {rt:02d} / RW {rw:02d} {r['nama']}", desa=r["kode"],
                              backlog=int(pool * rng.uniform(0.2, 0.6)), lagging=lagging, days_since_visit=visited,
                              blocked_dates=blocked))
            sid += 1
    for r in sorted(schools, key=lambda r: r["npsn"]):
        cutoff = days[rng.randint(3, len(days) - 1)] if rng.random() < 0.7 else None
        start_block = rng.randint(0, len(days) - 5)
        blocked = frozenset(days[start_block:start_block + 5]) if rng.random() < 0.3 else frozenset()
        sites.append(Site(sid, float(r["lat"]), float(r["lng"]), name=r["nama"],
                          pemilih_pemula=rng.randint(40, 260), cutoff=cutoff, blocked_dates=blocked,
                          lagging=kec_lagging.get(r["kode_kecamatan"], False),
                          days_since_visit=rng.randint(0, 365)))
        sid += 1
    # Team offices: the kecamatan nearest the kabupaten centroid first, then the farthest from
    # those already chosen (spread over the kabupaten).
    pts = [(r["kode"], r["nama"], float(r["lat"]), float(r["lng"])) for r in sorted(kec, key=lambda r: r["kode"])]
    klat, klng = float(kab["lat"]), float(kab["lng"])
    chosen = [min(pts, key=lambda p: (p[2] - klat) ** 2 + (p[3] - klng) ** 2)]
    while len(chosen) < min(n_teams, len(pts)):
        chosen.append(max((p for p in pts if p not in chosen),
                          key=lambda p: min((p[2] - c[2]) ** 2 + (p[3] - c[3]) ** 2 for c in chosen)))
    teams = tuple(Team(n + 1, c[2], c[3], name=f"Tim {c[1]}") for n, c in enumerate(chosen))
    kits = tuple(Kit(k, code=f"K-{k:02d}") for k in range(1, n_kits + 1))
    busy = (BusySlot(days[2], team_id=2), BusySlot(days[5], kit_ids=(3,)), BusySlot(days[9], team_id=4, kit_ids=(6,)))
    return PlanRequest(first_day=first, last_day=last, teams=teams, kits=kits, sites=tuple(sites),
                       desa_backlog=desa_backlog, busy=busy, records_per_kit_hour=10.0, travel_speed_kmh=30.0,
                       road_factor=1.4, work_start=time(8, 0), work_end=time(15, 0),
                       default_cutoff=days[-1])
