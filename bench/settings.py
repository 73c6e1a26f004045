"""Production settings plus one extra route (the ceiling), for the benchmark only.

Selected with DJANGO_SETTINGS_MODULE=bench.settings by bench/run.py; the product never uses it.
"""

from community.settings.production import *  # noqa: F403
from community.settings.production import BASE_DIR

ROOT_URLCONF = "bench.urls"
# collectstatic for the benchmark must not overwrite a developer's staticfiles/.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
