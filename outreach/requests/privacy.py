"""Personal data of visit requests (UU 27/2022 on personal data protection): which fields are personal, and
their erasure once a request has been closed long enough.

The housekeeping job calls `erase_closed`; the counts a request leaves (kind, people, desa, dates, status) stay,
as do the code and `phone_last4` the public status page asks for.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from outreach.vocab import REQUEST_CLOSED_STATUSES

# The request's personal fields and what they become when erased.
PERSONAL_FIELDS = {"address": "", "description": "", "requester_name": "", "relation": "", "phone": "",
                   "lat": None, "lng": None}
# The `rumah` site's copy of them.
SITE_PERSONAL_FIELDS = {"address": "", "contact_name": "", "contact_phone": ""}


def personal_data(req) -> dict:
    """The request's personal fields as the pages and the API show them."""
    return {name: getattr(req, name) for name in PERSONAL_FIELDS}


def erase_closed(cutoff: datetime, today: date, batch: int = 500) -> dict:
    """Erase the personal data of requests closed before `cutoff` (and of the `rumah` sites they became; a site
    no open session uses from `today` on is deactivated); one audit entry per batch. Commits each batch."""
    from outreach.extensions import db
    from outreach.models import RecordingSession, Site
    from outreach.models.audit import record_change
    from outreach.models.base import utcnow
    from outreach.models.planning import OPEN_STATUSES
    from outreach.models.requests import VisitRequest

    erased, sites_cleared, sites_deactivated = 0, 0, 0
    while True:
        requests = db.session.scalars(
            sa.select(VisitRequest).where(VisitRequest.status.in_(REQUEST_CLOSED_STATUSES),
                                          VisitRequest.closed_at.is_not(None), VisitRequest.closed_at < cutoff,
                                          VisitRequest.erased_at.is_(None))
            .order_by(VisitRequest.id).limit(batch)).all()
        if not requests:
            break
        now = utcnow()
        site_ids = sorted({r.site_id for r in requests if r.site_id})
        for req in requests:
            for name, blank in PERSONAL_FIELDS.items():
                setattr(req, name, blank)
            req.erased_at = now
        busy = set()
        if site_ids:
            busy = set(db.session.scalars(sa.select(RecordingSession.site_id).where(
                RecordingSession.site_id.in_(site_ids), RecordingSession.status.in_(OPEN_STATUSES),
                sa.func.coalesce(RecordingSession.end_date, RecordingSession.date) >= today)))
            for site in db.session.scalars(sa.select(Site).where(Site.id.in_(site_ids), Site.type == "rumah")):
                for name, blank in SITE_PERSONAL_FIELDS.items():
                    setattr(site, name, blank)
                sites_cleared += 1
                if site.id not in busy and site.active:
                    site.active = False
                    sites_deactivated += 1
        record_change("visit_request", "erasure", "hapus_data_pribadi", None,
                      {"requests": [r.id for r in requests], "sites": site_ids},
                      "Data pribadi permohonan yang ditutup sebelum %s dihapus." % cutoff.date().isoformat())
        db.session.commit()
        erased += len(requests)
        if len(requests) < batch:
            break
    return {"requests_erased": erased, "sites_cleared": sites_cleared, "sites_deactivated": sites_deactivated}
