"""Who may see and do what, object by object: one place for every rule of (user, object).

Views declare which roles reach them (outreach.security.roles_required, deny by default); everything
finer is asked here: what a user's area is, whether an area, a session, a team, a kit, a site or a
turnout log lies inside it, and whether the user may plan, edit, log or correct. Views, services,
queries and templates call these functions and never compare `user.role` themselves.

Plain functions of the user and an object (or SQL conditions for lists): no Flask request, no views.
"""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Optional

import sqlalchemy as sa

from outreach.models.regions import level_of
from outreach.vocab import ROLES

# The roles' keys and labels are outreach.vocab's; the views and rules name them here.
ADMIN, MANAGER, COORDINATOR, FIELD = ROLES
# Role sets the views declare with outreach.security.roles_required.
EVERYONE = frozenset({ADMIN, MANAGER, COORDINATOR, FIELD})
ADMINS = frozenset({ADMIN})
# Who reads the office's figures, maps and session lists (field teams see their own schedule instead).
STAFF = frozenset({ADMIN, MANAGER, COORDINATOR})
# Who plans sessions (and manages sites, refusers followed up, planner proposals).
PLANNERS = frozenset({ADMIN, COORDINATOR})
# Who sends and corrects turnout logs (a manager only reads them).
LOGGERS = frozenset({ADMIN, COORDINATOR, FIELD})
# Who may correct a log after the team's correction window.
SUPERVISORS = frozenset({ADMIN, COORDINATOR})
# Who sees an area's whole calendar (not only one team's) and chooses the kecamatan on forms.
AREA_WIDE = frozenset({ADMIN, MANAGER})
NOWHERE = "__none__"  # the scope of a user who may see nothing (fails closed)
# What an admin types (or passes to create-user --scope) for a manager at the national office: all
# provinces (User.national); a manager gets it only when this word is given, never by leaving it empty.
NATIONAL_SCOPE = "nasional"


def _role(user) -> Optional[str]:
    return getattr(user, "role", None)


# ---------------------------------------------------------------- roles

def admitted(user, roles) -> bool:
    """True when the user's role is one of `roles` (a view's roles_required declaration)."""
    return _role(user) in roles


def is_admin(user) -> bool:
    return _role(user) == ADMIN


def is_field(user) -> bool:
    """A field team's member: sees its own team's sessions only."""
    return _role(user) == FIELD


def is_coordinator(user) -> bool:
    return _role(user) == COORDINATOR


def sees_area_wide(user) -> bool:
    """Admins and managers: the calendars and lists of a whole area, every team."""
    return _role(user) in AREA_WIDE


def can_plan(user) -> bool:
    """Admins and coordinators plan sessions; managers and field teams only read."""
    return _role(user) in PLANNERS


def can_plan_in(user, kode: Optional[str]) -> bool:
    """A planner whose area holds region `kode` (the "plan a session here" links of a desa or kecamatan)."""
    return can_plan(user) and bool(kode) and in_scope(user, kode)


def can_edit_sites(user) -> bool:
    return _role(user) in PLANNERS


def can_write_logs(user) -> bool:
    """Field teams, coordinators and admins send and correct logs; managers only read them."""
    return _role(user) in LOGGERS


def corrects_any_time(user) -> bool:
    """Coordinators and admins correct a log after the team's correction window."""
    return _role(user) in SUPERVISORS


# ---------------------------------------------------------------- the user's area

def everything_viewer():
    """Who the app's own background work reads as (the dashboard panels job, a worker's warm-up): an admin
    of every region, never signed in, for work whose result depends on the area alone."""
    return SimpleNamespace(role=ADMIN, scope_kode=None, national=True, team=None, id=None)


def scope_of(user) -> Optional[str]:
    """Region code that bounds what `user` may see; None means everything (an unscoped admin); NOWHERE
    for a user who may see nothing (a non-admin without an area)."""
    if is_admin(user) and not user.scope_kode:
        return None
    if _role(user) == MANAGER and not user.scope_kode and getattr(user, "national", False):
        return None  # a manager at the national office: all provinces
    if is_field(user) and user.team is not None:
        return user.team.office_kode
    return user.scope_kode or NOWHERE


def in_scope(user, kode: Optional[str]) -> bool:
    """True when region `kode` lies inside the user's area."""
    scope = scope_of(user)
    if scope is None:
        return True
    if not kode:
        return False
    return kode == scope or kode.startswith(scope + ".")


