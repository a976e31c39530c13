"""The planning problem in index form, and the one evaluator both solvers are judged by.

`Instance` turns a `PlanRequest` into arrays (days, teams, kits, candidate sites, desa pools,
per-kit capacity of every site for every team after travel). `State` holds a plan — at most one
session per (team, day), each with a site and a number of kits — and keeps its total weighted
yield up to date. `build_result` turns a state into the `PlanResult` the coordinator sees.

How a plan's yield is counted (the same rule the exact MIP in `bench/yardsticks/planner_exact.py` optimizes): the sessions
at site i give it capacity Cb[i] on days up to the school's cut-off and Ca[i] after it. Given those,
the best split of the capacity over the pools is, for each site, pemilih pemula first (before the
cut-off, then after it, never more than the school's pool), then the general backlog of the site,
with the desa pool handed to the sites of the desa in order of their weight. This greedy split is
optimal for the pool structure (each unit of capacity is worth at most p[i] on pemilih pemula before
the cut-off, g[i] anywhere else, and pemilih pemula do not draw on the shared desa pool), so the
heuristic and the MIP value any set of sessions identically.

Over 400 lines on purpose: it is one data structure, the planning instance (pools, candidates, their
values and travel), and the functions that build and value it; the search lives in outreach.planner.solve.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Iterable, Optional

from outreach.geo import haversine_km
from outreach.i18n import gettext_here as _
from outreach.planner import home_visits
from outreach.planner.model import (Id, LeftOut, PlanRequest, PlanResult, ProposedSession, Site, id_key)

EPS = 1e-6  # values are weighted head counts: differences below this are noise
TRAVEL_ROUNDING_MINUTES = 5
DURATION_ROUNDING_MINUTES = 15



START_ROUNDING_MINUTES = 15  # sessions start on the quarter hour (08.15, not 08.20)


def short_date(day: date, *also_in: date) -> str:
    """'14 Feb' in this year, '14 Feb 2027' in another (also when the dates in `also_in`, such as the
    session's own day, lie in another year); the user's language in a request, Bahasa Indonesia elsewhere."""
    from outreach.clock import local_today
    from outreach.templating import short_day

    today = local_today()
    reference = today if all(d.year == today.year for d in also_in) else date(day.year + 1, 1, 1)
    return short_day(day, today=reference, weekday=False)


def has_target(site: Site, desa_pool: Optional[int]) -> bool:
    """A site is a candidate when it has pemilih pemula or general backlog to reach."""
    general = site.backlog if desa_pool is None else min(site.backlog, desa_pool)
    return site.pemilih_pemula > 0 or general > 0


class Instance:
    """A `PlanRequest` prepared for the solvers (everything indexed by small integers)."""

    def __init__(self, req: PlanRequest):
        self.req = req
        self.days: tuple[date, ...] = req.working_days()
        n_days = len(self.days)
        day_index = {d: j for j, d in enumerate(self.days)}
        self.day_index = day_index
        self.teams = sorted(req.teams, key=lambda t: id_key(t.id))
        self.kits = sorted(req.kits, key=lambda k: id_key(k.id))
        kit_pos = {k.id: n for n, k in enumerate(self.kits)}
        team_pos = {t.id: n for n, t in enumerate(self.teams)}

        # Which team and kit is free on which working day.
        self.team_free = [[True] * n_days for _ in self.teams]
        self.kit_free = [[not k.under_repair and d not in k.unavailable_dates for d in self.days] for k in self.kits]
        for slot in req.busy:
            j = day_index.get(slot.date)
            if j is None:
                continue
            if slot.team_id in team_pos:
                self.team_free[team_pos[slot.team_id]][j] = False
            for kid in slot.kit_ids:
                if kid in kit_pos:
                    self.kit_free[kit_pos[kid]][j] = False
        eligible = []
        for t in self.teams:
            if t.kit_ids is None:
                eligible.append(set(range(len(self.kits))))
            else:
                eligible.append({kit_pos[k] for k in t.kit_ids if k in kit_pos})
        # team_kits[t][d]: kits team t may take on day d (sorted); empty when the team is busy.
        self.team_kits: list[list[list[int]]] = []
        for t in range(len(self.teams)):
            row = []
            for j in range(n_days):
                if not self.team_free[t][j]:
                    row.append([])
                else:
                    row.append(sorted(k for k in eligible[t] if self.kit_free[k][j]))
            self.team_kits.append(row)
        self.day_kits = [[k for k in range(len(self.kits)) if self.kit_free[k][j]] for j in range(n_days)]
        # On a "uniform" day every free team may take every free kit: a count check is enough.
        self.uniform_day = [all(len(self.team_kits[t][j]) == len(self.day_kits[j])
                                for t in range(len(self.teams)) if self.team_free[t][j])
                            for j in range(n_days)]

        # Home visits: each round of houses is one candidate site (outreach.planner.home_visits).
        self.rounds: dict[Id, home_visits.Round] = {}
        round_sites = []
        for rnd in home_visits.build_rounds(req):
            first = rnd.visits[0]
            since = [v.days_since_visit for v in rnd.visits if v.days_since_visit is not None]
            blocked = frozenset().union(*(v.blocked_dates for v in rnd.visits))
            self.rounds[rnd.id] = rnd
            round_sites.append(Site(rnd.id, first.lat, first.lng, name=rnd.id, desa=rnd.desa,
                                    desa_name=first.desa_name, backlog=home_visits.round_capacity(req, rnd), blocked_dates=blocked,
                                    days_since_visit=min(since) if since else None,
                                    lagging=any(v.lagging for v in rnd.visits)))
        all_sites = list(req.sites) + round_sites

        # Desa pools and candidate sites.
        by_desa: dict[str, list[Site]] = {}
        for s in all_sites:
            if s.desa is not None:
                by_desa.setdefault(s.desa, []).append(s)
        pool_of: dict[str, int] = {}
        for key, members in by_desa.items():
            given = req.desa_backlog.get(key)
            pool_of[key] = max(int(given), 0) if given is not None else max(max(m.backlog, 0) for m in members)

        w = req.weights
        self.sites: list[Site] = []
        self.idle_sites: list[Site] = []  # nothing to record there
        for s in sorted(all_sites, key=lambda s: id_key(s.id)):
            pool = pool_of.get(s.desa) if s.desa is not None else None
            (self.sites if has_target(s, pool) else self.idle_sites).append(s)
        n_sites = len(self.sites)
        self.P = [max(int(s.pemilih_pemula), 0) for s in self.sites]
        self.B = []
        self.group = []
        group_keys: dict[object, int] = {}
        self.pool: list[int] = []
        self.group_name: list[Optional[str]] = []
        for s in self.sites:
            key = ("desa", s.desa) if s.desa is not None else ("site", id_key(s.id))
            if key not in group_keys:
                group_keys[key] = len(self.pool)
                self.pool.append(pool_of[s.desa] if s.desa is not None else max(int(s.backlog), 0))
                self.group_name.append(s.desa)
            gid = group_keys[key]
            self.group.append(gid)
            self.B.append(min(max(int(s.backlog), 0), self.pool[gid]))
        self.g = []
        for s in self.sites:
            days_since = w.max_days_since_visit if s.days_since_visit is None else min(
                max(s.days_since_visit, 0), w.max_days_since_visit)
            self.g.append(1.0 + (w.lagging if s.lagging else 0.0) + w.per_30_days_since_visit * days_since / 30.0
                          + (w.home_visit if s.id in self.rounds else 0.0))
        self.p = [self.g[i] + (w.pemilih_pemula if self.P[i] > 0 else 0.0) for i in range(n_sites)]
        # cut[i]: last day index that still earns the pemilih pemula weight (-1: none does).
        self.cut = []
        for s in self.sites:
            cutoff = s.cutoff if s.cutoff is not None else req.default_cutoff
            if cutoff is None:
                self.cut.append(n_days - 1)
            else:
                self.cut.append(sum(1 for d in self.days if d <= cutoff) - 1)
        self.cutoff_date = [s.cutoff if s.cutoff is not None else req.default_cutoff for s in self.sites]
        self.blocked = [frozenset(day_index[d] for d in s.blocked_dates if d in day_index) for s in self.sites]
        self.members: list[list[int]] = [[] for _ in self.pool]
        for i in range(n_sites):
            self.members[self.group[i]].append(i)
        for m in self.members:
            m.sort(key=lambda i: (-self.g[i], id_key(self.sites[i].id)))

        self._fit_cache: dict[tuple, bool] = {}
        # Travel and per-kit capacity of every site for every team.
        work = req.work_minutes()
        max_session = int(round(req.max_session_hours * 60))
        min_session = req.min_session_hours * 60
        speed = req.travel_speed_kmh if req.travel_speed_kmh > 0 else 1e-9
        self.dist_km = [[0.0] * len(self.teams) for _ in range(n_sites)]
        self.travel_min = [[0] * len(self.teams) for _ in range(n_sites)]
        self.minutes = [[0] * len(self.teams) for _ in range(n_sites)]
        self.cpk = [[0] * len(self.teams) for _ in range(n_sites)]
        # routes[i][t]: the round at site i for team t (None: not a round, or out of reach for that team).
        self.routes: list[list[Optional[home_visits.RoundRoute]]] = [[None] * len(self.teams) for _ in range(n_sites)]
        for i, s in enumerate(self.sites):
            if s.id in self.rounds:
                for t, team in enumerate(self.teams):
                    route = home_visits.route_for(req, self.rounds[s.id], team.lat, team.lng)
                    self.dist_km[i][t] = home_visits.road_km(req, team.lat, team.lng, s.lat, s.lng)
                    if route is not None:
                        self.routes[i][t] = route
                        self.travel_min[i][t] = route.travel_out
                        self.minutes[i][t] = route.on_site
                        self.cpk[i][t] = route.capacity  # one kit records every house of the round
                continue
            for t, team in enumerate(self.teams):
                km = haversine_km(team.lat, team.lng, s.lat, s.lng) * req.road_factor
                travel = int(math.ceil(km / speed * 60 / TRAVEL_ROUNDING_MINUTES - 1e-9)) * TRAVEL_ROUNDING_MINUTES
                usable = min(work - 2 * travel, max_session)
                self.dist_km[i][t] = km
                self.travel_min[i][t] = travel
                if usable >= min_session and usable > 0:
                    self.minutes[i][t] = usable
                    self.cpk[i][t] = int(math.floor(req.records_per_kit_hour * usable / 60 + 1e-9))

        # visitable[t][d]: sites team t can visit on day d; visit_days[i][t]: the days it can.
        self.visitable = [[[i for i in range(n_sites) if self.cpk[i][t] > 0 and self.team_kits[t][d]
                            and d not in self.blocked[i]] for d in range(n_days)] for t in range(len(self.teams))]
        self.visit_days = [[[d for d in range(n_days) if self.team_kits[t][d] and d not in self.blocked[i]]
                            if self.cpk[i][t] > 0 else [] for t in range(len(self.teams))] for i in range(n_sites)]

    # ------------------------------------------------------------------ helpers
    @property
    def n_days(self) -> int:
        return len(self.days)

    def can_visit(self, i: int, t: int, d: int) -> bool:
        """Team t can hold a session at site i on day d (reach, team free, a kit, site open)."""
        return self.cpk[i][t] > 0 and bool(self.team_kits[t][d]) and d not in self.blocked[i]

    def kits_fit(self, d: int, demand: dict[int, int]) -> bool:
        """Whether the teams' kit demands on day d can all be met from the kits free that day."""
        if self.uniform_day[d]:
            return sum(demand.values()) <= len(self.day_kits[d])
        key = (d, tuple(sorted((t, n) for t, n in demand.items() if n > 0)))
        fit = self._fit_cache.get(key)
        if fit is None:
            fit = self._fit_cache[key] = self.assign_kits(d, demand) is not None
        return fit

    def assign_kits(self, d: int, demand: dict[int, int]) -> Optional[dict[int, list[int]]]:
        """Concrete kits for each team on day d (lowest kit ids first), or None if impossible."""
        slots = [t for t in sorted(demand) for _ in range(demand[t])]
        owner: dict[int, int] = {}  # kit -> slot

        def augment(slot: int, seen: set[int]) -> bool:
            for k in self.team_kits[slots[slot]][d]:
                if k in seen:
                    continue
                seen.add(k)
                if k not in owner or augment(owner[k], seen):
                    owner[k] = slot
                    return True
            return False

        for slot in range(len(slots)):
            if not augment(slot, set()):
                return None
        out: dict[int, list[int]] = {t: [] for t in demand}
        for k, slot in owner.items():
            out[slots[slot]].append(k)
        for t in out:
            out[t].sort()
        return out

    def group_value(self, gid: int, Cb: list[int], Ca: list[int], detail: Optional[dict] = None) -> float:
        """Weighted yield of one desa pool given each member's capacity before/after its cut-off."""
        pool = self.pool[gid]
        value = 0.0
        P, B, g, p = self.P, self.B, self.g, self.p
        for i in self.members[gid]:
            cb, ca = Cb[i], Ca[i]
            if cb == 0 and ca == 0:
                continue
            ub = P[i] if P[i] < cb else cb
            ua = P[i] - ub if P[i] - ub < ca else ca
            general = min(B[i], cb + ca - ub - ua, pool)
            pool -= general
            value += p[i] * ub + g[i] * (ua + general)
            if detail is not None:
                detail[i] = (ub, ua, general)
        return value


class State:
    """A plan under construction: sessions[(t, d)] = [site, kits], with its value kept current."""

    def __init__(self, inst: Instance):
        self.inst = inst
        n = len(inst.sites)
        self.sessions: dict[tuple[int, int], list[int]] = {}
        self.Cb = [0] * n
        self.Ca = [0] * n
        self.gval = [0.0] * len(inst.pool)
        self.total = 0.0
        self.day_demand: list[dict[int, int]] = [{} for _ in range(inst.n_days)]
        self.day_used = [0] * inst.n_days
        self.version = 0  # bumped on every change (for caches)

    # -------------------------------------------------------------- capacity bookkeeping
    def _shift(self, i: int, d: int, amount: int) -> None:
        if d <= self.inst.cut[i]:
            self.Cb[i] += amount
        else:
            self.Ca[i] += amount

    def _refresh(self, gid: int) -> None:
        self.version += 1
        new = self.inst.group_value(gid, self.Cb, self.Ca)
        self.total += new - self.gval[gid]
        self.gval[gid] = new

    def value_with(self, changes: Iterable[tuple[int, int, int]]) -> float:
        """Total value if capacity `amount` were added at (site, day) for each change; state unchanged."""
        touched: dict[int, None] = {}
        applied = []
        for i, d, amount in changes:
            if amount:
                self._shift(i, d, amount)
                applied.append((i, d, amount))
                touched[self.inst.group[i]] = None
        total = self.total
        for gid in touched:
            total += self.inst.group_value(gid, self.Cb, self.Ca) - self.gval[gid]
        for i, d, amount in applied:
            self._shift(i, d, -amount)
        return total

    def kits_free_for(self, t: int, d: int, extra: int) -> bool:
        """Whether team t could take `extra` more kits on day d."""
        demand = self.day_demand[d]
        if self.inst.uniform_day[d]:
            return self.day_used[d] + extra <= len(self.inst.day_kits[d])
        trial = dict(demand)
        trial[t] = trial.get(t, 0) + extra
        return self.inst.kits_fit(d, trial)

    # -------------------------------------------------------------- edits
    def open(self, t: int, d: int, i: int, n: int) -> None:
        assert (t, d) not in self.sessions
        self.sessions[(t, d)] = [i, n]
        self.day_demand[d][t] = n
        self.day_used[d] += n
        self._shift(i, d, n * self.inst.cpk[i][t])
        self._refresh(self.inst.group[i])

    def close(self, t: int, d: int) -> None:
        i, n = self.sessions.pop((t, d))
        del self.day_demand[d][t]
        self.day_used[d] -= n
        self._shift(i, d, -n * self.inst.cpk[i][t])
        self._refresh(self.inst.group[i])

    def set_kits(self, t: int, d: int, n: int) -> None:
        i, old = self.sessions[(t, d)]
        if n == old:
            return
        if n <= 0:
            self.close(t, d)
            return
        self.sessions[(t, d)][1] = n
        self.day_demand[d][t] = n
        self.day_used[d] += n - old
        self._shift(i, d, (n - old) * self.inst.cpk[i][t])
        self._refresh(self.inst.group[i])

    def recompute(self) -> float:
        """Recompute the total from scratch (for checks)."""
        for gid in range(len(self.inst.pool)):
            self.gval[gid] = self.inst.group_value(gid, self.Cb, self.Ca)
        self.total = sum(self.gval)
        return self.total

    def drop_idle(self) -> None:
        """Close sessions that add nothing (their site's pools are covered by other sessions)."""
        for (t, d) in sorted(self.sessions, key=lambda td: (td[1], td[0])):
            i, n = self.sessions[(t, d)]
            if self.value_with([(i, d, -n * self.inst.cpk[i][t])]) >= self.total - EPS:
                self.close(t, d)

    def trim_kits(self) -> None:
        """Hand back kits that add nothing (the site's pools are already covered without them)."""
        for (t, d) in sorted(self.sessions, key=lambda td: (td[1], td[0])):
            i, n = self.sessions[(t, d)]
            while n > 1:
                if self.value_with([(i, d, -self.inst.cpk[i][t])]) < self.total - EPS:
                    break
                n -= 1
                self.set_kits(t, d, n)

    def check(self) -> None:
        """Assert every constraint of the problem holds (used by tests and the benchmark)."""
        inst = self.inst
        for (t, d), (i, n) in self.sessions.items():
            assert n >= 1 and inst.can_visit(i, t, d), (t, d, i, n)
        for d in range(inst.n_days):
            demand = {t: n for (t, dd), (_, n) in self.sessions.items() if dd == d}
            assert inst.kits_fit(d, demand), (d, demand)


def from_sessions(inst: Instance, sessions: dict[tuple[int, int], tuple[int, int]]) -> State:
    """A state holding the given sessions {(team, day): (site, kits)}."""
    state = State(inst)
    for (t, d), (i, n) in sorted(sessions.items()):
        if n > 0:
            state.open(t, d, i, n)
    return state


# ---------------------------------------------------------------------------- output
def _clock(start: time, minutes: int) -> time:
    return (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)).time()


