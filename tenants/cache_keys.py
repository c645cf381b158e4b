"""Names of what cached values depend on (engage.versioned_cache), in one place.

Actions bump a name when they change what it covers; queries list the names they read.
"""


def memberships_dependency(user_id: int) -> str:
    """A person's roles: their cached scopes."""
    return f"memberships:{user_id}"


def district_dependency(district_id: int) -> str:
    return f"district:{district_id}"


def classroom_dependency(classroom_id: int) -> str:
    """A classroom's name and teachers, as families' pages show them."""
    return f"classroom:{classroom_id}"


def family_dependency(guardian_id: int) -> str:
    """Everything a guardian's pages show of their own family (links, children, enrollments)."""
    return f"family:{guardian_id}"


def child_work_dependency(child_id: int) -> str:
    """What a child's family has sent (their submissions), as the family home lists what is left
    to do: bumped by a submission instead of the whole family."""
    return f"child-work:{child_id}"


def user_dependency(user_id: int) -> str:
    """A person's own row (name, language, password, is_active): bumped on every save."""
    return f"user:{user_id}"


def school_activities_dependency(school_id: int) -> str:
    """The published activities of a school, as families' pages list them."""
    return f"school-activities:{school_id}"
