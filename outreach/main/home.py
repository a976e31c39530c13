"""What each role's home page shows."""
import sqlalchemy as sa

from outreach.extensions import db
from outreach.models import Region, Site, Team, User
from outreach.security import scope_clause, user_scope_kode


def home_context(user) -> dict:
    scope = user_scope_kode(user)
    scope_region = db.session.get(Region, scope) if scope else None
    desa_q = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Region.wajib_ktp), 0),
                       sa.func.coalesce(sa.func.sum(Region.sudah_rekam), 0)).where(
        Region.level == "desa", scope_clause(user, Region))
    desa_count, wajib, sudah = db.session.execute(desa_q).one()
    site_count = db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(scope_clause(user, Site)))
    ctx = {"scope_region": scope_region, "desa_count": desa_count, "wajib": wajib, "sudah": sudah,
           "backlog": wajib - sudah, "site_count": site_count}
    if user.role == "admin":
        ctx["user_count"] = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        ctx["team_count"] = db.session.scalar(sa.select(sa.func.count()).select_from(Team))
    return ctx
