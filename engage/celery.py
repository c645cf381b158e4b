"""The Celery app. Embedded mode runs tasks in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings.local")

app = Celery("engage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request id and publish time on every task (logs, /readyz): connected wherever tasks are sent.
import engage.task_headers  # noqa: E402, F401