def _start_time(req: PlanRequest, travel: int, minutes: int) -> time:
    """The session's start: arrival after travel, on the quarter hour. Later when the session and the way
    back still fit the working day, else earlier (the team leaves a few minutes sooner)."""
    arrival = req.work_start.hour * 60 + req.work_start.minute + travel
    step = START_ROUNDING_MINUTES
    later = -(-arrival // step) * step
    latest_end = req.work_end.hour * 60 + req.work_end.minute - travel
    chosen = later if later + minutes <= latest_end else arrival // step * step
    return _clock(time(0, 0), chosen)


def _reason(inst: Instance, i: int, t: int, day: date, general_left: int, pp_left: int,
            yield_: int, kits: int, minutes: int) -> str:
    site = inst.sites[i]
    w = inst.req.weights
    parts = []
    if inst.B[i] > 0 or inst.P[i] == 0:
        parts.append(_("backlog %(n)s", n=general_left))
    parts.append(f"{inst.dist_km[i][t]:.0f} km")
    if inst.P[i] > 0:
        cutoff = inst.cutoff_date[i]
        if cutoff is None:
            parts.append(_("pemilih pemula %(n)s", n=pp_left))
        elif day <= cutoff:
            parts.append(_("pemilih pemula %(n)s sebelum %(date)s", n=pp_left, date=short_date(cutoff, day)))
        else:
            parts.append(_("pemilih pemula %(n)s (lewat batas %(date)s)", n=pp_left, date=short_date(cutoff, day)))
    if site.lagging and w.lagging > 0:
        parts.append(_("wilayah tertinggal"))
    if w.per_30_days_since_visit > 0:
        if site.days_since_visit is None:
            parts.append(_("belum pernah dikunjungi"))
        elif site.days_since_visit >= 30:
            parts.append(_("%(days)s hari sejak kunjungan terakhir", days=site.days_since_visit))
    if site.note:
        parts.append(site.note)
    hours = f"{minutes / 60:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return _("%(reasons)s; perkiraan %(n)s orang (%(kits)s alat × %(hours)s jam)", reasons=", ".join(parts),
             n=yield_, kits=kits, hours=hours)


