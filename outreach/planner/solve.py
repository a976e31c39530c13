"""The heuristic planner: greedy construction, then local improvement until no move gains.

1. Greedy (`greedy_fill`): every step hands out ONE kit-day, either by opening a session (team t,
   day d, site i, one kit) or by adding a kit to an open session, choosing the step with the largest
   marginal weighted yield (travel is already priced into each site's per-kit capacity for that
   team). Gains only shrink as the plan fills up, so candidates sit in a lazy priority queue and are
   re-valued when they reach the top. Opening candidates are kept per (site, team, cut-off side);
   the day is picked when the candidate is taken: the free day, on the right side of the school's
   cut-off, with the most kits still free for that team, latest first (so early days stay open for
   schools whose cut-off comes sooner; `compact` moves everything forward at the end).
2. Local improvement (`improve`), repeated until a full pass gains nothing:
   - relocate: move a session to a better site (same team, day and kits);
   - swap: exchange the sites of two sessions (other team, other day, other number of kits) —
     with one site per route this is what a 2-opt exchange between routes amounts to;
   - kit re-allocation: move one kit between two teams on the same day (to an open session or to
     an idle team, which then opens its best session; a session losing its last kit closes);
   - move: shift a session to a free (team, day) slot;
   after each pass kits that add nothing are handed back and the greedy fills what was freed.
3. `compact` moves sessions to the earliest free day that keeps the value, and `trim_kits` hands
   back kits the sessions do not need.

Everything is deterministic: candidates are ordered by (gain, site index, team index, day) where the
indices follow the sorted ids, and no randomness is used.
"""
from __future__ import annotations

import heapq
import time as _time
from typing import Optional

from outreach.planner.instance import EPS, Instance, State, build_result
from outreach.planner.model import PlanRequest, PlanResult
from outreach.planner.validate import PlanInputError, validate

OPEN, ADD = 0, 1
MAX_PASSES = 60


