"""The Celery app for tests/reliability/test_purge_worker_kill.py: the project's own app, with the
purge's chunk size taken from ENGAGE_TEST_PURGE_CHUNK in each pool process, so that a purge of
a few thousand rows takes many chunks (one transaction each) and a kill lands between them.

Started as `celery -A tests.reliability.purge_worker worker`; nothing else differs from
`celery -A engage worker`.
"""

import os

from celery.signals import worker_process_init

from engage.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _small_purge_chunks(**kwargs) -> None:
    from privacy import archive

    archive.PURGE_CHUNK = int(os.environ["ENGAGE_TEST_PURGE_CHUNK"])
