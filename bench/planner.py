"""Benchmark of the planner ("usulkan jadwal").

1. Quality: a fixed, seeded set of small instances (one made-up kecamatan, 10 working days,
   2 teams, 3 kits; `bench.yardsticks.planner_instances.small_instance`). For each, the heuristic's total
   weighted yield is compared with the optimum of the exact MIP (HiGHS). Prints every instance,
   then the worst and median ratio.
2. Speed: Kabupaten Cilacap (33.01) from ../shared/data — its real desa centroids and SMA/SMK/SLB
   schools with generated backlogs and RT/RW / balai desa sites — 20 working days, 5 teams, 6 kits.
   Prints the time of a proposal, its expected yield, and the yield of a naive plan (largest backlog
   first, ignoring travel). Skipped with a message when the data folder is absent.

Ends with name=value lines: worst_ratio, median_ratio, instances, kabupaten_seconds,
kabupaten_yield, naive_yield (plus a few more figures).

    .venv/bin/python bench/planner.py [--instances 30] [--time-limit 120] [--jobs 2] [--data DIR]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.yardsticks.planner_exact import solve_exact_instance  # noqa: E402
from outreach.planner.instance import Instance, build_result  # noqa: E402
from bench.yardsticks.planner_naive import naive_state  # noqa: E402
from outreach.planner.solve import plan, solve_instance  # noqa: E402
from bench.yardsticks.planner_instances import kabupaten_instance, small_instance  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data"


def one_small(seed: int, time_limit: float) -> dict:
    """Heuristic and exact optimum of one seeded instance."""
    inst = Instance(small_instance(seed))
    started = time.perf_counter()
    heur, _ = solve_instance(inst)
    heur_seconds = time.perf_counter() - started
    heur.check()
    exact = solve_exact_instance(inst, time_limit=time_limit)
    exact.state.check()
    best = max(exact.objective, heur.total)  # a timed-out MIP may find less than the heuristic
    return {"seed": seed, "sites": len(inst.sites), "heuristic": heur.total, "heur_seconds": heur_seconds,
            "exact": exact.objective, "bound": exact.bound, "optimal": exact.optimal,
            "exact_seconds": exact.seconds, "ratio": heur.total / best if best > 0 else 1.0,
            "ratio_bound": heur.total / exact.bound if exact.bound > 0 else 1.0}


def small_set(count: int, time_limit: float, jobs: int) -> list[dict]:
    print(f"== {count} small instances: one kecamatan, 10 working days, 2 teams, 3 kits (seeds 0..{count - 1})")
    print(f"{'seed':>4} {'sites':>5} {'heuristic':>10} {'optimum':>10} {'bound':>10} {'proven':>6} "
          f"{'ratio':>7} {'heur s':>7} {'MIP s':>7}")
    rows = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for r in pool.map(one_small, range(count), [time_limit] * count):
            rows.append(r)
            print(f"{r['seed']:>4} {r['sites']:>5} {r['heuristic']:>10.1f} {r['exact']:>10.1f} {r['bound']:>10.1f} "
                  f"{'yes' if r['optimal'] else 'no':>6} {r['ratio']:>7.4f} {r['heur_seconds']:>7.3f} "
                  f"{r['exact_seconds']:>7.2f}", flush=True)
    return rows


def kabupaten(data: Path) -> dict | None:
    if not (data / "jateng_wilayah.csv").exists() or not (data / "jateng_sekolah.csv").exists():
        print(f"== kabupaten scale skipped: data folder {data} not found (needs jateng_wilayah.csv and "
              "jateng_sekolah.csv)")
        return None
    req = kabupaten_instance(data, "33.01")
    print(f"== Kabupaten Cilacap (33.01): {len(req.sites)} candidate sites, {len(req.desa_backlog)} desa, "
          f"{len(req.working_days())} working days ({req.first_day} .. {req.last_day}), "
          f"{len(req.teams)} teams, {len(req.kits)} kits")
    started = time.perf_counter()
    result = plan(req)
    seconds = time.perf_counter() - started
    inst = Instance(req)
    naive = naive_state(inst)  # may send a team where travel leaves no time: such sessions yield 0
    naive_result = build_result(inst, naive)
    kits_used = sum(len(s.kit_ids) for s in result.items)
    print(f"proposal: {len(result.items)} sessions, {kits_used} kit-days, expected yield "
          f"{result.total_expected_yield} people, weighted {result.total_weighted_yield:.1f}, in {seconds:.2f} s")
    print(f"naive (largest backlog first, travel ignored): {len(naive_result.items)} sessions, expected yield "
          f"{naive_result.total_expected_yield} people, weighted {naive_result.total_weighted_yield:.1f}")
    for item in result.items[:3]:
        print(f"  e.g. {item.date} {item.start:%H:%M}-{item.end:%H:%M} tim {item.team_id} alat {list(item.kit_ids)} "
              f"{item.site_name}: {item.reason}")
    return {"seconds": seconds, "yield": result.total_expected_yield, "weighted": result.total_weighted_yield,
            "naive_yield": naive_result.total_expected_yield, "naive_weighted": naive_result.total_weighted_yield}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per MIP")
    parser.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("PLANNER_DATA_DIR", DEFAULT_DATA)))
    args = parser.parse_args()

    rows = small_set(args.instances, args.time_limit, args.jobs)
    ratios = [r["ratio"] for r in rows]
    worst = min(rows, key=lambda r: r["ratio"])
    proven = sum(1 for r in rows if r["optimal"])
    print(f"worst ratio {worst['ratio']:.4f} (seed {worst['seed']}), median {statistics.median(ratios):.4f}, "
          f"MIP proven optimal on {proven}/{len(rows)}; worst ratio against the MIP's upper bound "
          f"{min(r['ratio_bound'] for r in rows):.4f}")
    print()
    kab = kabupaten(args.data.resolve())
    print()
    print(f"worst_ratio={worst['ratio']:.4f}")
    print(f"median_ratio={statistics.median(ratios):.4f}")
    print(f"instances={len(rows)}")
    print(f"proven_optimal={proven}")
    print(f"worst_ratio_vs_bound={min(r['ratio_bound'] for r in rows):.4f}")
    print(f"heuristic_seconds_max={max(r['heur_seconds'] for r in rows):.3f}")
    if kab is None:
        print("kabupaten_seconds=skipped")
        print("kabupaten_yield=skipped")
        print("naive_yield=skipped")
    else:
        print(f"kabupaten_seconds={kab['seconds']:.2f}")
        print(f"kabupaten_yield={kab['yield']}")
        print(f"kabupaten_weighted_yield={kab['weighted']:.1f}")
        print(f"naive_yield={kab['naive_yield']}")
        print(f"naive_weighted_yield={kab['naive_weighted']:.1f}")


if __name__ == "__main__":
    main()
