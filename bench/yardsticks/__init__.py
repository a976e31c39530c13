"""Yardsticks the benchmarks (and a few tests) measure the app against; not part of the app.

- planner_exact: the planning problem as a MIP solved to optimality with HiGHS (`highspy`).
- planner_naive: the naive plan (largest backlog first, no travel).
- planner_instances: seeded synthetic planning instances (small kecamatan, a kabupaten from ../shared/data).
- naive_map: one folium.Marker per point, all in the page.
"""