def visible_kode(user, kode: str) -> bool:
    """In the area, or an ancestor of it (shown in breadcrumbs, never with its siblings)."""
    scope = scope_of(user)
    return in_scope(user, kode) or (scope is not None and scope.startswith(kode + "."))


def scope_clause(user, model):
    """SQL condition limiting `model` rows (with provinsi/kabupaten/kecamatan_kode columns) to the area."""
    kode = scope_of(user)
    if kode is None:
        return sa.true()
    column = {
        "provinsi": getattr(model, "provinsi_kode", None),
        "kabupaten": getattr(model, "kabupaten_kode", None),
        "kecamatan": getattr(model, "kecamatan_kode", None),
    }.get(level_of(kode))
    if column is None:
        return sa.false()
    return column == kode


def office_clause(user, column):
    """SQL condition on an office code (teams, kits): offices inside the area and those of its ancestors
    (a kabupaten's team serves the kecamatan inside it)."""
    scope = scope_of(user)
    if scope is None:
        return sa.true()
    parts = scope.split(".")
    ancestors = [".".join(parts[:i]) for i in range(1, len(parts))]
    return sa.or_(column == scope, column.like(scope + ".%"), column.in_(ancestors) if ancestors else sa.false())


# ---------------------------------------------------------------- sessions, teams, kits, sites

def sessions_clause(user):
    """SQL condition: sessions the user may see (its area; a field user only its own team's)."""
    from outreach.models.planning import RecordingSession

    clause = scope_clause(user, RecordingSession)
    if is_field(user):
        if not user.team_id:
            return sa.false()
        clause = sa.and_(clause, RecordingSession.team_id == user.team_id)
    return clause


def can_see_session(user, session) -> bool:
    if is_field(user):
        return bool(user.team_id) and session.team_id == user.team_id and in_scope(user, session.desa_kode)
    return in_scope(user, session.desa_kode)


def can_edit_session(user, session) -> bool:
    return can_plan(user) and in_scope(user, session.desa_kode)


def can_ask_site_confirmation(user, session) -> bool:
    """Ask a session's site contact to confirm it (the signed link): whoever may edit the session."""
    return can_edit_session(user, session)


def teams_clause(user):
    """SQL condition: teams the user may see (a field user only its own)."""
    from outreach.models import Team

    clause = office_clause(user, Team.office_kode)
    if is_field(user):
        clause = sa.and_(clause, Team.id == (user.team_id or -1))
    return clause


def kits_clause(user):
    """SQL condition: kits the user may see (a field user only its team's)."""
    from outreach.models import Kit

    clause = office_clause(user, Kit.office_kode)
    if is_field(user):
        clause = sa.and_(clause, Kit.team_id == (user.team_id or -1))
    return clause


def can_see_team_calendar(user, team) -> bool:
    """An admin, or the team's own member (the team's calendar feed and its link)."""
    return team is not None and (is_admin(user) or user.team_id == team.id)


def has_area_calendar(user) -> bool:
    """An active admin, manager or coordinator with an area: has a secret calendar link of its area's
    sessions (a field user has its team's link instead; a user without an area sees nothing)."""
    return (user is not None and bool(getattr(user, "active", False)) and _role(user) in STAFF
            and scope_of(user) != NOWHERE)


def sites_clause(user):
    """SQL condition: sites the user may see, with their contacts: its area; a field user only the sites of
    its own team's sessions (a field token does not read the kabupaten's other sites and contacts)."""
    from outreach.models import Site
    from outreach.models.planning import RecordingSession

    clause = scope_clause(user, Site)
    if is_field(user):
        clause = sa.and_(clause, Site.id.in_(sa.select(RecordingSession.site_id).where(sessions_clause(user))))
    return clause


def can_see_site(user, site) -> bool:
    """The area test only: a field user's sites are narrowed in SQL (sites_clause), which needs its sessions."""
    return site is not None and in_scope(user, site.desa_kode)


def team_figures_clause(user):
    """SQL condition on teams: whose figures (sessions, logs, turnout) the user reads. Staff: every team of
    the area; a field user only its own team's."""
    from outreach.models import Team

    if is_field(user):
        return Team.id == (user.team_id or -1)
    return sa.true()


def can_follow_up_refusers(user, desa_kode: str) -> bool:
    return can_plan(user) and in_scope(user, desa_kode)


