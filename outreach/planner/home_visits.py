"""Home visits in the planner: rounds of houses one team visits in a row, their travel and their times.

Pure Python (no Flask, no database). A round is what the planner's one-session-per-team-day model can
hold: the verified home-visit requests of one desa, oldest first, chained by nearest house, at most
`PlanRequest.home_visits_per_day` of them and no longer on site than `max_session_hours`. For a team the
houses are visited in the order with the least travel (office → houses → office); the round fits that
team when it is back by the end of the working day. `outreach.planner.instance` makes each round one
candidate site and `build_result` hands back one proposed session per house.

Travel follows the planner's rule (straight line × road factor ÷ speed, rounded up to 5 minutes); the
planner models no kit set-up apart from a session's hours, so a house's time is `home_visit_minutes`
(longer when more people live there than one kit records in that time).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import permutations
from typing import Optional, Sequence

from outreach.geo import haversine_km
from outreach.planner.model import HomeVisit, PlanRequest, id_key

TRAVEL_ROUNDING_MINUTES = 5
START_ROUNDING_MINUTES = 15
BRUTE_FORCE_MAX = 6  # rounds up to this size try every order (720); longer ones go to the nearest house
ROUND_PREFIX = "rumah:"


@dataclass(frozen=True)
class Round:
    """Houses of one desa one team visits on one day (`visits` oldest request first)."""
    id: str
    desa: Optional[str]
    visits: tuple[HomeVisit, ...]

    @property
    def people(self) -> int:
        return sum(v.people for v in self.visits)


@dataclass(frozen=True)
class RoundRoute:
    """A round for one team: the houses in visiting order, the travel between stops and the time on site."""
    order: tuple[int, ...]  # indices into Round.visits
    travel_out: int  # minutes office → first house
    legs: tuple[int, ...]  # minutes between consecutive houses
    travel_back: int  # minutes last house → office
    visit_minutes: tuple[int, ...]  # per house, in visiting order
    km_from_office: tuple[float, ...]  # road distance office → each house, in visiting order
    capacity: int  # people the round can record (each house: its people, at most what its time allows)

    @property
    def on_site(self) -> int:
        """Minutes from arriving at the first house to leaving the last."""
        return sum(self.visit_minutes) + sum(self.legs)

    @property
    def total(self) -> int:
        return self.travel_out + self.on_site + self.travel_back


def road_km(req: PlanRequest, lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    return haversine_km(lat1, lng1, lat2, lng2) * req.road_factor


def travel_minutes(req: PlanRequest, km: float) -> int:
    """Travel time by the planner's rule, rounded up to 5 minutes."""
    speed = req.travel_speed_kmh if req.travel_speed_kmh > 0 else 1e-9
    return int(math.ceil(km / speed * 60 / TRAVEL_ROUNDING_MINUTES - 1e-9)) * TRAVEL_ROUNDING_MINUTES


def visit_minutes(req: PlanRequest, visit: HomeVisit) -> int:
    """A house's time: `home_visit_minutes`, or what one kit needs for its people when that is longer
    (rounded up to 5 minutes), never longer than a session may last."""
    rate = req.records_per_kit_hour if req.records_per_kit_hour > 0 else 1e-9
    needed = int(math.ceil(max(visit.people, 1) * 60 / rate / TRAVEL_ROUNDING_MINUTES - 1e-9)) * TRAVEL_ROUNDING_MINUTES
    longest = max(int(round(req.max_session_hours * 60)), 1)
    return min(max(int(req.home_visit_minutes), needed), longest)


def visit_capacity(req: PlanRequest, visit: HomeVisit, minutes: int) -> int:
    """People one kit records at a house in `minutes` (at most the people there)."""
    return min(max(visit.people, 0), int(math.floor(req.records_per_kit_hour * minutes / 60 + 1e-9)))


def round_capacity(req: PlanRequest, rnd: Round) -> int:
    """People the round records whichever team visits it: one session covers the whole round."""
    return sum(visit_capacity(req, v, visit_minutes(req, v)) for v in rnd.visits)


