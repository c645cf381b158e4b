"""Reads of the guardians app, split by sub-domain; the family reads are re-exported here."""

from guardians.queries.family import (
    ChildCard,
    CoGuardian,
    FamilyHome,
    access_child_for_guardian,
    get_family_home,
    get_family_home_html,
    list_children_for_guardian,
    list_co_guardians,
    list_guardian_links,
)

__all__ = [
    "ChildCard",
    "CoGuardian",
    "FamilyHome",
    "access_child_for_guardian",
    "get_family_home",
    "get_family_home_html",
    "list_children_for_guardian",
    "list_co_guardians",
    "list_guardian_links",
]
