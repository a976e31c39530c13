"""The heuristic planner: multi-start greedy, local improvement, a little destroy-and-repair.

1. Greedy (`greedy_fill`): every step either opens a session (team t, day d, site i, n kits) or
   adds a kit to an open session, choosing the step with the largest marginal weighted yield per
   resource used (a kit-day counts 1, a team-day `alpha`). Travel is already priced into each
   site's per-kit capacity for that team. Gains only shrink as the plan fills up, so candidates sit
   in a lazy priority queue and are re-valued when they reach the top. Opening candidates are kept
   per (site, team, side of the school's cut-off, kits); the day is picked when the step is taken:
   a free day on that side with the most kits still free, the latest of those (early days stay
   open for schools whose cut-off comes sooner; `compact` moves everything forward at the end).
2. Local improvement (`improve`), repeated until a full pass gains nothing:
   - relocate: give a session its best (site, number of kits), everything else fixed;
   - swap: exchange the sites of two sessions (other team, other day, other number of kits) —
     with one site per route this is what a 2-opt exchange between two routes amounts to;
   - kit re-allocation: move one kit between two teams on the same day, the receiving team taking
     its best site for its new number of kits (a session losing its last kit closes);
   - shift: move a session to a free (team, day) slot;
   after each pass kits that add nothing are handed back and the greedy fills what was freed.
3. Steps 1–2 run once per team-day price in `ALPHAS` (kits scarce vs. team-days scarce); the best
   plan is kept and, on kecamatan-sized instances, refined by a few destroy-and-repair rounds
   (remove whole days, a stretch of one team's days, one desa, or a random quarter of the
   sessions; refill greedily; one pass of local moves; keep it if it is better).
4. Sessions that add nothing are dropped, kits they do not need handed back, and `compact` moves
   sessions to the earliest free day that keeps the value.

Deterministic: candidates are ordered by (value, kits, site index, team index, day), the indices
following the sorted ids, and the destroy-and-repair rounds draw from a fixed seed.

Over 400 lines on purpose: it is one algorithm (greedy construction, then destroy-and-repair rounds,
then day compaction) whose steps share its private state; split, the steps would only be read together.
"""
from __future__ import annotations

import heapq
import random
import time as _time
from typing import Optional

from outreach.planner.instance import EPS, Instance, State, build_result, from_sessions
from outreach.planner.model import PlanRequest, PlanResult
from outreach.planner.validate import PlanInputError, twice_issues, validate

OPEN, ADD = 0, 1
MAX_PASSES = 60
ALPHAS = (0.5, 0.0, 1.0, 2.0)  # team-day prices tried by the greedy (a kit-day costs 1)
LNS_SEED = 20260214  # fixed: the same input always gives the same plan
LNS_MAX_ROUNDS = 30
LNS_WORK = 60_000  # rounds × (sites × teams × days) spent at most


