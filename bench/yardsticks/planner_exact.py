"""The exact yardstick: the same planning problem as a MIP, solved with HiGHS (`highspy`).

Meant for small instances (one kecamatan, about 10 working days, 2 teams, 3 kits). It optimizes
exactly what `instance.State` values and what the heuristic in `solve.py` maximizes.

Variables
- y[i,t,d,n] ∈ {0,1}: team t holds its session of day d at site i with n kits (only where
  `can_visit`; n up to the kits the team may take that day and never more than the site's pools
  can use: n ≤ ceil(pools / per-kit capacity));
- z[t,d,k] ∈ {0,1}: kit k goes with team t on day d — only on days where teams may not take every
  free kit (`Instance.uniform_day` false); on the other days a count is enough;
- u[i,t,d] ≥ 0 pemilih pemula and v[i,t,d] ≥ 0 general backlog recorded by that session;
- K[i,t] ∈ Z+ (and Kb[i,t] for the days up to a school's cut-off): kit-days of team t at site i.

Constraints
- one session per team-day: Σ_{i,n} y[i,t,d,n] ≤ 1;
- kits: Σ_{t,i,n} n·y[i,t,d,n] ≤ kits free on day d (or Σ_k z[t,d,k] = Σ_{i,n} n·y and
  Σ_t z[t,d,k] ≤ 1 on the other days);
- capacity after travel: u + v ≤ Σ_n min(n·cpk[i,t], pools of i)·y[i,t,d,n];
- pools: Σ u[i,·,·] ≤ pemilih pemula of school i;  Σ v[i,·,·] ≤ backlog site i serves;
  Σ_{i in desa} Σ v[i,·,·] ≤ the desa's pool (the shared backlog is counted once);
- K[i,t] = Σ_{d,n} n·y and Σ_d (u+v)[i,t,d] ≤ cpk[i,t]·K[i,t] (same for Kb before the cut-off).
  These rows are implied by the others; they are there so HiGHS' MIR cuts can see that sessions
  come in whole kit-days, which closes most of the LP gap (bench: minutes → seconds).

Objective: maximize Σ p[i]·u on days up to the school's cut-off + g[i]·u after it + g[i]·v.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Optional

from outreach.planner.instance import Instance, State, build_result, from_sessions, session_shares
from outreach.planner.model import PlanRequest, PlanResult


@dataclass
class ExactResult:
    state: State
    objective: float  # weighted yield of the best plan found (re-valued by the shared evaluator)
    mip_objective: float  # the same as HiGHS reports it (equal to `objective` up to rounding)
    bound: float  # HiGHS' dual bound: no plan can beat it
    optimal: bool  # proven optimal within mip_rel_gap
    status: str
    seconds: float


class _Model:
    """Columns and rows collected before they are handed to HiGHS in one go."""

    def __init__(self):
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[list[int], list[float], float, float]] = []

    def var(self, cost: float, upper: float, integer: bool = False) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        if integer:
            self.integer.append(len(self.cost) - 1)
        return len(self.cost) - 1

    def row(self, idx: list[int], vals: list[float], lo: float, hi: float) -> None:
        if idx:
            self.rows.append((idx, vals, lo, hi))


def solve_exact_instance(inst: Instance, time_limit: float = 60.0, mip_rel_gap: float = 1e-4,
                         threads: Optional[int] = 1, start: Optional[State] = None,
                         log: bool = False) -> ExactResult:
    """Solve the instance with HiGHS (optionally warm-started from a plan); returns its best plan."""
    import highspy
    import numpy as np

    started = _time.perf_counter()
    inf = highspy.kHighsInf
    n_sites, n_teams, n_days, n_kits = len(inst.sites), len(inst.teams), inst.n_days, len(inst.kits)
    m = _Model()
    y: dict[tuple[int, int, int, int], int] = {}
    u: dict[tuple[int, int, int], int] = {}
    v: dict[tuple[int, int, int], int] = {}
    z: dict[tuple[int, int, int], int] = {}
    K: dict[tuple[int, int], int] = {}
    Kb: dict[tuple[int, int], int] = {}

    for t in range(n_teams):
        for d in range(n_days):
            if not inst.uniform_day[d]:
                for k in inst.team_kits[t][d]:
                    z[(t, d, k)] = m.var(0.0, 1.0, True)
    for i in range(n_sites):
        general = min(inst.B[i], inst.pool[inst.group[i]])
        reach = inst.P[i] + general
        if reach <= 0:
            continue
        for t in range(n_teams):
            cpk = inst.cpk[i][t]
            for d in range(n_days):
                if not inst.can_visit(i, t, d):
                    continue
                max_kits = min(len(inst.team_kits[t][d]), -(-reach // cpk))
                max_cap = float(cpk * max_kits)
                idx, vals = [], []
                for n in range(1, max_kits + 1):
                    y[(i, t, d, n)] = m.var(0.0, 1.0, True)
                    idx.append(y[(i, t, d, n)])
                    vals.append(-float(min(n * cpk, reach)))
                if inst.P[i] > 0:
                    weight = inst.p[i] if d <= inst.cut[i] else inst.g[i]
                    u[(i, t, d)] = m.var(weight, min(float(inst.P[i]), max_cap))
                    idx.append(u[(i, t, d)])
                    vals.append(1.0)
                if general > 0:
                    v[(i, t, d)] = m.var(inst.g[i], min(float(general), max_cap))
                    idx.append(v[(i, t, d)])
                    vals.append(1.0)
                m.row(idx, vals, -inf, 0.0)

    # One session per team-day; kits within what is free that day.
    sessions_of: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for (i, t, d, n), col in y.items():
        sessions_of.setdefault((t, d), []).append((col, n))
    for (t, d), cols in sessions_of.items():
        m.row([c for c, _ in cols], [1.0] * len(cols), -inf, 1.0)
        if not inst.uniform_day[d]:
            ks = inst.team_kits[t][d]
            m.row([c for c, _ in cols] + [z[(t, d, k)] for k in ks],
                  [float(n) for _, n in cols] + [-1.0] * len(ks), 0.0, 0.0)
    for d in range(n_days):
        if inst.uniform_day[d]:
            cols = [(c, n) for (t, dd), lst in sessions_of.items() if dd == d for c, n in lst]
            m.row([c for c, _ in cols], [float(n) for _, n in cols], -inf, float(len(inst.day_kits[d])))
        else:
            for k in range(n_kits):
                idx = [z[(t, d, k)] for t in range(n_teams) if (t, d, k) in z]
                if len(idx) > 1:
                    m.row(idx, [1.0] * len(idx), -inf, 1.0)

    # Whole kit-days per (site, team), overall and up to a school's cut-off.
    per_it: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for (i, t, d, n), col in y.items():
        per_it.setdefault((i, t), []).append((col, n, d))
    for (i, t), cols in sorted(per_it.items()):
        for label, chosen, store in (("all", cols, K), ("before", [c for c in cols if c[2] <= inst.cut[i]], Kb)):
            if label == "before" and (inst.P[i] == 0 or not chosen or len(chosen) == len(cols)):
                continue
            kcol = m.var(0.0, float(sum(n for _, n, _ in chosen)), True)
            store[(i, t)] = kcol
            # K = Σ n·y as two inequalities: as an equality presolve substitutes K away, and
            # with it the structure the cuts need.
            m.row([c for c, _, _ in chosen] + [kcol], [float(n) for _, n, _ in chosen] + [-1.0], -inf, 0.0)
            m.row([kcol] + [c for c, _, _ in chosen], [1.0] + [-float(n) for _, n, _ in chosen], -inf, 0.0)
            days = sorted({d for _, _, d in chosen})
            pools = (u, v) if label == "all" else (u,)
            yc = [p[(i, t, d)] for d in days for p in pools if (i, t, d) in p]
            m.row(yc + [kcol], [1.0] * len(yc) + [-float(inst.cpk[i][t])], -inf, 0.0)

    # Mixed-integer rounding cuts: yield ≤ c·(kit-days) and yield ≤ R with whole kit-days give
    # yield ≤ r·(kit-days) + q·(c − r) where R = q·c + r. Per site, per desa pool and for the days
    # up to a cut-off, for each team and for all teams together (c = the largest per-kit capacity).
    def mir(ycols: list[int], kcols: list[int], c: int, R: float) -> None:
        if c <= 0 or not ycols or not kcols:
            return
        q, r = divmod(int(R), c)
        if r == 0:
            return
        m.row(ycols + kcols, [1.0] * len(ycols) + [-float(r)] * len(kcols), -inf, float(q * (c - r)))

    def yields(i: int, t: int, pools, before: bool = False) -> list[int]:
        return [p[(i, t, d)] for d in range(n_days) for p in pools
                if (i, t, d) in p and (not before or d <= inst.cut[i])]

    for i in range(n_sites):
        teams = [t for t in range(n_teams) if (i, t) in K]
        reach = inst.P[i] + min(inst.B[i], inst.pool[inst.group[i]])
        for subset in [[t] for t in teams] + ([teams] if len(teams) > 1 else []):
            c = max(inst.cpk[i][t] for t in subset)
            mir([col for t in subset for col in yields(i, t, (u, v))], [K[(i, t)] for t in subset], c, reach)
            bteams = [t for t in subset if (i, t) in Kb]
            if bteams:
                c = max(inst.cpk[i][t] for t in bteams)
                mir([col for t in bteams for col in yields(i, t, (u,), True)], [Kb[(i, t)] for t in bteams],
                    c, inst.P[i])
    for gid, members in enumerate(inst.members):
        general_sites = [i for i in members if any((i, t, d) in v for t in range(n_teams) for d in range(n_days))]
        if len(general_sites) < 2:
            continue
        pairs_all = [(i, t) for i in general_sites for t in range(n_teams) if (i, t) in K]
        for subset in [[t] for t in range(n_teams)] + ([list(range(n_teams))] if n_teams > 1 else []):
            pairs = [(i, t) for i, t in pairs_all if t in subset]
            if pairs:
                c = max(inst.cpk[i][t] for i, t in pairs)
                mir([col for i, t in pairs for col in yields(i, t, (v,))], [K[p] for p in pairs], c,
                    inst.pool[gid])

    # Pools.
    by_site_u: dict[int, list[int]] = {}
    by_site_v: dict[int, list[int]] = {}
    for (i, t, d), col in u.items():
        by_site_u.setdefault(i, []).append(col)
    for (i, t, d), col in v.items():
        by_site_v.setdefault(i, []).append(col)
    for i, cols in sorted(by_site_u.items()):
        m.row(cols, [1.0] * len(cols), -inf, float(inst.P[i]))
    for i, cols in sorted(by_site_v.items()):
        if inst.B[i] < inst.pool[inst.group[i]]:
            m.row(cols, [1.0] * len(cols), -inf, float(inst.B[i]))
    for gid, members in enumerate(inst.members):
        cols = [c for i in members for c in by_site_v.get(i, [])]
        m.row(cols, [1.0] * len(cols), -inf, float(inst.pool[gid]))

    sessions: dict[tuple[int, int], tuple[int, int]] = {}
    n_vars = len(m.cost)
    mip_objective = 0.0
    if n_vars == 0:
        status, bound, optimal = "Empty", 0.0, True
    else:
        h = highspy.Highs()
        if not log:
            h.silent()
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        h.setOptionValue("random_seed", 0)
        if threads:
            h.setOptionValue("threads", int(threads))
        h.addVars(n_vars, np.zeros(n_vars), np.array(m.upper, dtype=float))
        h.changeColsCost(n_vars, np.arange(n_vars, dtype=np.int32), np.array(m.cost, dtype=float))
        if m.integer:
            h.changeColsIntegrality(len(m.integer), np.array(m.integer, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * len(m.integer)))
        starts, index, value = [], [], []
        for idx, vals, _, _ in m.rows:
            starts.append(len(index))
            index.extend(idx)
            value.extend(vals)
        h.addRows(len(m.rows), np.array([r[2] for r in m.rows], dtype=float),
                  np.array([r[3] for r in m.rows], dtype=float), len(index), np.array(starts, dtype=np.int32),
                  np.array(index, dtype=np.int32), np.array(value, dtype=float))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        if start is not None and start.sessions:
            _warm_start(h, inst, start, y, u, v, z, K, Kb, n_vars)
        h.run()
        model_status = h.getModelStatus()
        status = h.modelStatusToString(model_status)
        info = h.getInfo()
        bound = float(info.mip_dual_bound)
        optimal = model_status == highspy.HighsModelStatus.kOptimal
        if info.primal_solution_status != 0:
            mip_objective = float(info.objective_function_value)
            sol = h.getSolution().col_value
            for (i, t, d, n), col in y.items():
                if sol[col] > 0.5:
                    sessions[(t, d)] = (i, n)
    state = from_sessions(inst, sessions)
    state.drop_idle()
    state.trim_kits()
    return ExactResult(state=state, objective=state.total, mip_objective=mip_objective, bound=bound,
                       optimal=optimal, status=status, seconds=round(_time.perf_counter() - started, 3))


def _warm_start(h, inst: Instance, start: State, y, u, v, z, K, Kb, n_vars: int) -> None:
    """Hand HiGHS a complete feasible solution built from a plan (e.g. the heuristic's)."""
    import numpy as np

    values = np.zeros(n_vars)
    shares = session_shares(inst, start)
    for (t, d), (i, n) in start.sessions.items():
        if (i, t, d, n) not in y:  # more kits than the MIP allows there: drop the start
            return
        values[y[(i, t, d, n)]] = 1.0
        pp, gen = shares.get((t, d), (0, 0))
        if pp:
            values[u[(i, t, d)]] = pp
        if gen:
            values[v[(i, t, d)]] = gen
        if (i, t) in K:
            values[K[(i, t)]] += n
        if (i, t) in Kb and d <= inst.cut[i]:
            values[Kb[(i, t)]] += n
    for d in range(inst.n_days):
        if not inst.uniform_day[d] and start.day_demand[d]:
            assigned = inst.assign_kits(d, dict(start.day_demand[d]))
            for t, ks in (assigned or {}).items():
                for k in ks:
                    values[z[(t, d, k)]] = 1.0
    h.setSolution(n_vars, np.arange(n_vars, dtype=np.int32), values)


def solve_exact(req: PlanRequest, time_limit: float = 60.0) -> tuple[PlanResult, ExactResult]:
    """The optimal plan for a (small) request, as the coordinator would see it, and the raw result."""
    inst = Instance(req)
    res = solve_exact_instance(inst, time_limit=time_limit)
    return build_result(inst, res.state, {"solver": "highs", "seconds": res.seconds, "status": res.status,
                                          "bound": res.bound}), res