def _left_out_reason(inst: Instance, i: int, detail: dict) -> str:
    site = inst.sites[i]
    req = inst.req
    if all(c == 0 for c in inst.cpk[i]):
        hours = f"{req.min_session_hours:g}".replace(".", ",")
        return _("terlalu jauh: perjalanan pulang-pergi menyisakan kurang dari %(hours)s jam untuk perekaman",
                 hours=hours)
    if all(d in inst.blocked[i] for d in range(inst.n_days)):
        return _("tidak bisa menerima kunjungan pada semua hari kerja dalam rentang ini")
    if not any(inst.can_visit(i, t, d) for t in range(len(inst.teams)) for d in range(inst.n_days)):
        return _("tidak ada tim dengan alat yang bisa menjangkaunya pada hari lokasi ini bisa dikunjungi")
    if inst.P[i] == 0 and site.desa is not None:
        used = sum(v[2] for j, v in detail.items() if inst.group[j] == inst.group[i])
        if used >= inst.pool[inst.group[i]]:
            from outreach.templating import region_with_code

            return _("backlog desa %(desa)s sudah terlayani oleh sesi di lokasi lain desa itu",
                     desa=region_with_code(site.desa_name, site.desa))
    return _("kalah prioritas: semua tim dan alat sudah terpakai untuk lokasi yang lebih bernilai")


