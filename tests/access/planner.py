"""Access matrix fragment for the planner: admins and coordinators only."""
PLANNERS = {"admin", "coordinator"}

EXPECTED = {
    "api.plans_create": PLANNERS,
    "api.plans_detail": PLANNERS,
    "api.plans_accept": PLANNERS,
    "planner.new_plan": PLANNERS,
    "planner.show_plan": PLANNERS,
    "planner.accept_plan": PLANNERS,
}


def _sample_proposal(world):
    """A stored proposal of the coordinator's kecamatan: every allowed role can reach it."""
    from outreach.extensions import db
    from outreach.models.plans import PlanProposal

    p = PlanProposal(user_id=world.users["admin"].id, region_kode=world.kec1.kode,
                     request={"date_from": "2026-03-02", "date_to": "2026-03-06"},
                     result={"items": [], "total_expected_yield": 0, "left_out": []}, accepted_session_ids=[])
    db.session.add(p)
    db.session.commit()
    return p.id


URL_SAMPLES = {"proposal_id": _sample_proposal}
