"""The data model. Import models from here: `from outreach.models import Region, Site`. The enumerations
(statuses, reasons, groups, site types, roles) and their labels are outreach.vocab's."""
from outreach.models.base import utcnow  # noqa: F401
from outreach.models.regions import Region, TargetCount, KnownAway, DesaTally, KecamatanTotals, RefuserFollowup, ImportBatch  # noqa: F401
from outreach.models.sites import Site, JENJANG_CHOICES  # noqa: F401
from outreach.models.accounts import User, Team, Kit, ApiToken  # noqa: F401
from outreach.models.audit import AuditEntry  # noqa: F401
from outreach.models.planning import RecordingSession, SessionKit, SessionPostponement  # noqa: F401
from outreach.models.jobs import JobRun, Notification, CoverageSnapshot, SharedValue  # noqa: F401
from outreach.models.field import TurnoutLog, COUNT_COLUMNS  # noqa: F401
from outreach.models.plans import PlanProposal  # noqa: F401
from outreach.models.calendar import CalendarEntry  # noqa: F401
from outreach.models.requests import VisitRequest  # noqa: F401
from outreach.models.imports import ImportTask  # noqa: F401
from outreach.models.maps import RegionShape  # noqa: F401
