"""Inputs and outputs of the planner ("usulkan jadwal"): plain, frozen dataclasses.

Nothing here knows about Flask or the database: the caller loads teams, kits, sites and backlogs,
builds a `PlanRequest`, and gets a `PlanResult` back (see `outreach.planner.solve.plan`).

The problem, in words (the exact rules live in `outreach.planner.instance`):

- Every working day in the date range (weekends and Indonesian public holidays excluded, see
  `working_days`) every free team can run ONE session: it leaves its office at `work_start`, travels
  to one site, records, and is back by `work_end`. Travel time = straight-line distance ×
  `road_factor` / `travel_speed_kmh`, each way, rounded up to 5 minutes. The session lasts the hours
  left, capped at `max_session_hours`; a site that leaves less than `min_session_hours` is out of reach
  for that team.
- A session takes one or more kits from the shared pool. On a day the kits handed out cannot exceed
  the kits free that day (kits under repair and kits already booked by existing sessions are taken),
  and a team only takes kits it may use (`Team.kit_ids`).
- Capacity of a session = kits × floor(records_per_kit_hour × session hours). Its expected yield is
  the lesser of its capacity and what is left to record at the site:
  * pemilih pemula of a school (`Site.pemilih_pemula`, a pool of that site), and
  * the general reachable backlog the site serves (`Site.backlog`), which draws from its desa's
    pool (`PlanRequest.desa_backlog[site.desa]`): several sites of one desa share that pool, so
    the desa's backlog is never counted twice.
- Weighted value of a record = 1 + `lagging` (site in an area lagging the deadline forecast)
  + `per_30_days_since_visit` × min(days since last visit, `max_days_since_visit`) / 30,
  plus `pemilih_pemula` for a pemilih pemula recorded on or before the school's cut-off date
  (after the cut-off a student still counts as a record, without that extra weight).
- Home visits (`PlanRequest.home_visits`, verified requests): the houses of one desa are grouped in
  rounds of at most `home_visits_per_day`; a round is one team's day (office → house → house → ... →
  office, travel by the same rule), each house taking `home_visit_minutes` (longer when more people live
  there than a kit records in that time). A round uses one kit; its people draw on their desa's pool and
  weigh 1 + `home_visit` (+ lagging, + days since visit) each. `plan` returns one session per house.
- The planner maximizes the total weighted yield.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Mapping, NamedTuple, Optional, Union

Id = Union[int, str]


def id_key(value: Id) -> tuple:
    """Sort key for ids that may be ints or strings (ints first, each in natural order)."""
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


@dataclass(frozen=True)
class PriorityWeights:
    """Extra weight per record, added to the base weight 1 (settings, all ≥ 0)."""
    pemilih_pemula: float = 1.0  # a pemilih pemula recorded on or before the school's cut-off
    lagging: float = 0.5  # a record in an area lagging the deadline forecast
    per_30_days_since_visit: float = 0.1  # per 30 days since the area was last visited ...
    max_days_since_visit: int = 180  # ... counting at most this many days (never visited = this many)
    # A person recorded at home on a verified home-visit request: a promise made to a family. A home-visit
    # round (one team, one morning, a few houses) records a handful of people where a balai desa day records
    # dozens, so without a large extra weight verified requests would wait behind every big backlog.
    home_visit: float = 100.0


@dataclass(frozen=True)
class Team:
    """A field team and its office, where every route starts and ends."""
    id: Id
    lat: float
    lng: float
    name: str = ""
    kit_ids: Optional[tuple[Id, ...]] = None  # kits this team may take; None = any kit of the pool


@dataclass(frozen=True)
class Kit:
    """A mobile recording kit."""
    id: Id
    code: str = ""
    under_repair: bool = False  # out for the whole range
    unavailable_dates: frozenset[date] = frozenset()  # out on these days only (repair, loan)


@dataclass(frozen=True)
class BusySlot:
    """A team and/or kits already booked on a date (an existing session)."""
    date: date
    team_id: Optional[Id] = None
    kit_ids: tuple[Id, ...] = ()


@dataclass(frozen=True)
class Site:
    """A candidate site: an RT/RW meeting point, a balai desa or a school."""
    id: Id
    lat: float
    lng: float
    name: str = ""
    desa: Optional[str] = None  # desa key: the sites of a desa share its backlog pool
    desa_name: str = ""  # the desa's name, shown beside its key in reasons
    backlog: int = 0  # reachable general backlog this site serves (drawn from the desa pool)
    pemilih_pemula: int = 0  # students of this school still to record (the school's own pool)
    cutoff: Optional[date] = None  # pemilih pemula weight only on or before this date
    blocked_dates: frozenset[date] = frozenset()  # days the site cannot host (school holidays ...)
    days_since_visit: Optional[int] = None  # None: never visited
    lagging: bool = False  # its area lags the deadline forecast
    note: str = ""  # shown with the reason (e.g. sessions already planned on its pool)


@dataclass(frozen=True)
class HomeVisit:
    """A verified home-visit request with its `rumah` site: a short visit recording `people` at home.

    Its people are residents of its desa: with `desa` set they draw on the desa's pool like any site of the
    desa (never counted twice); `desa` None (the desa has no official figures) makes them a pool of their own.
    No personal data: the request's code, kind and head count only."""
    request_id: Id
    request_code: str
    site_id: Id
    lat: float
    lng: float
    people: int = 1
    kind: str = ""  # outreach.vocab.HOME_VISIT_KINDS
    desa: Optional[str] = None
    desa_name: str = ""
    blocked_dates: frozenset[date] = frozenset()
    days_since_visit: Optional[int] = None
    lagging: bool = False


