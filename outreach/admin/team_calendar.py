"""A team's calendar link follows its membership: when a field user joins or leaves a team (created, moved,
given another role, deactivated or reactivated) or the team's list of member names changes, the team's
secret iCal link is replaced, so a link a former member kept or forwarded stops answering. The remaining
members get an in-app notification telling them to subscribe again from the Kalender page.

Plain functions over the database session (no Flask); the caller commits.
"""
from __future__ import annotations

import secrets
from typing import Iterable, Optional

import sqlalchemy as sa

from outreach import permissions
from outreach.extensions import db
from outreach.i18n import N_, plain_gettext
from outreach.jobs.notify import NewNotification, add_notifications
from outreach.models import Team, User
from outreach.models.audit import record_change

TITLE = N_("Tautan kalender %(team)s diganti")
BODY = N_("Anggota tim berubah, jadi tautan kalender lama tidak berlaku lagi. Buka menu Kalender, salin tautan "
          "kalender tim yang baru ke kalender ponsel, lalu hapus langganan yang lama.")


def member_team_id(user: Optional[User]) -> Optional[int]:
    """The team a user counts as a member of for its calendar: an active field user's team (else None)."""
    if user is None or not user.active or not permissions.is_field(user):
        return None
    return user.team_id


def rotate_for_membership(team_ids: Iterable[Optional[int]], actor_id: Optional[int],
                          leaving: Iterable[int] = ()) -> list[Team]:
    """Give each team a new calendar secret (audited as a rotation, the secret itself is not) and tell its
    other active field users; `leaving` are users not to tell. Does not commit."""
    leaving = set(leaving)
    rotated = []
    for team_id in sorted({t for t in team_ids if t}):
        team = db.session.get(Team, team_id)
        if team is None:
            continue
        team.calendar_secret = secrets.token_urlsafe(24)
        record_change("team", team.id, "rotate_calendar_link", actor_id, {}, reason=N_("anggota tim berubah"))
        members = db.session.scalars(sa.select(User.id).where(
            User.team_id == team.id, User.active.is_(True), User.role == permissions.FIELD)).all()
        title = plain_gettext(TITLE, team=team.nama)
        add_notifications(NewNotification(user_id=uid, kind="info", title=title, body=plain_gettext(BODY),
                                          ref=f"calendar-link:{team.id}:{team.calendar_secret[:12]}")
                          for uid in members if uid not in leaving)
        rotated.append(team)
    return rotated


def membership_change(before: Optional[int], user: User, actor_id: Optional[int]) -> list[Team]:
    """`user` was a member of team `before` (member_team_id before the change) and now of member_team_id(user):
    when they differ, both teams' links are replaced."""
    after = member_team_id(user)
    if before == after:
        return []
    return rotate_for_membership((before, after), actor_id, leaving=(user.id,) if user.id else ())