class Planner:
    """Heuristic search over one instance."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.state = State(inst)
        self.moves = 0
        self.passes = 0

    # ---------------------------------------------------------------- greedy construction
    def _classes(self, i: int) -> list[tuple[int, int]]:
        """Day ranges [lo, hi] of site i that value its capacity alike (before/after the cut-off)."""
        n = self.inst.n_days
        c = self.inst.cut[i]
        if self.inst.P[i] == 0 or c >= n - 1 or c < 0:
            return [(0, n - 1)]
        return [(0, c), (c + 1, n - 1)]

    def _pick_day(self, i: int, t: int, lo: int, hi: int) -> Optional[int]:
        inst, st = self.inst, self.state
        best, best_key = None, None
        for d in range(hi, lo - 1, -1):
            if (t, d) in st.sessions or not inst.can_visit(i, t, d) or not st.kits_free_for(t, d, 1):
                continue
            free = len(inst.team_kits[t][d]) - st.day_used[d] if inst.uniform_day[d] else len(inst.team_kits[t][d])
            if best_key is None or free > best_key:
                best, best_key = d, free
        return best

    def greedy_fill(self) -> None:
        """Hand out free kit-days one at a time to the step with the largest marginal value."""
        inst, st = self.inst, self.state
        heap: list[tuple] = []
        for i in range(len(inst.sites)):
            for t in range(len(inst.teams)):
                if inst.cpk[i][t] == 0:
                    continue
                for lo, hi in self._classes(i):
                    d = self._pick_day(i, t, lo, hi)
                    if d is None:
                        continue
                    gain = st.value_with([(i, d, inst.cpk[i][t])]) - st.total
                    if gain > EPS:
                        heap.append((-gain, OPEN, i, t, lo, hi))
        for (t, d), (i, n) in st.sessions.items():
            if st.kits_free_for(t, d, 1):
                gain = st.value_with([(i, d, inst.cpk[i][t])]) - st.total
                if gain > EPS:
                    heap.append((-gain, ADD, -1, t, d, d))
        heapq.heapify(heap)
        while heap:
            neg, kind, i, t, lo, hi = heapq.heappop(heap)
            if kind == OPEN:
                d = self._pick_day(i, t, lo, hi)
                if d is None:
                    continue
            else:
                d = lo
                if (t, d) not in st.sessions or not st.kits_free_for(t, d, 1):
                    continue
                i = st.sessions[(t, d)][0]
            gain = st.value_with([(i, d, inst.cpk[i][t])]) - st.total
            if gain <= EPS:
                continue
            if heap and gain < -heap[0][0] - EPS:
                heapq.heappush(heap, (-gain, kind, i if kind == OPEN else -1, t, lo, hi))
                continue
            if kind == OPEN:
                st.open(t, d, i, 1)
                heapq.heappush(heap, (-gain, OPEN, i, t, lo, hi))
            else:
                st.set_kits(t, d, st.sessions[(t, d)][1] + 1)
            heapq.heappush(heap, (-gain, ADD, -1, t, d, d))

    # ---------------------------------------------------------------- local moves
    def _headroom(self) -> list[float]:
        """Upper bound of the extra weighted value each site could still give per unit of capacity."""
        inst, st = self.inst, self.state
        detail: dict[int, tuple[int, int, int]] = {}
        left = [0] * len(inst.pool)
        for gid in range(len(inst.pool)):
            inst.group_value(gid, st.Cb, st.Ca, detail)
            left[gid] = inst.pool[gid] - sum(detail[i][2] for i in inst.members[gid] if i in detail)
        room = []
        for i in range(len(inst.sites)):
            ub, ua, general = detail.get(i, (0, 0, 0))
            room.append(inst.P[i] - ub - ua + min(inst.B[i] - general, left[inst.group[i]]))
        return room

    def _relocate(self) -> bool:
        inst, st = self.inst, self.state
        improved = False
        for (t, d) in sorted(st.sessions, key=lambda td: (td[1], td[0])):
            if (t, d) not in st.sessions:
                continue
            i, n = st.sessions[(t, d)]
            room = self._headroom()
            base = st.value_with([(i, d, -n * inst.cpk[i][t])])
            best_val, best_j = st.total + EPS, None
            gi = inst.group[i]
            candidates = []
            for j in range(len(inst.sites)):
                if j == i or not inst.can_visit(j, t, d):
                    continue
                cap = n * inst.cpk[j][t]
                bound = base + min(cap, room[j]) * inst.p[j] if inst.group[j] != gi else float("inf")
                if bound > best_val:
                    candidates.append((-bound, j))
            candidates.sort()
            for negb, j in candidates:
                if -negb <= best_val:
                    break
                val = st.value_with([(i, d, -n * inst.cpk[i][t]), (j, d, n * inst.cpk[j][t])])
                if val > best_val:
                    best_val, best_j = val, j
            if best_j is not None:
                st.close(t, d)
                st.open(t, d, best_j, n)
                self.moves += 1
                improved = True
        return improved

    def _swap(self) -> bool:
        inst, st = self.inst, self.state
        improved = False
        keys = sorted(st.sessions, key=lambda td: (td[1], td[0]))
        for a in range(len(keys)):
            for b in range(a + 1, len(keys)):
                (t1, d1), (t2, d2) = keys[a], keys[b]
                if (t1, d1) not in st.sessions or (t2, d2) not in st.sessions:
                    continue
                i1, n1 = st.sessions[(t1, d1)]
                i2, n2 = st.sessions[(t2, d2)]
                if i1 == i2 or not inst.can_visit(i2, t1, d1) or not inst.can_visit(i1, t2, d2):
                    continue
                val = st.value_with([(i1, d1, -n1 * inst.cpk[i1][t1]), (i2, d2, -n2 * inst.cpk[i2][t2]),
                                     (i2, d1, n1 * inst.cpk[i2][t1]), (i1, d2, n2 * inst.cpk[i1][t2])])
                if val > st.total + EPS:
                    st.close(t1, d1)
                    st.close(t2, d2)
                    st.open(t1, d1, i2, n1)
                    st.open(t2, d2, i1, n2)
                    self.moves += 1
                    improved = True
        return improved

    def _best_open(self, t: int, d: int, n: int, extra: list[tuple[int, int, int]]) -> tuple[float, Optional[int]]:
        """Best site for a new session of team t on day d with n kits, given other pending changes."""
        inst, st = self.inst, self.state
        room = self._headroom()
        base = st.value_with(extra)
        touched = {inst.group[i] for i, _, _ in extra}
        best_val, best_j = -1.0, None
        cands = []
        for j in range(len(inst.sites)):
            if not inst.can_visit(j, t, d):
                continue
            cap = n * inst.cpk[j][t]
            bound = base + min(cap, room[j]) * inst.p[j] if inst.group[j] not in touched else float("inf")
            cands.append((-bound, j))
        cands.sort()
        for negb, j in cands:
            if -negb <= best_val:
                break
            val = st.value_with(extra + [(j, d, n * inst.cpk[j][t])])
            if val > best_val:
                best_val, best_j = val, j
        return best_val, best_j

    def _kit_moves(self) -> bool:
        inst, st = self.inst, self.state
        improved = False
        for d in range(inst.n_days):
            teams_today = [t for t in range(len(inst.teams)) if inst.team_kits[t][d]]
            for t1 in teams_today:
                for t2 in teams_today:
                    if t1 == t2 or (t1, d) not in st.sessions:
                        continue
                    i1, n1 = st.sessions[(t1, d)]
                    demand = dict(st.day_demand[d])
                    demand[t1] = n1 - 1
                    demand[t2] = demand.get(t2, 0) + 1
                    if not inst.kits_fit(d, {k: v for k, v in demand.items() if v > 0}):
                        continue
                    take = (i1, d, -inst.cpk[i1][t1])
                    if (t2, d) in st.sessions:
                        i2, n2 = st.sessions[(t2, d)]
                        val = st.value_with([take, (i2, d, inst.cpk[i2][t2])])
                        if val > st.total + EPS:
                            st.set_kits(t1, d, n1 - 1)
                            st.set_kits(t2, d, n2 + 1)
                            self.moves += 1
                            improved = True
                    else:
                        val, j = self._best_open(t2, d, 1, [take])
                        if j is not None and val > st.total + EPS:
                            st.set_kits(t1, d, n1 - 1)
                            st.open(t2, d, j, 1)
                            self.moves += 1
                            improved = True
        return improved

    def _shift(self) -> bool:
        """Move a session (same site and kits) to a free (team, day) slot when that gains."""
        inst, st = self.inst, self.state
        improved = False
        for (t, d) in sorted(st.sessions, key=lambda td: (td[1], td[0])):
            if (t, d) not in st.sessions:
                continue
            i, n = st.sessions[(t, d)]
            best_val, best_slot = st.total + EPS, None
            for d2 in range(inst.n_days):
                for t2 in range(len(inst.teams)):
                    if (t2, d2) in st.sessions or not inst.can_visit(i, t2, d2):
                        continue
                    if d2 == d:
                        demand = dict(st.day_demand[d])
                        del demand[t]
                        demand[t2] = n
                        if not inst.kits_fit(d, demand):
                            continue
                    elif not st.kits_free_for(t2, d2, n):
                        continue
                    val = st.value_with([(i, d, -n * inst.cpk[i][t]), (i, d2, n * inst.cpk[i][t2])])
                    if val > best_val:
                        best_val, best_slot = val, (t2, d2)
            if best_slot is not None:
                st.close(t, d)
                st.open(best_slot[0], best_slot[1], i, n)
                self.moves += 1
                improved = True
        return improved

    def improve(self) -> None:
        """Local improvement until a whole pass of every move finds no gain."""
        st = self.state
        for _ in range(MAX_PASSES):
            self.passes += 1
            before = st.total
            self._relocate()
            self._swap()
            self._kit_moves()
            self._shift()
            st.trim_kits()
            self.greedy_fill()
            if st.total <= before + EPS:
                break

    # ---------------------------------------------------------------- finishing
    def compact(self) -> None:
        """Move sessions to the earliest free day of the same team when that loses nothing."""
        inst, st = self.inst, self.state
        for (t, d) in sorted(st.sessions, key=lambda td: (td[1], td[0])):
            i, n = st.sessions[(t, d)]
            for d2 in range(d):
                if (t, d2) in st.sessions or not inst.can_visit(i, t, d2) or not st.kits_free_for(t, d2, n):
                    continue
                cap = n * inst.cpk[i][t]
                if st.value_with([(i, d, -cap), (i, d2, cap)]) >= st.total - EPS:
                    st.close(t, d)
                    st.open(t, d2, i, n)
                    break

    def run(self) -> State:
        self.greedy_fill()
        self.improve()
        self.state.trim_kits()
        self.compact()
        self.state.recompute()
        return self.state


def solve_instance(inst: Instance) -> tuple[State, dict]:
    """Run the heuristic on a prepared instance; returns the final state and run statistics."""
    started = _time.perf_counter()
    planner = Planner(inst)
    state = planner.run()
    stats = {"solver": "heuristic", "seconds": round(_time.perf_counter() - started, 3),
             "passes": planner.passes, "moves": planner.moves}
    return state, stats


def plan(req: PlanRequest) -> PlanResult:
    """Propose sessions for the request (raises `PlanInputError` with Indonesian messages on bad input)."""
    issues = validate(req)
    if issues:
        raise PlanInputError(issues)
    inst = Instance(req)
    state, stats = solve_instance(inst)
    return build_result(inst, state, stats)
