"""The calendar page (month or week): its grid, the kecamatan or team in view, the sessions and the
days off of each day, in a bounded number of queries. The date arithmetic is plain Python."""
from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Optional

from flask_babel import gettext as _

from outreach import input_limits, permissions
from outreach.models import Team
from outreach.models.planning import RecordingSession
from outreach.permissions import in_scope, scope_of
from outreach.planning import calendar_rules, queries
from outreach.planning.errors import Invisible
from outreach.planning.site_scope import area_teams, busiest_kecamatan, own_kecamatan, team_visible
from outreach.regions import picker
from outreach.regions.choices import kecamatan_choices


# ---------------------------------------------------------------- calendar arithmetic (pure)

def parse_month(raw: Optional[str], today: date) -> date:
    """First day of the month 'YYYY-MM' (today's month when missing or unreadable)."""
    try:
        year, month = (int(p) for p in (raw or "").split("-")[:2])
        first = date(year, month, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)
    return first if input_limits.date_in_range(first) else today.replace(day=1)


def parse_day(raw: Optional[str], default: date) -> date:
    """The YYYY-MM-DD date, or `default` when it is missing, unreadable or out of input_limits' range."""
    return input_limits.iso_date(raw) or default


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def month_weeks(first: date) -> list[list[date]]:
    """The weeks (Monday first) covering the month that starts on `first`."""
    start = monday_of(first)
    last = first.replace(day=_calendar.monthrange(first.year, first.month)[1])
    weeks = []
    day = start
    while day <= last:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return weeks


