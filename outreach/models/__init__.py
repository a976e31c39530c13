"""The data model. Import models from here: `from outreach.models import Region, Site`."""
from outreach.models.base import utcnow  # noqa: F401
from outreach.models.regions import Region, TargetCount, KnownAway, DesaTally, RefuserFollowup, ImportBatch, AWAY_REASONS, LEGACY_AWAY_REASONS  # noqa: F401
from outreach.models.sites import Site, SITE_TYPES, JENJANG_CHOICES  # noqa: F401
from outreach.models.accounts import User, Team, Kit, ApiToken, ROLES, KIT_STATUSES  # noqa: F401
from outreach.models.audit import AuditEntry  # noqa: F401
from outreach.models.planning import RecordingSession, SessionKit, SessionPostponement, SESSION_KINDS, SESSION_STATUSES, TARGET_GROUPS  # noqa: F401
from outreach.models.jobs import JobRun, Notification, CoverageSnapshot  # noqa: F401
from outreach.models.field import TurnoutLog, NOT_RECORDED_REASONS, RECORDED_GROUPS, SEXES, COUNT_COLUMNS  # noqa: F401
from outreach.models.plans import PlanProposal  # noqa: F401
from outreach.models.calendar import CalendarEntry  # noqa: F401
