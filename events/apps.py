from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wagtail import hooks

        from . import rules, signals  # noqa: F401

        hooks.register("seed_demo", _seed_demo_events)


def _seed_demo_events(**kwargs):
    """Imported on use: only seed_demo reads the sample events' copy, never a web process."""
    from .demo import seed_events

    seed_events(**kwargs)
