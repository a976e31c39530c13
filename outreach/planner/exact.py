"""The exact yardstick: the same planning problem as a MIP, solved with HiGHS (`highspy`).

Meant for small instances (one kecamatan, about 10 working days, 2 teams, 3 kits). Variables:

- x[i,t,d] ∈ {0,1}: team t holds its session of day d at site i (only where `can_visit`);
- z[t,d,k] ∈ {0,1}: kit k goes with team t on day d (kit free that day, team may take it);
- u[i,t,d] ≥ 0: pemilih pemula recorded by that session; v[i,t,d] ≥ 0: general backlog recorded.

Constraints:

- one session per team-day: Σ_i x[i,t,d] ≤ 1;  a kit with one team a day: Σ_t z[t,d,k] ≤ 1;
- capacity after travel: Σ_i (u+v)[i,t,d] / cpk[i,t] ≤ Σ_k z[t,d,k]  (only one i is open, so this
  is yield ≤ kits × per-kit capacity of that site for that team), and (u+v)[i,t,d] ≤ M·x[i,t,d];
- pools: Σ u[i,·,·] ≤ pemilih pemula of school i;  Σ v[i,·,·] ≤ backlog site i serves;
  Σ_{i in desa} Σ v[i,·,·] ≤ the desa's pool (shared backlog counted once).

Objective: maximize Σ p[i]·u (days up to the cut-off) + g[i]·u (after) + g[i]·v — the weighted yield
that `instance.State` computes for the heuristic, so the two are compared on the same scale.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Optional

from outreach.planner.instance import Instance, State, build_result, from_sessions
from outreach.planner.model import PlanRequest, PlanResult


@dataclass
class ExactResult:
    state: State
    objective: float  # weighted yield of the best plan found (re-valued by the shared evaluator)
    bound: float  # HiGHS' dual bound: no plan can beat it
    optimal: bool
    status: str
    seconds: float


def solve_exact_instance(inst: Instance, time_limit: float = 60.0, mip_rel_gap: float = 1e-6,
                         threads: Optional[int] = 1) -> ExactResult:
    """Solve the instance with HiGHS; the plan it finds is returned as a `State`."""
    import highspy

    started = _time.perf_counter()
    n_sites, n_teams, n_days, n_kits = len(inst.sites), len(inst.teams), inst.n_days, len(inst.kits)
    cost: list[float] = []
    upper: list[float] = []
    integral: list[int] = []

    def var(c: float, ub: float, is_int: bool) -> int:
        cost.append(c)
        upper.append(ub)
        integral.append(1 if is_int else 0)
        return len(cost) - 1

    rows: list[tuple[list[int], list[float], float]] = []  # (indices, values, upper bound); lower = -inf

    x: dict[tuple[int, int, int], int] = {}
    u: dict[tuple[int, int, int], int] = {}
    v: dict[tuple[int, int, int], int] = {}
    z: dict[tuple[int, int, int], int] = {}
    for t in range(n_teams):
        for d in range(n_days):
            for k in inst.team_kits[t][d]:
                z[(t, d, k)] = var(0.0, 1.0, True)
    for i in range(n_sites):
        gid = inst.group[i]
        general = min(inst.B[i], inst.pool[gid])
        for t in range(n_teams):
            for d in range(n_days):
                if not inst.can_visit(i, t, d):
                    continue
                max_cap = inst.cpk[i][t] * len(inst.team_kits[t][d])
                big_m = min(max_cap, inst.P[i] + general)
                if big_m <= 0:
                    continue
                x[(i, t, d)] = var(0.0, 1.0, True)
                if inst.P[i] > 0:
                    w = inst.p[i] if d <= inst.cut[i] else inst.g[i]
                    u[(i, t, d)] = var(w, float(min(inst.P[i], max_cap)), False)
                if general > 0:
                    v[(i, t, d)] = var(inst.g[i], float(min(general, max_cap)), False)
                link = [x[(i, t, d)]]
                vals = [-float(big_m)]
                for m in (u, v):
                    if (i, t, d) in m:
                        link.append(m[(i, t, d)])
                        vals.append(1.0)
                rows.append((link, vals, 0.0))

    # One session per team-day; capacity after travel.
    for t in range(n_teams):
        for d in range(n_days):
            idx = [x[(i, t, d)] for i in range(n_sites) if (i, t, d) in x]
            if not idx:
                continue
            rows.append((idx, [1.0] * len(idx), 1.0))
            cap_idx, cap_val = [], []
            for i in range(n_sites):
                for m in (u, v):
                    if (i, t, d) in m:
                        cap_idx.append(m[(i, t, d)])
                        cap_val.append(1.0 / inst.cpk[i][t])
            for k in inst.team_kits[t][d]:
                cap_idx.append(z[(t, d, k)])
                cap_val.append(-1.0)
            rows.append((cap_idx, cap_val, 0.0))
    # A kit goes with one team a day.
    for d in range(n_days):
        for k in range(n_kits):
            idx = [z[(t, d, k)] for t in range(n_teams) if (t, d, k) in z]
            if len(idx) > 1:
                rows.append((idx, [1.0] * len(idx), 1.0))
    # Pools.
    by_site_u: dict[int, list[int]] = {}
    by_site_v: dict[int, list[int]] = {}
    for (i, t, d), col in u.items():
        by_site_u.setdefault(i, []).append(col)
    for (i, t, d), col in v.items():
        by_site_v.setdefault(i, []).append(col)
    for i, cols in by_site_u.items():
        rows.append((cols, [1.0] * len(cols), float(inst.P[i])))
    for i, cols in by_site_v.items():
        if inst.B[i] < inst.pool[inst.group[i]]:
            rows.append((cols, [1.0] * len(cols), float(inst.B[i])))
    for gid, members in enumerate(inst.members):
        cols = [c for i in members for c in by_site_v.get(i, [])]
        if cols:
            rows.append((cols, [1.0] * len(cols), float(inst.pool[gid])))

    h = highspy.Highs()
    h.silent()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if threads:
        h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    n_vars = len(cost)
    inf = highspy.kHighsInf
    if n_vars:
        import numpy as np

        h.addVars(n_vars, np.zeros(n_vars), np.array(upper, dtype=float))
        h.changeColsCost(n_vars, np.arange(n_vars, dtype=np.int32), np.array(cost, dtype=float))
        int_cols = np.array([c for c in range(n_vars) if integral[c]], dtype=np.int32)
        if len(int_cols):
            h.changeColsIntegrality(len(int_cols), int_cols,
                                    np.array([highspy.HighsVarType.kInteger] * len(int_cols)))
        starts, index, value = [], [], []
        for idx, vals, _ in rows:
            starts.append(len(index))
            index.extend(idx)
            value.extend(vals)
        h.addRows(len(rows), np.full(len(rows), -inf), np.array([r[2] for r in rows], dtype=float),
                  len(index), np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32),
                  np.array(value, dtype=float))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        sol = list(h.getSolution().col_value)
        info = h.getInfo()
        bound = float(info.mip_dual_bound)
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    else:
        status, sol, bound, optimal = "Empty", [], 0.0, True

    sessions: dict[tuple[int, int], tuple[int, int]] = {}
    for (i, t, d), col in x.items():
        if sol[col] > 0.5:
            kits = sum(1 for k in inst.team_kits[t][d] if sol[z[(t, d, k)]] > 0.5)
            if kits:
                sessions[(t, d)] = (i, kits)
    state = from_sessions(inst, sessions)
    state.trim_kits()
    return ExactResult(state=state, objective=state.total, bound=bound, optimal=optimal, status=status,
                       seconds=round(_time.perf_counter() - started, 3))


def solve_exact(req: PlanRequest, time_limit: float = 60.0) -> tuple[PlanResult, ExactResult]:
    """The optimal plan for a (small) request, as the coordinator would see it, and the raw result."""
    inst = Instance(req)
    res = solve_exact_instance(inst, time_limit=time_limit)
    return build_result(inst, res.state, {"solver": "highs", "seconds": res.seconds, "status": res.status,
                                          "bound": res.bound}), res
