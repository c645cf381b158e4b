"""Query counts that depend on the run mode."""

from django.conf import settings

# Reading the session: one query when the session engine reads the database; none with the
# cached_db engine and Redis (CI and production), which read it from the cache.
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
