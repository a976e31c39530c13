"""What each role's home page shows: the same ledger figures as the dashboard of the user's area."""
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import Region, Site, Team, User
from outreach.permissions import scope_clause, scope_of
from outreach import permissions


def home_context(user) -> dict:
    from outreach.coverage.queries.areas import CoverageError
    from outreach.coverage.queries.figures import coverage

    scope = scope_of(user)
    scope_region = db.session.get(Region, scope) if scope and scope != "__none__" else None
    desa_count = db.session.scalar(sa.select(sa.func.count()).select_from(Region).where(
        Region.level == "desa", scope_clause(user, Region)))
    site_count = db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(
        permissions.sites_clause(user)))
    figures = None
    if scope != "__none__":
        try:
            figures = coverage(user)["region"]
        except CoverageError:
            figures = None
    ctx = {"scope_region": scope_region, "desa_count": desa_count, "site_count": site_count, "figures": figures,
           "wajib": figures.wajib_ktp if figures else None,
           "sudah": figures.sudah_rekam_estimated if figures else None,
           "backlog": figures.backlog if figures else None}
    if permissions.sees_requests(user):
        from outreach.requests.queue import waiting_total

        ctx["waiting_requests"] = waiting_total(user)
    if permissions.is_admin(user):
        ctx["user_count"] = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        ctx["team_count"] = db.session.scalar(sa.select(sa.func.count()).select_from(Team))
    return ctx