# ---------------------------------------------------------------- visit requests from the public
#
# A request carries the requester's personal data (UU 27/2022): only staff whose area covers the request's
# desa see it; coordinators and admins handle it (verify, schedule, reject); managers only read; field teams
# never see the queue.

def sees_requests(user) -> bool:
    """Admins, managers and coordinators reach the queue of visit requests (scoped to their area)."""
    return _role(user) in STAFF and scope_of(user) != NOWHERE


def handles_requests(user) -> bool:
    """Admins and coordinators act on requests (the menu's badge of waiting requests is theirs)."""
    return _role(user) in PLANNERS and scope_of(user) != NOWHERE


def requests_clause(user):
    """SQL condition: visit requests the user may see (its area; field users and users without an area none)."""
    from outreach.models.requests import VisitRequest

    if not sees_requests(user):
        return sa.false()
    return scope_clause(user, VisitRequest)


def can_view_request(user, req) -> bool:
    """Staff whose area covers the request's desa see it, personal data included."""
    return req is not None and sees_requests(user) and in_scope(user, req.desa_kode)


def can_handle_request(user, req) -> bool:
    """Coordinators of the request's kecamatan (and admins of its area) verify, schedule, reject it."""
    return can_view_request(user, req) and handles_requests(user)


# ---------------------------------------------------------------- administration
#
# An admin with a scope (e.g. a kabupaten's Dukcapil office) administers only inside it: the users,
# teams and kits of its area, never an account without an area (a national admin) and never a scope
# wider than its own. The shared data of the whole installation (region, boundary, school and SIAK
# imports, the background jobs) belongs to national admins (admins without a scope); the holiday
# calendar has its own rule (a scoped admin keeps its kabupaten's days: outreach.planning.calendar_rules).

def is_national_admin(user) -> bool:
    """An admin without a scope: administers the whole installation."""
    return is_admin(user) and not user.scope_kode


def can_see_import_task(user, task) -> bool:
    """A background import (its progress, report, Terapkan) belongs to the national admin who uploaded it:
    it holds that admin's file and choices, like a preview's token. Anyone else is told it does not exist."""
    return task is not None and is_national_admin(user) and task.user_id == user.id


def account_area(account) -> Optional[str]:
    """The area an account works in: a field user's team office, another user's scope (None: national)."""
    if is_field(account):
        return account.team.office_kode if account.team is not None else None
    return account.scope_kode or None


def can_manage_area(admin, kode: Optional[str]) -> bool:
    """May `admin` administer what belongs to area `kode` (an account, a team's or a kit's office)?"""
    if not is_admin(admin):
        return False
    if is_national_admin(admin):
        return True
    return bool(kode) and in_scope(admin, kode)


def can_manage_user(admin, account) -> bool:
    """A national admin manages every account; a scoped admin its own and those working inside its area."""
    if account is None or not is_admin(admin):
        return False
    if is_national_admin(admin) or account.id == admin.id:
        return True
    return can_manage_area(admin, account_area(account))


def manageable_users_clause(admin):
    """SQL condition: the accounts `admin` manages (the list of the admin's user page)."""
    from outreach.models import Team, User

    if is_national_admin(admin):
        return sa.true()
    if not is_admin(admin):
        return sa.false()
    scope = admin.scope_kode
    offices = sa.select(Team.id).where(sa.or_(Team.office_kode == scope, Team.office_kode.like(scope + ".%")))
    return sa.or_(User.id == admin.id,
                  sa.and_(User.role != FIELD, sa.or_(User.scope_kode == scope, User.scope_kode.like(scope + ".%"))),
                  sa.and_(User.role == FIELD, User.team_id.in_(offices)))


def manageable_office_clause(admin, column):
    """SQL condition on an office code: the teams or kits `admin` manages (offices inside its area)."""
    if is_national_admin(admin):
        return sa.true()
    if not is_admin(admin):
        return sa.false()
    scope = admin.scope_kode
    return sa.or_(column == scope, column.like(scope + ".%"))


# ---------------------------------------------------------------- turnout logs

def can_correct_log(user, log, now: datetime, deadline: datetime) -> bool:
    """The team corrects its log until `deadline`; coordinators and admins any time."""
    if log is None or not can_write_logs(user):
        return False
    return corrects_any_time(user) or now <= deadline
