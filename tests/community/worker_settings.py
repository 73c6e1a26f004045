"""Settings for a real ``db_worker`` subprocess in the worker-kill tests.

The test settings, with the database task backend and the default mailer pointed at the
fake SMTP server the test runs (its port in ``FAKE_SMTP_PORT``).
"""

import os

from community.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": int(os.environ["FAKE_SMTP_PORT"]), "timeout": 60},
    }
}
DEFAULT_FROM_EMAIL = "Lab <no-reply@lab.example.org>"
