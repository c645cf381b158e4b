"""Embedded development mode: `make demo` and `manage.py` without any environment."""

from engage.env import env_bool
from engage.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
