"""Access matrix fragment for the confirmation loop with a site's contact: the planners' two actions on the
session page, the API's request, and the contact's signed page (public: the signed link is the only key)."""
PLANNERS = {"admin", "coordinator"}

EXPECTED = {
    "confirmation.ask": PLANNERS,
    "confirmation.sent": PLANNERS,
    "confirmation.page": "public",
    "api.session_confirmation_request": PLANNERS,
}


def _sample_token(world):
    """The signed link of a session of the coordinator's kecamatan whose contact was asked."""
    import secrets

    from outreach.extensions import db
    from outreach.planning.confirmation import make_token
    from tests import builders

    session = builders.make_session(world.site1, world.team, [world.kit])
    session.confirmation_status, session.confirmation_nonce = "menunggu", secrets.token_hex(16)
    db.session.commit()
    return make_token(session)


URL_SAMPLES = {"token": _sample_token}
