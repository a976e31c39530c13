"""The heuristic against the exact MIP (HiGHS) on small seeded instances; kept to a few seconds.

The full yardstick (30 kecamatan-sized instances) is `bench/planner.py`.
"""
import pytest

from bench.yardsticks.planner_exact import solve_exact, solve_exact_instance
from outreach.planner.instance import Instance, from_sessions
from bench.yardsticks.planner_naive import naive_state
from outreach.planner.solve import solve_instance
from bench.yardsticks.planner_instances import small_instance

pytest.importorskip("highspy")


@pytest.mark.parametrize("seed", [1, 3, 5, 7, 8, 10])
def test_heuristic_reaches_97_percent_of_the_optimum(seed):
    inst = Instance(small_instance(seed, n_days=5, n_desa=(4, 6)))
    heuristic, _ = solve_instance(inst)
    exact = solve_exact_instance(inst, time_limit=30)
    assert exact.optimal
    heuristic.check()
    exact.state.check()
    assert heuristic.total >= 0.97 * exact.objective
    assert heuristic.total <= exact.bound + 1e-6  # nothing beats the optimum: both count the same way


def test_mip_and_heuristic_value_plans_the_same_way():
    # The MIP's own objective equals what the shared evaluator gives its plan, and re-building the
    # plan from its sessions gives that value again.
    inst = Instance(small_instance(9, n_days=5, n_desa=(4, 6)))
    exact = solve_exact_instance(inst, time_limit=30)
    assert exact.optimal and exact.objective > 0
    assert exact.mip_objective == pytest.approx(exact.objective, abs=1e-3)
    rebuilt = from_sessions(inst, {k: tuple(v) for k, v in exact.state.sessions.items()})
    assert rebuilt.total == pytest.approx(exact.objective)


def test_exact_result_reads_like_a_proposal():
    result, raw = solve_exact(small_instance(5, n_days=5, n_desa=(4, 6)), time_limit=30)
    assert raw.optimal and result.stats["solver"] == "highs"
    assert result.total_weighted_yield == pytest.approx(raw.objective)
    assert all(item.reason for item in result.items)


def test_planner_beats_the_naive_plan():
    inst = Instance(small_instance(4))
    heuristic, _ = solve_instance(inst)
    assert heuristic.total > naive_state(inst).total


def test_mip_accepts_the_heuristic_plan_as_a_start():
    inst = Instance(small_instance(7, n_days=5, n_desa=(4, 6)))
    heuristic, _ = solve_instance(inst)
    exact = solve_exact_instance(inst, time_limit=30, start=heuristic)
    assert exact.optimal
    assert exact.objective >= heuristic.total - 1e-6
