"""Access matrix fragment: the admin pages (users, teams, kits, API tokens). Admin only."""
ADMIN = {"admin"}

EXPECTED = {
    "admin.users": ADMIN,
    "admin.user_new": ADMIN,
    "admin.user_edit": ADMIN,
    "admin.user_password": ADMIN,
    "admin.user_tokens": ADMIN,
    "admin.token_revoke": ADMIN,
    "admin.teams": ADMIN,
    "admin.team_new": ADMIN,
    "admin.team_edit": ADMIN,
    "admin.team_rotate_calendar": ADMIN,
    "admin.kits": ADMIN,
    "admin.kit_new": ADMIN,
    "admin.kit_edit": ADMIN,
}


def _sample_api_token(world):
    """A token of the world's field user, issued on demand (the world has none)."""
    from outreach.extensions import db
    from outreach.models import ApiToken

    token, _raw = ApiToken.issue(world.users["field"], name="sampel")
    db.session.add(token)
    db.session.commit()
    return token.id


URL_SAMPLES = {"api_token_id": _sample_api_token}
