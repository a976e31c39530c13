"""The planner ("usulkan jadwal"): proposes recording sessions that record the most people.

Pure Python, no Flask, no database. Build a `PlanRequest`, call `plan(request)`, get a `PlanResult`.
`exact.solve_exact` is the MIP yardstick (HiGHS) for small instances; `naive.naive_plan` the
"largest backlog first" baseline. See `model.py` for the problem statement.
"""
from outreach.planner.model import (BusySlot, Kit, LeftOut, PlanRequest, PlanResult, PriorityWeights,
                                    ProposedSession, Site, Team, working_days)
from outreach.planner.solve import plan
from outreach.planner.validate import Issue, PlanInputError, validate

__all__ = ["BusySlot", "Issue", "Kit", "LeftOut", "PlanInputError", "PlanRequest", "PlanResult", "PriorityWeights",
           "ProposedSession", "Site", "Team", "plan", "validate", "working_days"]
