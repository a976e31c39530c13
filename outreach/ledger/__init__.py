"""The ledger: one account of the backlog per desa (and per school's pemilih pemula pool) that every
figure, forecast and proposal reads.

- `rules` (pure): the terms of a desa's account (official, recorded since, over target, estimate,
  backlog, known away and refusers inside it, reachable) and how the reachable backlog is shared out
  among the open sessions drawing on it (the planned share).
- `queries`: the pools and the open sessions drawing on them, from the database.
- `operations`: keep every open session's expected turnout equal to its share (`reallocate`, called by
  every write that moves a pool), and the share a new or edited session would get (`estimate_for`).

The area sums (coverage figures at every level) are read through outreach.regions.queries, which
applies the same rules per desa in SQL.
"""