def _home_visit_text(visit) -> str:
    """"Kunjungan rumah untuk permohonan JB-XXXXXX (lansia, 1 orang)": the code, the kind and the head count only."""
    return _("kunjungan rumah untuk permohonan %(code)s (%(kind)s, %(n)s orang)", code=visit.request_code,
             kind=home_visits.kind_text(visit.kind, _), n=visit.people)


def _home_visit_left_out(visit, reason: str) -> str:
    return "%s: %s" % (_home_visit_text(visit), reason)


def _round_sessions(inst: Instance, i: int, t: int, d: int, people: int, kits: tuple) -> list[ProposedSession]:
    """One proposed session per house of the round at site i, in visiting order, sharing the round's `people`
    (what its desa pool allows) in that order."""
    req = inst.req
    rnd = inst.rounds[inst.sites[i].id]
    route = inst.routes[i][t]
    times = home_visits.schedule(req, route)
    g = inst.g[i]
    out = []
    for k, (pos, (start, end)) in enumerate(zip(route.order, times)):
        visit = rnd.visits[pos]
        take = min(people, home_visits.visit_capacity(req, visit, route.visit_minutes[k]))
        people -= take
        if take <= 0:
            continue
        parts = [_home_visit_text(visit), f"{route.km_from_office[k]:.0f} km"]
        if len(route.order) > 1:
            parts.append(_("rumah %(k)s dari %(n)s yang dikunjungi tim ini hari itu", k=k + 1, n=len(route.order)))
        if visit.lagging and req.weights.lagging > 0:
            parts.append(_("wilayah tertinggal"))
        reason = _("%(reasons)s; perkiraan %(n)s orang (%(minutes)s menit di rumah)", reasons=", ".join(parts),
                   n=take, minutes=route.visit_minutes[k])
        out.append(ProposedSession(
            site_id=visit.site_id, site_name="", date=inst.days[d], start=start, end=end,
            team_id=inst.teams[t].id, kit_ids=kits, expected_yield=take, pemilih_pemula_yield=0,
            weighted_value=round(g * take, 4), distance_km=round(route.km_from_office[k], 1), reason=reason,
            request_id=visit.request_id, request_code=visit.request_code, request_kind=visit.kind,
            people=visit.people))
    return out