@dataclass(frozen=True)
class PlanRequest:
    """Everything the planner needs; `desa_backlog` maps a desa key to the reachable backlog of
    the whole desa (when a desa key is missing, its pool is the largest backlog of its sites)."""
    first_day: date
    last_day: date
    teams: tuple[Team, ...]
    kits: tuple[Kit, ...]
    sites: tuple[Site, ...]
    desa_backlog: Mapping[str, int] = field(default_factory=dict)
    busy: tuple[BusySlot, ...] = ()
    work_start: time = time(8, 0)
    work_end: time = time(15, 0)
    records_per_kit_hour: float = 12.0
    travel_speed_kmh: float = 30.0
    road_factor: float = 1.4  # road distance / straight-line distance
    min_session_hours: float = 2.0
    max_session_hours: float = 6.0
    weights: PriorityWeights = PriorityWeights()
    default_cutoff: Optional[date] = None  # cut-off of schools whose own `cutoff` is None
    holiday_country: str = "ID"  # "": no package holidays, `extra_holidays` holds every day off
    extra_holidays: frozenset[date] = frozenset()  # the planning calendar's days off (cuti bersama, regional ...)
    home_visits: tuple[HomeVisit, ...] = ()
    home_visit_minutes: int = 30  # one house: set-up, recording one person, packing up
    home_visits_per_day: int = 4  # houses of one desa one team visits in a row on one day

    def working_days(self) -> tuple[date, ...]:
        """Days in the range that are neither weekends nor public holidays."""
        return working_days(self.first_day, self.last_day, self.holiday_country, self.extra_holidays)

    def work_minutes(self) -> int:
        return (self.work_end.hour * 60 + self.work_end.minute) - (self.work_start.hour * 60 + self.work_start.minute)


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> dict[date, str]:
    """Public holidays of one year, named in Bahasa Indonesia when the package knows it."""
    import holidays as holidays_lib

    try:
        cal = holidays_lib.country_holidays(country, years=[year], language="id")
    except NotImplementedError:  # unknown country: no holidays rather than a crash
        return {}
    return dict(cal.items())


@lru_cache(maxsize=256)
def working_days(first: date, last: date, country: str = "ID",
                 extra_holidays: frozenset[date] = frozenset()) -> tuple[date, ...]:
    """Working days from `first` to `last` inclusive: Monday–Friday, not a public holiday."""
    off: set[date] = set(extra_holidays)
    for year in range(first.year, last.year + 1) if country else ():
        off.update(public_holidays(country, year))
    out = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in off:
            out.append(day)
        day += timedelta(days=1)
    return tuple(out)


@dataclass(frozen=True)
class ProposedSession:
    """One proposed session, with the one-line reason shown to the coordinator."""
    site_id: Id
    site_name: str
    date: date
    start: time
    end: time
    team_id: Id
    kit_ids: tuple[Id, ...]
    expected_yield: int  # people expected to be recorded
    pemilih_pemula_yield: int  # of which pemilih pemula
    weighted_value: float
    distance_km: float  # road distance from the team's office, one way
    reason: str
    # A home visit: the request it serves (code, kind, head count; never the requester's personal data).
    request_id: Optional[Id] = None
    request_code: str = ""
    request_kind: str = ""
    people: int = 0


class LeftOut(NamedTuple):
    """A site with something to record that got no session, and why (Bahasa Indonesia)."""
    site_id: Id
    reason: str


@dataclass(frozen=True)
class PlanResult:
    items: tuple[ProposedSession, ...]
    total_expected_yield: int
    total_weighted_yield: float
    left_out: tuple[LeftOut, ...]
    working_days: tuple[date, ...] = ()
    stats: Mapping[str, object] = field(default_factory=dict)  # solver, seconds, moves ...
