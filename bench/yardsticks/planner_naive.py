"""The baseline a coordinator might use by hand: largest backlog first, travel ignored."""
from __future__ import annotations

from outreach.planner.instance import Instance, State, build_result
from outreach.planner.model import PlanResult, id_key


def naive_state(inst: Instance) -> State:
    """Sites by descending backlog (pemilih pemula + general); each working day every free team takes
    the next unvisited site that is open that day, whatever the distance; kits are dealt one per team,
    round robin. Sites too far to leave time for recording still get their (empty) session."""
    state = State(inst)
    order = sorted(range(len(inst.sites)), key=lambda i: (-(inst.P[i] + inst.B[i]), id_key(inst.sites[i].id)))
    visited: set[int] = set()
    for d in range(inst.n_days):
        teams = [t for t in range(len(inst.teams)) if inst.team_kits[t][d]]
        picked: dict[int, int] = {}
        for t in teams:
            for i in order:
                if i not in visited and d not in inst.blocked[i]:
                    picked[t] = i
                    visited.add(i)
                    break
        kits: dict[int, int] = {t: 0 for t in picked}
        progress = True
        while progress:
            progress = False
            for t in picked:
                trial = dict(kits)
                trial[t] += 1
                if inst.kits_fit(d, trial):
                    kits = trial
                    progress = True
        for t, i in picked.items():
            if kits[t]:
                state.open(t, d, i, kits[t])
    return state


def naive_plan(inst: Instance) -> PlanResult:
    return build_result(inst, naive_state(inst), {"solver": "naive"})