def build_rounds(req: PlanRequest) -> list[Round]:
    """The rounds of the request's home visits: per desa, the oldest request not yet in a round starts one,
    the nearest remaining house joins while the round has room (count and time on site)."""
    by_desa: dict[object, list[HomeVisit]] = {}
    for v in req.home_visits:
        by_desa.setdefault(v.desa if v.desa is not None else ("own", id_key(v.request_id)), []).append(v)
    per_day = max(int(req.home_visits_per_day), 1)
    longest = int(round(req.max_session_hours * 60))
    rounds = []
    for key in sorted(by_desa, key=str):
        left = sorted(by_desa[key], key=lambda v: id_key(v.request_id))
        while left:
            chain = [left.pop(0)]
            spent = visit_minutes(req, chain[0])
            while left and len(chain) < per_day:
                last = chain[-1]
                nearest = min(left, key=lambda v: (road_km(req, last.lat, last.lng, v.lat, v.lng), id_key(v.request_id)))
                extra = travel_minutes(req, road_km(req, last.lat, last.lng, nearest.lat, nearest.lng)) \
                    + visit_minutes(req, nearest)
                if spent + extra > longest:
                    break
                chain.append(nearest)
                left.remove(nearest)
                spent += extra
            rounds.append(Round(ROUND_PREFIX + str(chain[0].request_id), chain[0].desa, tuple(chain)))
    return rounds


def _orders(n: int, visits: Sequence[HomeVisit], req: PlanRequest, lat: float, lng: float):
    if n <= BRUTE_FORCE_MAX:
        yield from permutations(range(n))
        return
    # Nearest house first, from the office.
    order, here, left = [], (lat, lng), list(range(n))
    while left:
        nxt = min(left, key=lambda k: (road_km(req, here[0], here[1], visits[k].lat, visits[k].lng), k))
        order.append(nxt)
        left.remove(nxt)
        here = (visits[nxt].lat, visits[nxt].lng)
    yield tuple(order)


def route_for(req: PlanRequest, rnd: Round, lat: float, lng: float) -> Optional[RoundRoute]:
    """The round for a team whose office is at (lat, lng): the order with the least travel time (ties: the
    shorter way, then the request order), or None when the team cannot be back by the end of the working day."""
    visits = rnd.visits
    n = len(visits)
    minutes = [visit_minutes(req, v) for v in visits]
    best, best_key = None, None
    for order in _orders(n, visits, req, lat, lng):
        stops = [(lat, lng)] + [(visits[k].lat, visits[k].lng) for k in order] + [(lat, lng)]
        kms = [road_km(req, *stops[j], *stops[j + 1]) for j in range(len(stops) - 1)]
        hops = [travel_minutes(req, km) for km in kms]
        key = (sum(hops), round(sum(kms), 6), order)  # rounded minutes tie often: the shorter way wins
        if best_key is None or key < best_key:
            best_key, best = key, (order, hops)
    order, hops = best
    route = RoundRoute(order=tuple(order), travel_out=hops[0], legs=tuple(hops[1:-1]), travel_back=hops[-1],
                       visit_minutes=tuple(minutes[k] for k in order),
                       km_from_office=tuple(road_km(req, lat, lng, visits[k].lat, visits[k].lng) for k in order),
                       capacity=sum(visit_capacity(req, visits[k], minutes[k]) for k in order))
    return route if route.total <= req.work_minutes() and route.capacity > 0 else None


def _clock(minutes: int) -> time:
    return (datetime.combine(date(2000, 1, 1), time(0, 0)) + timedelta(minutes=minutes)).time()


def schedule(req: PlanRequest, route: RoundRoute) -> list[tuple[time, time]]:
    """(start, end) of each house in visiting order: the first on the quarter hour after arrival when the
    round still fits the day that way, the next ones as soon as the team gets there."""
    work_start = req.work_start.hour * 60 + req.work_start.minute
    work_end = req.work_end.hour * 60 + req.work_end.minute
    arrival = work_start + route.travel_out
    later = -(-arrival // START_ROUNDING_MINUTES) * START_ROUNDING_MINUTES
    start = later if later + route.on_site + route.travel_back <= work_end else arrival
    out = []
    for k, length in enumerate(route.visit_minutes):
        if k:
            start += route.legs[k - 1]
        out.append((_clock(start), _clock(start + length)))
        start += length
    return out


def kind_text(kind: str, _=None) -> str:
    """The request's kind as the home-visit line names it ("lansia"): the part of its vocabulary label
    after "Kunjungan rumah: " (outreach.vocab, translated)."""
    from outreach.vocab import labels_of

    label = labels_of("request_kind", _).get(kind, kind)
    return label.split(": ", 1)[-1]


def duplicate_requests(items: Sequence) -> list:
    """Request ids (or codes) that more than one item schedules; `items`: dicts or ProposedSessions."""
    seen, twice = set(), []
    for item in items:
        rid = item.get("request_id") if isinstance(item, dict) else getattr(item, "request_id", None)
        if rid is None:
            continue
        if rid in seen and rid not in twice:
            twice.append(rid)
        seen.add(rid)
    return twice
