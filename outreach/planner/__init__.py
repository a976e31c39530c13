"""The planner ("usulkan jadwal"): proposes recording sessions that record the most people.

Pure Python, no Flask, no database. Build a `PlanRequest`, call `plan(request)`, get a `PlanResult`.
The yardsticks it is measured against (the exact MIP with HiGHS, the "largest backlog first" plan)
live with the benchmarks in `bench/yardsticks/`. See `model.py` for the problem statement.
"""
from outreach.planner.model import (BusySlot, HomeVisit, Kit, LeftOut, PlanRequest, PlanResult, PriorityWeights,
                                    ProposedSession, Site, Team, working_days)
from outreach.planner.solve import plan
from outreach.planner.validate import Issue, PlanInputError, validate

__all__ = ["BusySlot", "HomeVisit", "Issue", "Kit", "LeftOut", "PlanInputError", "PlanRequest", "PlanResult", "PriorityWeights",
           "ProposedSession", "Site", "Team", "plan", "validate", "working_days"]
