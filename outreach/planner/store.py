"""Proposals in the database: make one (load, plan, store), show it, accept the items kept.

Nothing becomes a session until accepted; accepting creates each kept item through
`outreach.planning.operations.create_session`, so it passes the same conflict rules as a hand-made session,
and a refused item saves nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

import sqlalchemy as sa

from outreach.extensions import db
from outreach.i18n import gettext_here as _
from outreach.models.base import utcnow
from outreach.models.plans import PlanProposal
from outreach.planner import loader
from outreach.planner.instance import has_target
from outreach.planner.solve import plan
from outreach.planner import home_visit_requests as home_visit_rules
from outreach.planner.validate import Issue, PlanInputError, twice_issues
from outreach.planning import operations as planning_operations
from outreach.planning.errors import ConflictsFound, NotAllowed, ValidationFailed
from outreach.planning.parse import ID_MAX
from outreach.permissions import in_scope
from outreach.sites import default_places
from outreach import permissions


class AlreadyAccepted(Exception):
    """The proposal was accepted before: it is accepted once (the sessions it created are in its outcome)."""

    def __init__(self, proposal: PlanProposal):
        super().__init__(_("Usulan jadwal #%(id)s sudah diterima; sesi yang dibuat: %(ids)s.", id=proposal.id,
                           ids=", ".join(f"#{i}" for i in proposal.accepted_session_ids or []) or "–"))
        self.message = str(self)
        self.proposal = proposal


class AcceptInputError(Exception):
    """The list of kept items is malformed; `errors` maps a position to an Indonesian message."""

    def __init__(self, message: str, errors: Optional[dict] = None):
        super().__init__(message)
        self.message, self.errors = message, errors or {}


def result_to_json(result, context: dict) -> dict:
    """The planner's result in the stored/API shape, with names the coordinator knows; the sites the loader
    left out (their pool already planned) are listed with the planner's own left-out sites."""
    sites, teams, kits = context["sites"], context["teams"], context["kits"]
    items = []
    for p in result.items:
        site = sites.get(p.site_id)
        team = teams.get(p.team_id)
        # A home visit is named by its request's code: the rumah site's own name may carry a family's name.
        name = home_visit_name(p.request_code) if p.request_id is not None else (
            p.site_name or (site.nama if site else ""))
        items.append({
            "site_id": p.site_id, "site_nama": name,
            "site_type": site.type if site else None,
            "lat": site.lat if site else None, "lng": site.lng if site else None,
            "date": p.date.isoformat(), "start": p.start.strftime("%H:%M"), "end": p.end.strftime("%H:%M"),
            "team_id": p.team_id, "team_nama": team.nama if team else "",
            "kit_ids": list(p.kit_ids), "kit_codes": [kits[k].code for k in p.kit_ids if k in kits],
            "expected_yield": int(p.expected_yield), "pemilih_pemula_yield": int(p.pemilih_pemula_yield),
            "distance_km": round(float(p.distance_km), 1), "reason": p.reason,
        })
        if p.request_id is not None:
            items[-1].update({"request_id": p.request_id, "request_code": p.request_code,
                              "request_kind": p.request_kind, "people": int(p.people)})
    codes = context.get("home_visit_codes", {})
    left = [{"site_id": lo.site_id, "site_nama": home_visit_name(codes[lo.site_id]) if lo.site_id in codes
             else sites[lo.site_id].nama if lo.site_id in sites else "",
             "reason": lo.reason} for lo in (*context.get("left_out", ()), *result.left_out)]
    return {"items": items, "total_expected_yield": int(result.total_expected_yield),
            "total_weighted_yield": round(float(result.total_weighted_yield), 2), "left_out": left,
            "working_days": [d.isoformat() for d in result.working_days]}


def home_visit_name(code: str) -> str:
    """How a proposal names a home visit's place: by the request's code, never by the family."""
    return _("Kunjungan rumah %(code)s", code=code)


