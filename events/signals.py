"""Publishing an event page updates its calendar state and tells registrants."""

from django.dispatch import receiver

from wagtail.signals import page_published

from .models import EventPage
from .services import record_event_change


@receiver(page_published, sender=EventPage)
def event_published(sender, instance, **kwargs):
    record_event_change(instance)
