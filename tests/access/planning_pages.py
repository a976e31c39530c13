"""Access matrix fragment for the planning pages: calendar, list, session page, forms,
printed schedule, the secret iCalendar feeds (a team's, a planner's area) and the area link's rotation."""
ALL = {"admin", "manager", "coordinator", "field"}
STAFF = {"admin", "manager", "coordinator"}
PLANNERS = {"admin", "coordinator"}

EXPECTED = {
    "planning.calendar": ALL,
    "planning.session_list": STAFF,
    "planning.session_detail": ALL,
    "planning.session_status": PLANNERS,
    "planning.new_session": PLANNERS,
    "planning.edit_session": PLANNERS,
    "planning.print_schedule": ALL,
    "planning.team_ical": "public",
    "planning.area_ical": "public",
    "planning.rotate_area_ical": STAFF,
}


def _sample_session(world):
    """A session of the world's team in the coordinator's kecamatan: every allowed role can reach it."""
    from outreach.extensions import db
    from tests import builders

    session = builders.make_session(world.site1, world.team, [world.kit])
    db.session.commit()
    return session.id


URL_SAMPLES = {"session_id": _sample_session, "secret": lambda w: w.team.calendar_secret}