def add_months(first: date, n: int) -> date:
    month = first.month - 1 + n
    return date(first.year + month // 12, month % 12 + 1, 1)


def sessions_by_day(sessions: Iterable[RecordingSession], first: date, last: date) -> dict[date, list]:
    """{day: sessions on that day} for the days [first, last]; a multi-day session appears on each day."""
    out: dict[date, list] = {}
    for s in sessions:
        day = max(s.date, first)
        while day <= min(s.last_date, last):
            out.setdefault(day, []).append(s)
            day += timedelta(days=1)
    for items in out.values():
        items.sort(key=lambda s: (s.start_time, s.id))
    return out


# ---------------------------------------------------------------- the page

LAYOUT_AUTO, LAYOUT_AGENDA, LAYOUT_GRID = "auto", "agenda", "kisi"


def parse_layout(raw: Optional[str]) -> str:
    """?tampilan=agenda or ?tampilan=kisi; anything else lets the screen's width choose."""
    return raw if raw in (LAYOUT_AGENDA, LAYOUT_GRID) else LAYOUT_AUTO

@dataclass
class CalendarContext:
    view: str
    first: date
    last: date
    anchor: date  # first of the month (month view) or the Monday (week view)
    weeks: list
    by_day: dict
    holidays: dict  # {day: names of the days off that close it there (all but exam weeks)}
    kecamatan: Optional[str]
    kecamatan_name: str
    team: Optional[Team]
    kecamatan_choices: list
    teams: list
    days_off: dict = field(default_factory=dict)  # {day: (DayOff, ...)} of the planning calendar shown
    layout: str = LAYOUT_AUTO  # agenda (a list of days), grid, or auto: the agenda below the phone breakpoint
    area: picker.AreaPicker = field(default_factory=lambda: picker.AreaPicker(stepwise=False))
    area_kode: Optional[str] = None  # a provinsi or kabupaten chosen in the stepwise picker without a kecamatan
    area_name: str = ""

    @property
    def agenda(self) -> list[tuple[date, list, tuple]]:
        """(day, sessions, days off) of each day of the period that has either, in date order."""
        days = [d for week in self.weeks for d in week
                if self.view == "week" or d.month == self.anchor.month]
        return [(d, self.by_day.get(d, []), self.days_off.get(d, ())) for d in days
                if self.by_day.get(d) or self.days_off.get(d)]

    @property
    def day_off_labels(self) -> dict:
        """The translated name of each kind of day off (outreach.planning.calendar_rules)."""
        return {kind: _(label) for kind, label in calendar_rules.KIND_LABELS.items()}

    @property
    def month(self) -> str:
        return self.anchor.strftime("%Y-%m")

    @property
    def session_count(self) -> int:
        return len({s.id for items in self.by_day.values() for s in items})

    def period_args(self, step: int = 0) -> dict:
        """Query arguments of this calendar moved by `step` months (or weeks)."""
        if self.view == "week":
            return {"view": "week", "start": (self.anchor + timedelta(days=7 * step)).isoformat()}
        return {"view": "month", "month": add_months(self.anchor, step).strftime("%Y-%m")}

    def planner_args(self, today: date) -> dict:
        """The planner's form for this calendar: its kecamatan, and the days of the period still ahead."""
        args = {"kecamatan": self.kecamatan} if self.kecamatan else {}
        if self.last > today:
            args["date_from"] = max(self.first, today + timedelta(days=1)).isoformat()
            args["date_to"] = self.last.isoformat()
        return args

    def focus_args(self, user) -> dict:
        """The kecamatan and team this calendar shows (as the user chose them)."""
        args = {}
        if self.layout != LAYOUT_AUTO:
            args["tampilan"] = self.layout
        if permissions.sees_area_wide(user):
            args["kecamatan"] = self.kecamatan or ""
            args.update(self.area.helper_args())
        if not permissions.is_field(user) and self.team is not None:
            args["team"] = self.team.id
        return args


def calendar_context(user, args, today: date, area_limit: int = picker.DEFAULT_SELECT_MAX) -> CalendarContext:
    """Everything the calendar page shows, in a bounded number of queries (sessions: two). A scope with
    more kecamatan than `area_limit` chooses its kecamatan with the stepwise area picker."""
    view = "week" if args.get("view") == "week" else "month"
    if view == "week":
        anchor = monday_of(parse_day(args.get("start"), today))
        weeks = [[anchor + timedelta(days=i) for i in range(7)]]
    else:
        anchor = parse_month(args.get("month"), today)
        weeks = month_weeks(anchor)
    first, last = weeks[0][0], weeks[-1][-1]
    team = None
    raw_team = args.get("team")
    if permissions.is_field(user):
        team = user.team
        if raw_team not in (None, "") and (team is None or str(team.id) != str(raw_team)):
            raise Invisible()
    elif raw_team not in (None, ""):
        team = team_visible(user, raw_team)
        if team is None:
            raise Invisible()
    kecamatan = args.get("kecamatan") or None
    if kecamatan and (kecamatan.count(".") != 2 or not in_scope(user, kecamatan)):
        raise Invisible()
    choices: list = []
    area = picker.AreaPicker(stepwise=False)
    area_kode = None
    if permissions.sees_area_wide(user):
        stepwise = picker.is_stepwise(user, "kecamatan", area_limit)
        choices = [] if stepwise else kecamatan_choices(user)
        if "kecamatan" not in args and team is None:  # first visit: the busiest kecamatan; "" = all of them
            kecamatan = busiest_kecamatan(user, first, last) or (choices[0][0] if choices else None)
        if stepwise:
            area = picker.build_picker(user, {"kecamatan": "kecamatan"}, {"kecamatan": kecamatan or ""}, area_limit,
                                       picker.submitted_picks(args))
            kecamatan = area.chosen("kecamatan") or None
            area_kode = None if kecamatan else (area.deepest() or None)
    elif permissions.is_coordinator(user):
        kecamatan = own_kecamatan(user)
    teams = area_teams(user, area, kecamatan or area_kode, team.id if team is not None else None)
    if permissions.is_field(user) and team is None:
        sessions = []
    else:
        sessions = queries.sessions_between(user, first, last, team_id=team.id if team else None,
                                            kecamatan_kode=kecamatan if not permissions.is_field(user) else None,
                                            area_kode=area_kode)
    name = dict(choices).get(kecamatan) if kecamatan else ""
    if (kecamatan or area_kode) and not name:
        name = queries.region_names([kecamatan or area_kode]).get(kecamatan or area_kode, kecamatan or area_kode)
    kabupaten = area_kode if area_kode and area_kode.count(".") == 1 else None
    days_off = calendar_days_off(user, kecamatan or kabupaten, team, first, last)
    return CalendarContext(view=view, first=first, last=last, anchor=anchor, weeks=weeks,
                           by_day=sessions_by_day(sessions, first, last),
                           holidays={d: "; ".join(o.name for o in offs if o.kind != calendar_rules.EXAM_WEEK)
                                     for d, offs in days_off.items()
                                     if any(o.kind != calendar_rules.EXAM_WEEK for o in offs)},
                           kecamatan=kecamatan, kecamatan_name=name if kecamatan else "", team=team,
                           kecamatan_choices=choices, teams=teams, days_off=days_off,
                           layout=parse_layout(args.get("tampilan")), area=area, area_kode=area_kode,
                           area_name=name if area_kode else "")


def calendar_days_off(user, kecamatan: Optional[str], team: Optional[Team], first: date, last: date) -> dict:
    """The planning calendar's days off the calendar page shows: national ones, and those of the area in
    view (the kecamatan shown, else the team's office or the user's own region): regional holidays,
    pilkada, school exam weeks."""
    from outreach.models.regions import level_of
    from outreach.planning import calendar as planning_calendar

    area = kecamatan or (team.office_kode if team is not None else None)
    scope = scope_of(user)
    if area is None and scope and level_of(scope) in ("kabupaten", "kecamatan", "desa"):
        area = scope
    if area is None:
        return planning_calendar.days_off_between(first, last, region_kodes=())
    return planning_calendar.days_off_for_region(area, first, last)
