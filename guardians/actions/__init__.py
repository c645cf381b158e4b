"""Writes of the guardians app, split by sub-domain (family links, management, invites, ...).

The family actions are re-exported here, so `from guardians.actions import do_link_guardian`
keeps working; newer areas are imported from their own module.
"""

from guardians.actions.family import (
    do_create_child,
    do_enroll_child,
    do_link_guardian,
    do_set_guardian_access,
)

__all__ = ["do_create_child", "do_enroll_child", "do_link_guardian", "do_set_guardian_access"]