def session_shares(inst: Instance, state: State,
                   detail: Optional[dict] = None) -> dict[tuple[int, int], tuple[int, int]]:
    """Each session's (pemilih pemula, general) yield: every site's optimal allocation spread over
    its sessions in date order (earlier sessions record first)."""
    if detail is None:
        detail = {}
        for gid in range(len(inst.pool)):
            inst.group_value(gid, state.Cb, state.Ca, detail)
    by_site: dict[int, list[tuple[int, int, int]]] = {}
    for (t, d), (i, n) in state.sessions.items():
        by_site.setdefault(i, []).append((d, t, n))
    share: dict[tuple[int, int], list[int]] = {}
    for i, sessions in by_site.items():
        sessions.sort(key=lambda x: (x[0], id_key(inst.teams[x[1]].id)))
        ub, ua, general = detail.get(i, (0, 0, 0))
        room = {(t, d): n * inst.cpk[i][t] for d, t, n in sessions}
        for d, t, n in sessions:
            take = min(room[(t, d)], ub if d <= inst.cut[i] else ua)
            if d <= inst.cut[i]:
                ub -= take
            else:
                ua -= take
            room[(t, d)] -= take
            share[(t, d)] = [take, 0]
        for d, t, n in sessions:
            take = min(room[(t, d)], general)
            general -= take
            share[(t, d)][1] = take
    return {key: (pp, gen) for key, (pp, gen) in share.items()}


