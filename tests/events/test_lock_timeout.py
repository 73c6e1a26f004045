"""The event's lock gives up instead of hanging (issue 9, point 7), on PostgreSQL.

One connection holds the event's lock row (as a long registration or a stuck transaction
would); a registration arriving meanwhile is refused as "busy" once
EVENT_LOCK_TIMEOUT_SECONDS have passed, writes nothing, and goes through once the lock is free.
"""

import threading
import time

from django.conf import settings
from django.db import connection, transaction

import pytest

from events import services
from events.models import EventLock, Registration
from tests.factories import make_member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="lock_timeout is PostgreSQL's",
    ),
    pytest.mark.django_db(transaction=True),
]


def _hold_lock(event_pk, held, release):
    try:
        with transaction.atomic():
            EventLock.objects.select_for_update().get(pk=event_pk)
            held.set()
            release.wait(timeout=30)
    finally:
        connection.close()


def test_a_registration_waiting_on_a_held_lock_is_refused_in_time(
    make_event, member, settings, client_for
):
    settings.EVENT_LOCK_TIMEOUT_SECONDS = 1
    event = make_event()
    EventLock.objects.get_or_create(event=event)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(event.pk, held, release))
    holder.start()
    try:
        assert held.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(services.Busy):
            services.registration_create(member, event, {})
        waited = time.monotonic() - started
        assert 0.9 <= waited < 3, waited
        assert not Registration.objects.filter(user=member).exists()

        # Over HTTP: 503 with Retry-After and the message, the answers kept, nothing written.
        other = make_member()
        response = client_for(other).post(event.url, {})
        assert response.status_code == 503
        assert response["Retry-After"] == "2"
        assert "Please try again" in response.content.decode()
        assert not Registration.objects.filter(user=other).exists()
    finally:
        release.set()
        holder.join(timeout=10)
    # Once the lock is free the same registration goes through.
    assert services.registration_create(member, event, {}).status == "confirmed"


def test_without_the_timeout_the_wait_outlasts_it(make_event, member, settings):
    """Control: with a long timeout the same registration is still waiting after the short
    one would have refused it, so the refusal above is the timeout's doing."""
    settings.EVENT_LOCK_TIMEOUT_SECONDS = 30
    event = make_event()
    EventLock.objects.get_or_create(event=event)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(event.pk, held, release))
    holder.start()
    outcome = {}

    def register():
        try:
            outcome["status"] = services.registration_create(member, event, {}).status
        finally:
            connection.close()

    try:
        assert held.wait(timeout=10)
        waiter = threading.Thread(target=register)
        waiter.start()
        waiter.join(timeout=2.5)
        assert waiter.is_alive(), "the registration should still be waiting for the lock"
    finally:
        release.set()
        holder.join(timeout=10)
    waiter.join(timeout=10)
    assert outcome["status"] == "confirmed"