def lns_budget(inst: Instance) -> int:
    """Destroy-and-repair rounds: a few dozen on kecamatan-sized instances, none at kabupaten
    scale (where each round costs about half a second and the multi-start already does well)."""
    size = len(inst.sites) * len(inst.teams) * inst.n_days
    return max(0, min(LNS_MAX_ROUNDS, LNS_WORK // max(size, 1)))


class Planner:
    """Heuristic search over one instance."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.state = State(inst)
        self.moves = 0
        self.passes = 0
        self._room_cache: list[int] = []
        self._room_version = -1
        self.lns_gains = 0
        self.bulk = True
        self.alpha = 0.0
        self.best_alpha = 0.0
        self.team_max_kits = [max((len(k) for k in inst.team_kits[t]), default=0) for t in range(len(inst.teams))]

    # ---------------------------------------------------------------- greedy construction
    def _classes(self, i: int) -> list[tuple[int, int]]:
        """Day ranges [lo, hi] of site i that value its capacity alike (before/after the cut-off)."""
        n = self.inst.n_days
        c = self.inst.cut[i]
        if self.inst.P[i] == 0 or c >= n - 1 or c < 0:
            return [(0, n - 1)]
        return [(0, c), (c + 1, n - 1)]

    def _pick_day(self, i: int, t: int, lo: int, hi: int, n: int = 1) -> Optional[int]:
        """The day in [lo, hi] for a new session of team t at site i with n kits: a free day with
        the most kits left for the team, the latest of those (None when there is none)."""
        inst, st = self.inst, self.state
        best, best_key = None, None
        sessions = st.sessions
        for d in reversed(inst.visit_days[i][t]):
            if d > hi or (t, d) in sessions:
                continue
            if d < lo:
                break
            if not st.kits_free_for(t, d, n):
                continue
            free = len(inst.team_kits[t][d]) - st.day_used[d] if inst.uniform_day[d] else len(inst.team_kits[t][d])
            if best_key is None or free > best_key:
                best, best_key = d, free
        return best

    def _free_for_new(self, t: int, d: int) -> int:
        """Kits a new session of team t on day d could take (0 when the team already works)."""
        inst, st = self.inst, self.state
        if (t, d) in st.sessions or not inst.team_kits[t][d]:
            return 0
        if inst.uniform_day[d]:
            return len(inst.day_kits[d]) - st.day_used[d]
        n = 0
        while n < len(inst.team_kits[t][d]) and st.kits_free_for(t, d, n + 1):
            n += 1
        return n

    def greedy_fill(self, bulk: Optional[bool] = None, alpha: Optional[float] = None) -> None:
        """Hand out free kit-days to the step with the largest marginal value per resource used:
        open a session (one kit, or with `bulk` several at once) or add a kit to an open session.
        A kit-day counts 1 and a team-day `alpha`: 0 when kits are what is scarce, more when the
        teams' days are (then fewer, fuller sessions win)."""
        inst, st = self.inst, self.state
        bulk = self.bulk if bulk is None else bulk
        alpha = self.alpha if alpha is None else alpha
        n_days = inst.n_days
        free_new = [[self._free_for_new(t, d) for d in range(n_days)] for t in range(len(inst.teams))]
        span_max: dict[tuple[int, int, int], int] = {}
        room = self._room()
        heap: list[tuple] = []
        for i in range(len(inst.sites)):
            if room[i] <= 0:
                continue
            for t in range(len(inst.teams)):
                cpk = inst.cpk[i][t]
                if cpk == 0:
                    continue
                for lo, hi in self._classes(i):
                    key = (t, lo, hi)
                    if key not in span_max:
                        span_max[key] = max(free_new[t][lo:hi + 1], default=0)
                    top = min(span_max[key], -(-room[i] // cpk)) if bulk else min(span_max[key], 1)
                    for n in range(1, top + 1):
                        # The value of capacity depends only on the side of the cut-off: day lo stands
                        # for the whole range; the actual day is chosen when the step is taken.
                        gain = st.value_with([(i, lo, n * cpk)]) - st.total
                        if gain > EPS:
                            heap.append((-gain / (n + alpha), OPEN, -n, i, t, lo, hi))
        for (t, d), (i, n) in st.sessions.items():
            if st.kits_free_for(t, d, 1):
                gain = st.value_with([(i, d, inst.cpk[i][t])]) - st.total
                if gain > EPS:
                    heap.append((-gain, ADD, -1, -1, t, d, d))
        heapq.heapify(heap)
        while heap:
            neg, kind, n, i, t, lo, hi = heapq.heappop(heap)
            n = -n
            if kind == OPEN:
                d = self._pick_day(i, t, lo, hi, n)
                if d is None:
                    continue
            else:
                d = lo
                if (t, d) not in st.sessions or not st.kits_free_for(t, d, 1):
                    continue
                i = st.sessions[(t, d)][0]
            score = (st.value_with([(i, d, n * inst.cpk[i][t])]) - st.total) / (n + alpha if kind == OPEN else 1)
            if score <= EPS:
                continue
            if heap and score < -heap[0][0] - EPS:
                heapq.heappush(heap, (-score, kind, -n, i if kind == OPEN else -1, t, lo, hi))
                continue
            if kind == OPEN:
                st.open(t, d, i, n)
                heapq.heappush(heap, (-score, OPEN, -n, i, t, lo, hi))
            else:
                st.set_kits(t, d, st.sessions[(t, d)][1] + 1)
            heapq.heappush(heap, (-score, ADD, -1, -1, t, d, d))

    def _has_free_kits(self) -> bool:
        """Whether some team could still take a kit on some day (else filling is pointless)."""
        inst, st = self.inst, self.state
        for d in range(inst.n_days):
            for t in range(len(inst.teams)):
                if inst.team_kits[t][d] and st.kits_free_for(t, d, 1):
                    return True
        return False

    # ---------------------------------------------------------------- local moves
    def _room(self) -> list[int]:
        """Per site, how many records a bigger capacity there could still change: pemilih pemula not
        yet recorded before the cut-off plus general backlog of the site not yet recorded. Gaining
        more than room × p[i] from extra capacity at site i is impossible (bounds for pruning)."""
        st = self.state
        if self._room_version == st.version:
            return self._room_cache
        inst = self.inst
        detail: dict[int, tuple[int, int, int]] = {}
        for gid in range(len(inst.pool)):
            inst.group_value(gid, st.Cb, st.Ca, detail)
        room = []
        for i in range(len(inst.sites)):
            ub, ua, general = detail.get(i, (0, 0, 0))
            room.append(inst.P[i] - ub + inst.B[i] - general)
        self._room_cache, self._room_version = room, st.version
        return room

    def _best_site(self, t: int, d: int, sizes: list[int], extra: list[tuple[int, int, int]],
                   threshold: float) -> tuple[float, Optional[int], int]:
        """Best (site, number of kits in `sizes`) for a session of team t on day d, on top of the
        pending `extra` capacity changes, if its total value beats `threshold`; returns
        (total value, site, kits) or (threshold, None, 0). Sites are tried in order of an upper
        bound of what they could add, and the search stops when the bound cannot win."""
        inst, st = self.inst, self.state
        room = self._room()
        base = st.value_with(extra)
        touched = {inst.group[i] for i, _, _ in extra}
        need = threshold - base
        top = max(sizes)
        cands = []
        p = inst.p
        for j in inst.visitable[t][d]:
            if inst.group[j] in touched:
                cands.append(j)
                continue
            r = room[j]
            if r > 0:
                cap = top * inst.cpk[j][t]
                if (cap if cap < r else r) * p[j] > need:
                    cands.append(j)
        best_val, best_j, best_n = threshold, None, 0
        for n in sizes:
            ranked = []
            for j in cands:
                if inst.group[j] in touched:
                    bound = float("inf")
                else:
                    cap = n * inst.cpk[j][t]
                    bound = base + (cap if cap < room[j] else room[j]) * p[j]
                if bound > best_val:
                    ranked.append((-bound, j))
            ranked.sort()
            for negb, j in ranked:
                if -negb <= best_val:
                    break
                val = st.value_with(extra + [(j, d, n * inst.cpk[j][t])])
                if val > best_val:
                    best_val, best_j, best_n = val, j, n
        return best_val, best_j, best_n

    def _max_kits(self, t: int, d: int) -> int:
        """Most kits team t could hold on day d, given the other teams' kits that day."""
        inst, st = self.inst, self.state
        have = st.sessions.get((t, d), (0, 0))[1]
        if inst.uniform_day[d]:
            return have + len(inst.day_kits[d]) - st.day_used[d]
        n = have
        while st.kits_free_for(t, d, n - have + 1):
            n += 1
        return n

    def _relocate(self) -> bool:
        """Give each session its best (site, number of kits), other sessions fixed."""
        inst, st = self.inst, self.state
        improved = False
        for (t, d) in sorted(st.sessions, key=lambda td: (td[1], td[0])):
            if (t, d) not in st.sessions:
                continue
            i, n = st.sessions[(t, d)]
            remove = [(i, d, -n * inst.cpk[i][t])]
            sizes = list(range(1, self._max_kits(t, d) + 1))
            val, j, n2 = self._best_site(t, d, sizes, remove, st.total + EPS)
            if j is not None:
                st.close(t, d)
                st.open(t, d, j, n2)
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

    def _kit_moves(self) -> bool:
        """Move one kit between two teams on the same day; the receiving team takes its best site
        for its new number of kits (a session losing its last kit closes)."""
        inst, st = self.inst, self.state
        improved = False
        for d in range(inst.n_days):
            teams_today = [t for t in range(len(inst.teams)) if inst.team_kits[t][d]]
            for t1 in teams_today:
                for t2 in teams_today:
                    if t1 == t2 or (t1, d) not in st.sessions:
                        continue
                    i1, n1 = st.sessions[(t1, d)]
                    i2, n2 = st.sessions.get((t2, d), (-1, 0))
                    demand = dict(st.day_demand[d])
                    demand[t1] = n1 - 1
                    demand[t2] = n2 + 1
                    if not inst.kits_fit(d, {k: v for k, v in demand.items() if v > 0}):
                        continue
                    extra = [(i1, d, -inst.cpk[i1][t1])]
                    if n2:
                        extra.append((i2, d, -n2 * inst.cpk[i2][t2]))
                    val, j, _ = self._best_site(t2, d, [n2 + 1], extra, st.total + EPS)
                    if j is not None:
                        st.set_kits(t1, d, n1 - 1)
                        if n2:
                            st.close(t2, d)
                        st.open(t2, d, j, n2 + 1)
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

    def improve(self, max_passes: int = MAX_PASSES) -> None:
        """Local improvement until a whole pass of every move finds no gain."""
        st = self.state
        for _ in range(max_passes):
            self.passes += 1
            before = st.total
            self._relocate()
            self._swap()
            self._kit_moves()
            self._shift()
            st.trim_kits()
            if self._has_free_kits():
                self.greedy_fill()
            if st.total <= before + EPS:
                break

    # ---------------------------------------------------------------- large neighbourhood search
    def _destroy(self, rng: random.Random) -> None:
        """Remove a related part of the plan: whole days, a stretch of one team's days, every session
        in one desa, or a random quarter of the sessions."""
        inst, st = self.inst, self.state
        keys = sorted(st.sessions, key=lambda td: (td[1], td[0]))
        if not keys:
            return
        kind = rng.randrange(4)
        if kind == 0:
            days = set(rng.sample(range(inst.n_days), min(2, inst.n_days)))
            gone = [k for k in keys if k[1] in days]
        elif kind == 1:
            t = rng.randrange(len(inst.teams))
            first = rng.randrange(inst.n_days)
            gone = [k for k in keys if k[0] == t and first <= k[1] < first + 4]
        elif kind == 2:
            gid = inst.group[st.sessions[rng.choice(keys)][0]]
            gone = [k for k in keys if inst.group[st.sessions[k][0]] == gid]
        else:
            gone = [k for k in keys if rng.random() < 0.25]
        for t, d in gone:
            st.close(t, d)

    def _restore(self, sessions: dict) -> None:
        self.state = from_sessions(self.inst, sessions)
        self._room_version = -1

    def lns(self, rounds: int, seed: int = LNS_SEED) -> None:
        """Destroy and repair (greedy + local moves) `rounds` times, keeping the best plan found."""
        rng = random.Random(seed)
        best_total = self.state.total
        best = {k: tuple(v) for k, v in self.state.sessions.items()}
        for _ in range(rounds):
            self._destroy(rng)
            self.greedy_fill(alpha=rng.choice(ALPHAS))
            self.improve(max_passes=1)
            if self.state.total > best_total + EPS:
                best_total = self.state.total
                best = {k: tuple(v) for k, v in self.state.sessions.items()}
                self.lns_gains += 1
            elif self.state.total < best_total - EPS:
                self._restore(best)
        self._restore(best)

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

    def run(self, lns_rounds: Optional[int] = None, alphas: tuple[float, ...] = ALPHAS) -> State:
        """Greedy + local search from each team-day price in `alphas`, keep the best, refine it by
        destroy-and-repair rounds, then tidy up (earliest days, no idle kits)."""
        best: Optional[dict] = None
        best_total = float("-inf")
        for alpha in alphas:
            self._restore({})
            self.alpha = alpha
            self.greedy_fill()
            self.improve()
            if self.state.total > best_total + EPS:
                best_total = self.state.total
                best = {k: tuple(v) for k, v in self.state.sessions.items()}
                self.best_alpha = alpha
        self._restore(best or {})
        self.alpha = self.best_alpha
        if lns_rounds is None:
            lns_rounds = lns_budget(self.inst)
        self.lns(lns_rounds)
        self.state.drop_idle()
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
             "passes": planner.passes, "moves": planner.moves, "lns_gains": planner.lns_gains}
    return state, stats


def plan(req: PlanRequest) -> PlanResult:
    """Propose sessions for the request (raises `PlanInputError` with Indonesian messages on bad input)."""
    issues = validate(req)
    if issues:
        raise PlanInputError(issues)
    inst = Instance(req)
    state, stats = solve_instance(inst)
    result = build_result(inst, state, stats)
    twice = twice_issues(result.items)
    if twice:  # one session per request: a plan that breaks it is never handed out
        raise PlanInputError(twice)
    return result
