"""Roles, in one place.

This module is the only code that knows which role may do what. Roles map to named capabilities;
views and API endpoints declare the capability they need per HTTP method (`tenants.views_base`,
`tenants.api_base`) and never compare roles. Object rules ("a teacher sees their classrooms") live
in the `access_*` functions of each app's `queries.py`, which ask the scope questions such as
`scope.covers_school(...)`, never the role.
"""

from tenants.models import Role


class Cap:
    """Capability names. Add here, grant in ROLE_CAPABILITIES, declare in views."""

    ACTIVITY_READ = "activity:read"
    ACTIVITY_WRITE = "activity:write"
    SUBMISSION_REVIEW = "submission:review"
    SUBMISSION_WRITE = "submission:write"
    # Mark a family's submission for the school's newsletter or social media (with consent).
    SUBMISSION_SHARE = "submission:share"
    # A district admin opens one school's submissions, giving a reason that is audited.
    SCHOOL_OPEN = "school:open"
    LEADERBOARD_VIEW = "leaderboard:view"
    DASHBOARD_VIEW = "dashboard:view"
    # Which of a classroom's families are not reached yet, by name (aggregates only without it).
    DASHBOARD_FAMILIES = "dashboard:families"
    ROSTER_VIEW = "roster:view"
    ROSTER_MANAGE = "roster:manage"
    INVITE_SEND = "invite:send"
    JOIN_APPROVE = "join:approve"
    STAFF_MANAGE = "staff:manage"
    MESSAGE_SEND = "message:send"
    MESSAGE_READ = "message:read"
    OUTBOX_VIEW = "outbox:view"
    PRIVACY_ADMIN = "privacy:admin"
    PRIVACY_SELF = "privacy:self"
    FAMILY_VIEW = "family:view"
    SCHOOL_VIEW = "school:view"
    ACCOUNT_SELF = "account:self"


ALL_CAPABILITIES = frozenset(value for name, value in vars(Cap).items() if not name.startswith("_"))

_STAFF_COMMON = {Cap.ACCOUNT_SELF, Cap.SCHOOL_VIEW, Cap.MESSAGE_READ, Cap.ACTIVITY_READ}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(
        _STAFF_COMMON
        | {
            Cap.ACTIVITY_WRITE,
            Cap.DASHBOARD_VIEW,
            Cap.ROSTER_VIEW,
            Cap.ROSTER_MANAGE,
            Cap.INVITE_SEND,
            Cap.JOIN_APPROVE,
            Cap.STAFF_MANAGE,
            Cap.MESSAGE_SEND,
            Cap.OUTBOX_VIEW,
            Cap.PRIVACY_ADMIN,
            Cap.SCHOOL_OPEN,
            Cap.LEADERBOARD_VIEW,
            Cap.DASHBOARD_FAMILIES,
        }
    ),
    Role.SCHOOL_ADMIN: frozenset(
        _STAFF_COMMON
        | {
            Cap.ACTIVITY_WRITE,
            Cap.SUBMISSION_REVIEW,
            Cap.DASHBOARD_VIEW,
            Cap.ROSTER_VIEW,
            Cap.ROSTER_MANAGE,
            Cap.INVITE_SEND,
            Cap.JOIN_APPROVE,
            Cap.STAFF_MANAGE,
            Cap.MESSAGE_SEND,
            Cap.OUTBOX_VIEW,
            Cap.PRIVACY_ADMIN,
            Cap.SUBMISSION_SHARE,
            Cap.LEADERBOARD_VIEW,
            Cap.DASHBOARD_FAMILIES,
        }
    ),
    Role.TEACHER: frozenset(
        _STAFF_COMMON
        | {
            Cap.ACTIVITY_WRITE,
            Cap.SUBMISSION_REVIEW,
            Cap.DASHBOARD_VIEW,
            Cap.ROSTER_VIEW,
            Cap.INVITE_SEND,
            Cap.JOIN_APPROVE,
            Cap.MESSAGE_SEND,
            Cap.LEADERBOARD_VIEW,
            Cap.DASHBOARD_FAMILIES,
        }
    ),
    Role.STAFF: frozenset(
        _STAFF_COMMON | {Cap.ROSTER_VIEW, Cap.DASHBOARD_VIEW, Cap.LEADERBOARD_VIEW}
    ),
    # Board members / governors: read-only dashboards and announcements, aggregates only.
    Role.VIEWER: frozenset(
        {
            Cap.ACCOUNT_SELF,
            Cap.SCHOOL_VIEW,
            Cap.DASHBOARD_VIEW,
            Cap.MESSAGE_READ,
            Cap.LEADERBOARD_VIEW,
        }
    ),
    Role.GUARDIAN: frozenset(
        {
            Cap.ACCOUNT_SELF,
            Cap.FAMILY_VIEW,
            Cap.ACTIVITY_READ,
            Cap.SUBMISSION_WRITE,
            Cap.MESSAGE_READ,
            Cap.PRIVACY_SELF,
            Cap.LEADERBOARD_VIEW,
        }
    ),
}

# Where each role's membership applies. Teachers hold one membership per classroom.
ROLE_LEVEL: dict[str, str] = {
    Role.DISTRICT_ADMIN: "district",
    Role.SCHOOL_ADMIN: "school",
    Role.TEACHER: "classroom",
    Role.STAFF: "school",
    Role.VIEWER: "school_or_district",
    Role.GUARDIAN: "district",
}

# Which roles a holder of `staff:manage` at each level may grant and revoke.
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(
        {Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER, Role.STAFF, Role.VIEWER}
    ),
    Role.SCHOOL_ADMIN: frozenset({Role.SCHOOL_ADMIN, Role.TEACHER, Role.STAFF, Role.VIEWER}),
}

# Roles that must use two-factor authentication before doing anything.
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN})

# The home page of each role (URL names).
ROLE_HOME = {
    Role.DISTRICT_ADMIN: "tenants:district_home",
    Role.SCHOOL_ADMIN: "tenants:school_home",
    Role.TEACHER: "tenants:teacher_home",
    Role.STAFF: "tenants:school_home",
    Role.VIEWER: "tenants:viewer_home",
    Role.GUARDIAN: "guardians:home",
}

# District-wide roles see every school of their district.
DISTRICT_WIDE_ROLES = frozenset({Role.DISTRICT_ADMIN})

# Order in the role switcher and which context is chosen first at sign-in.
ROLE_PRIORITY = [
    Role.DISTRICT_ADMIN,
    Role.SCHOOL_ADMIN,
    Role.TEACHER,
    Role.STAFF,
    Role.VIEWER,
    Role.GUARDIAN,
]


def capabilities_for(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())


def grantable_roles(role: str) -> frozenset[str]:
    return GRANTABLE_ROLES.get(role, frozenset())


def requires_two_factor(role: str) -> bool:
    return role in TWO_FACTOR_REQUIRED_ROLES


def home_url_name(role: str) -> str:
    return ROLE_HOME[role]


def is_district_wide(role: str) -> bool:
    return role in DISTRICT_WIDE_ROLES


def is_classroom_level(role: str) -> bool:
    return ROLE_LEVEL[role] == "classroom"


def is_family_role(role: str) -> bool:
    return role == Role.GUARDIAN


def role_sort_key(role: str) -> int:
    return ROLE_PRIORITY.index(role)