def build_result(inst: Instance, state: State, stats: Optional[dict] = None) -> PlanResult:
    """The coordinator's view of a plan: sessions with times, kits, yields and reasons."""
    req = inst.req
    detail: dict[int, tuple[int, int, int]] = {}
    for gid in range(len(inst.pool)):
        inst.group_value(gid, state.Cb, state.Ca, detail)

    # Kits per day, concrete ids.
    kit_ids: dict[tuple[int, int], tuple[Id, ...]] = {}
    for d in range(inst.n_days):
        demand = state.day_demand[d]
        if demand:
            assigned = inst.assign_kits(d, dict(demand))
            assert assigned is not None, "kit demand exceeds the kits free that day"
            for t, ks in assigned.items():
                kit_ids[(t, d)] = tuple(inst.kits[k].id for k in ks)

    share = session_shares(inst, state, detail)

    items = []
    general_used: dict[int, int] = {}  # per site, in date order
    pool_used: dict[int, int] = {}  # per desa pool, in date order
    pp_used: dict[int, int] = {}
    total_weighted = 0.0
    for (t, d) in sorted(state.sessions, key=lambda td: (td[1], id_key(inst.teams[td[0]].id))):
        i, n = state.sessions[(t, d)]
        pp, gen = share[(t, d)]
        yield_ = pp + gen
        if yield_ <= 0:
            continue
        gid = inst.group[i]
        general_left = max(min(inst.B[i] - general_used.get(i, 0), inst.pool[gid] - pool_used.get(gid, 0)), 0)
        pp_left = inst.P[i] - pp_used.get(i, 0)
        general_used[i] = general_used.get(i, 0) + gen
        pool_used[gid] = pool_used.get(gid, 0) + gen
        pp_used[i] = pp_used.get(i, 0) + pp
        weight_pp = inst.p[i] if d <= inst.cut[i] else inst.g[i]
        weighted = weight_pp * pp + inst.g[i] * gen
        total_weighted += weighted
        if inst.sites[i].id in inst.rounds:
            items.extend(_round_sessions(inst, i, t, d, gen, kit_ids[(t, d)]))
            continue
        rate = req.records_per_kit_hour
        needed = math.ceil(yield_ / (n * rate) * 60 / DURATION_ROUNDING_MINUTES - 1e-9) * DURATION_ROUNDING_MINUTES
        minutes = int(min(max(needed, req.min_session_hours * 60), inst.minutes[i][t]))
        start = _start_time(req, inst.travel_min[i][t], minutes)
        site = inst.sites[i]
        items.append(ProposedSession(
            site_id=site.id, site_name=site.name, date=inst.days[d], start=start, end=_clock(start, minutes),
            team_id=inst.teams[t].id, kit_ids=kit_ids[(t, d)], expected_yield=yield_, pemilih_pemula_yield=pp,
            weighted_value=round(weighted, 4), distance_km=round(inst.dist_km[i][t], 1),
            reason=_reason(inst, i, t, inst.days[d], general_left, pp_left, yield_, n, minutes)))

    visited = {i for (t, d), (i, _) in state.sessions.items() if sum(share[(t, d)]) > 0}
    served = {item.request_id for item in items if item.request_id is not None}
    left_out = []
    for i in range(len(inst.sites)):
        rnd = inst.rounds.get(inst.sites[i].id)
        if rnd is not None:
            reason = None if i in visited else _left_out_reason(inst, i, detail)
            for v in rnd.visits:
                if v.request_id not in served:
                    left_out.append(LeftOut(v.site_id, _home_visit_left_out(
                        v, reason or _("backlog desanya tidak cukup untuk semua rumah dalam satu putaran"))))
        elif i not in visited:
            left_out.append(LeftOut(inst.sites[i].id, _left_out_reason(inst, i, detail)))
    left_out = tuple(left_out)
    return PlanResult(items=tuple(items), total_expected_yield=sum(s.expected_yield for s in items),
                      total_weighted_yield=round(total_weighted, 6), left_out=left_out,
                      working_days=inst.days, stats=dict(stats or {}))
