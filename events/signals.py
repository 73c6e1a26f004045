"""Publishing an event page updates its calendar state and tells registrants."""

from django.dispatch import receiver

from wagtail.signals import page_published

from . import services
from .models import EventPage


@receiver(page_published, sender=EventPage)
def event_published(sender, instance, **kwargs):
    services.event_record_change(instance)