def create_proposal(user, raw: dict, *, today: Optional[date] = None) -> PlanProposal:
    """Plan `raw` (region, date_from, date_to, team_ids, kit_ids, settings) and store the proposal.

    Raises PlanInputError (Indonesian issues) for bad input, loader.RegionNotFound for a region outside
    the user's scope. Only the proposal row is written: no session."""
    if not permissions.can_plan(user):
        raise NotAllowed(_("Hanya admin dan koordinator kecamatan yang dapat menyusun usulan jadwal."))
    inputs = loader.parse_inputs(raw)
    # Regions and SIAK counts alone are enough: a desa with backlog and nowhere to go gets its balai desa.
    default_places.ensure_for_planning(user, loader.resolve_region(user, inputs.region))
    req, context = loader.load_request(user, inputs, today=today)
    try:
        result = plan(req)  # raises PlanInputError (no team/kit, no targets, settings out of range)
    except PlanInputError as err:
        if any(i.field == "lokasi" for i in err.issues) and not any(has_target(s, req.desa_backlog.get(s.desa))
                                                                    for s in req.sites):
            raise PlanInputError([*err.issues, Issue("lokasi", default_places.what_to_add(context["region"]))])
        raise
    proposal = PlanProposal(user_id=user.id, region_kode=context["region"].kode, request=inputs.as_json(),
                            result=result_to_json(result, context), accepted_session_ids=[])
    db.session.add(proposal)
    db.session.commit()
    return proposal


def get_proposal(user, proposal_id: int) -> Optional[PlanProposal]:
    """A proposal of a region in the user's scope (another kecamatan's: None)."""
    if not permissions.can_plan(user) or not 0 < proposal_id <= ID_MAX:
        return None
    proposal = db.session.get(PlanProposal, proposal_id)
    if proposal is None or not in_scope(user, proposal.region_kode):
        return None
    return proposal


def recent_proposals(user, limit: int = 10) -> list[PlanProposal]:
    from outreach.permissions import scope_of

    scope = scope_of(user)
    q = sa.select(PlanProposal).order_by(PlanProposal.id.desc()).limit(limit)
    if scope is not None:
        q = q.where(sa.or_(PlanProposal.region_kode == scope, PlanProposal.region_kode.like(scope + ".%")))
    return list(db.session.scalars(q))


def proposal_to_dict(p: PlanProposal) -> dict:
    out = {"id": p.id, "region": p.region_kode, "date_from": p.request.get("date_from"),
           "date_to": p.request.get("date_to"), "team_ids": p.request.get("team_ids"),
           "kit_ids": p.request.get("kit_ids"), "settings": p.request.get("settings") or {},
           "created_at": p.created_at.isoformat() if p.created_at else None,
           "accepted_at": p.accepted_at.isoformat() if p.accepted_at else None,
           "accepted_session_ids": list(p.accepted_session_ids or []),
           "accept_outcome": p.accept_outcome}
    out.update(p.result)
    return out


@dataclass
class AcceptOutcome:
    created: list = field(default_factory=list)  # [{"index", "session_id", "item"}]
    refused: list = field(default_factory=list)  # [{"index", "item", "messages", "conflicts"}]

    @property
    def created_session_ids(self) -> list[int]:
        return [c["session_id"] for c in self.created]


_ITEM_KEYS = {"index", "date", "start", "end", "team_id", "kit_ids", "site_id", "override_reason"}


def _kept_items(proposal: PlanProposal, kept: Any) -> list[tuple[Optional[int], dict]]:
    """(index, item) for each kept entry: an index, or an object with `index` and changed fields."""
    items = proposal.result.get("items", [])
    if not isinstance(kept, list) or not kept:
        raise AcceptInputError(_("Pilih minimal satu usulan sesi untuk diterima (items: daftar indeks atau objek)."))
    out, errors = [], {}
    for pos, entry in enumerate(kept):
        if isinstance(entry, bool):
            entry = None
        if isinstance(entry, int):
            entry = {"index": entry}
        if not isinstance(entry, dict):
            errors[str(pos)] = _("Harus berupa indeks usulan atau objek.")
            continue
        unknown = sorted(set(entry) - _ITEM_KEYS)
        if unknown:
            errors[str(pos)] = _("Kolom tidak dikenal: %(names)s.", names=", ".join(map(str, unknown)))
            continue
        index = entry.get("index")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(items):
                errors[str(pos)] = _("Indeks usulan %(index)s tidak ada (0 sampai %(last)s).",
                                     index=str(index)[:20], last=len(items) - 1)
                continue
            item = dict(items[index])
        else:
            missing = [k for k in ("site_id", "date", "start", "end", "team_id", "kit_ids") if k not in entry]
            if missing:
                errors[str(pos)] = _("Tanpa indeks, sesi harus lengkap; kurang: %(names)s.", names=", ".join(missing))
                continue
            item = {}
        item.update({k: v for k, v in entry.items() if k != "index"})
        out.append((index, item))
    for pos, (index, item) in enumerate(out):
        if item.get("request_id") is not None and index is not None \
                and item.get("site_id") != items[index].get("site_id"):
            errors[str(pos)] = _("Kunjungan rumah %(code)s tidak bisa dipindah ke lokasi lain.",
                                 code=item.get("request_code") or item["request_id"])
    twice = twice_issues([item for _index, item in out])
    if twice:
        errors["items"] = " ".join(i.message for i in twice)
    if errors:
        raise AcceptInputError(_("Daftar usulan yang diterima tidak valid."), errors)
    return out


