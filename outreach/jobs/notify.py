"""Creating notifications once (per user and ref) and mailing them when SMTP is configured."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

import sqlalchemy as sa
from werkzeug.routing import BuildError

from outreach.extensions import db
from outreach.jobs.mail import MailSettings, OutgoingMail, send_all
from outreach.models import User
from outreach.models.base import utcnow
from outreach.models.jobs import Notification


@dataclass(frozen=True)
class NewNotification:
    user_id: int
    kind: str
    title: str
    body: str
    ref: str
    link: Optional[str] = None


def add_notifications(items: Iterable[NewNotification]) -> int:
    """Insert the notifications whose (user, ref) does not exist yet; returns how many were added."""
    items = list({(n.user_id, n.ref): n for n in items}.values())
    if not items:
        return 0
    refs = {n.ref for n in items}
    existing = set()
    for chunk in _chunks(sorted(refs), 500):
        existing.update(db.session.execute(
            sa.select(Notification.user_id, Notification.ref).where(Notification.ref.in_(chunk))).all())
    new = [n for n in items if (n.user_id, n.ref) not in existing]
    if new:
        now = utcnow()
        db.session.execute(sa.insert(Notification.__table__), [
            {"user_id": n.user_id, "kind": n.kind, "title": n.title[:200], "body": n.body, "ref": n.ref,
             "link": n.link, "created_at": now} for n in new])
    return len(new)


def mail_pending(config: Mapping, refs: Iterable[str]) -> int:
    """E-mail the notifications with these refs not mailed yet, to users with an address; commits each.

    Raises MailError when the server fails: what went out before stays marked, the rest is retried later.
    """
    settings = MailSettings.from_config(config)
    refs = sorted(set(refs))
    if settings is None or not refs:
        return 0
    rows = []
    for chunk in _chunks(refs, 500):
        rows.extend(db.session.execute(
            sa.select(Notification.id, Notification.title, Notification.body, Notification.link, User.email)
            .join(User, User.id == Notification.user_id)
            .where(Notification.ref.in_(chunk), Notification.emailed_at.is_(None), User.email != "",
                   User.active.is_(True))
            .order_by(Notification.id)).all())
    mails = [OutgoingMail(to=r.email, subject=r.title, body=_with_link(r.body, r.link, config), key=r.id)
             for r in rows]

    def mark_sent(mail: OutgoingMail) -> None:
        db.session.execute(sa.update(Notification.__table__).where(Notification.id == mail.key)
                           .values(emailed_at=utcnow()))
        db.session.commit()

    db.session.commit()  # the notifications themselves are kept whatever the mail server does
    return send_all(settings, mails, on_sent=mark_sent)


def _with_link(body: str, link: Optional[str], config: Mapping) -> str:
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if link and base:
        return f"{body}\n\n{base}{link}"
    return body


def path_for(app, *candidates: tuple) -> Optional[str]:
    """URL path of the first (endpoint, values) that exists, built without a request (jobs have none)."""
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT") or "/")
    for endpoint, values in candidates:
        if endpoint not in app.view_functions:
            continue
        try:
            return adapter.build(endpoint, values)
        except BuildError:
            continue
    return None


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
