"""Access matrix fragment for the sessions, teams and kits API."""
ALL = {"admin", "manager", "coordinator", "field"}
PLANNERS = {"admin", "coordinator"}

EXPECTED = {
    "api.sessions_list": ALL,
    "api.session_create": PLANNERS,
    "api.session_detail": ALL,
    "api.session_update": PLANNERS,
    "api.session_status": PLANNERS,
    "api.session_mop_up": PLANNERS,
    "api.teams_list": ALL,
    "api.kits_list": ALL,
}


def _sample_session(world):
    """A session of the world's team in the coordinator's kecamatan: every allowed role can reach it."""
    from outreach.extensions import db
    from tests import builders

    session = builders.make_session(world.site1, world.team, [world.kit])
    db.session.commit()
    return session.id


URL_SAMPLES = {"session_id": _sample_session}