def _lock_proposal(proposal_id: int) -> Optional[PlanProposal]:
    """The proposal's row, locked for this transaction on PostgreSQL (two accepts take turns)."""
    stmt = sa.select(PlanProposal).where(PlanProposal.id == proposal_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def accept_proposal(user, proposal: PlanProposal, kept: Any) -> AcceptOutcome:
    """Create a session for each kept item (same rules as a hand-made session); report each outcome. A
    proposal is accepted once: AlreadyAccepted when it was (the outcome, the items left out included, is
    kept on the proposal for the page after a reload)."""
    if not permissions.can_plan(user):
        raise NotAllowed(_("Hanya admin dan koordinator kecamatan yang dapat menerima usulan jadwal."))
    proposal_id = proposal.id
    proposal = _lock_proposal(proposal_id)
    if proposal.accepted_at is not None:
        db.session.rollback()
        raise AlreadyAccepted(proposal)
    try:
        entries = _kept_items(proposal, kept)
    except AcceptInputError:
        db.session.rollback()
        raise
    # Claim the proposal before the first session is made (each session commits on its own): a second
    # accept arriving meanwhile finds it accepted. Released again when nothing could be created.
    proposal.accepted_at = utcnow()
    db.session.commit()
    outcome = AcceptOutcome()
    for index, item in entries:
        data = {"site_id": item.get("site_id"), "date": item.get("date"), "start": item.get("start"),
                "end": item.get("end"), "team_id": item.get("team_id"), "kit_ids": item.get("kit_ids"),
                "kind": "perekaman", "notes": _("Dari usulan jadwal #%(id)s.", id=proposal_id)}
        if item.get("site_type") == loader.SCHOOL:
            data["target_groups"] = ["pemilih_pemula"]
        request_id = item.get("request_id")
        if request_id is not None:
            data["target_groups"] = [home_visit_rules.TARGET_GROUP]
            refusal = home_visit_rules.refusal(request_id, item)
            if refusal:
                outcome.refused.append({"index": index, "item": item, "messages": [refusal],
                                        "errors": {"request_id": refusal}, "conflicts": []})
                continue
        if item.get("override_reason"):
            data["override_reason"] = item["override_reason"]
        try:
            if request_id is not None:
                session = home_visit_rules.create_visit_session(user, data, proposal_id, outcome.created_session_ids)
            else:
                session = planning_operations.create_session(user, data)
        except ValidationFailed as exc:
            outcome.refused.append({"index": index, "item": item, "messages": list(exc.errors.values()),
                                    "errors": exc.errors, "conflicts": []})
        except ConflictsFound as exc:
            outcome.refused.append({"index": index, "item": item, "messages": [c.message for c in exc.conflicts],
                                    "conflicts": [c.as_dict() for c in exc.conflicts],
                                    "overridable": exc.overridable})
        else:
            if request_id is not None:
                refusal = home_visit_rules.link(user, request_id, session, proposal_id)
                if refusal:
                    outcome.refused.append({"index": index, "item": item, "messages": [refusal],
                                            "errors": {"request_id": refusal}, "conflicts": []})
                    continue
            outcome.created.append({"index": index, "session_id": session.id, "item": item})
    db.session.rollback()  # whatever a refused item left in the session
    proposal = db.session.get(PlanProposal, proposal_id)
    if outcome.created:
        kept_indexes = {index for index, _item in entries if index is not None}
        proposal.accepted_session_ids = list(proposal.accepted_session_ids or []) + outcome.created_session_ids
        proposal.accept_outcome = {
            "created": [{"index": c["index"], "session_id": c["session_id"]} for c in outcome.created],
            "refused": [{"index": r["index"], "messages": r["messages"]} for r in outcome.refused],
            "left_out": sorted(i for i in range(len(proposal.result.get("items", []))) if i not in kept_indexes)}
    else:
        proposal.accepted_at = None
    db.session.commit()
    return outcome


__all__ = ["AcceptInputError", "AcceptOutcome", "AlreadyAccepted", "Issue", "PlanInputError", "accept_proposal", "create_proposal",
           "get_proposal", "proposal_to_dict", "recent_proposals"]
