"""A registration email cannot be lost between the change that causes it and the worker
(issue 8, point 3).

The email task is enqueued inside the transaction that registers, cancels or promotes, so the
database queue (django_tasks_db in production) holds the task row exactly when the change is
committed: a process killed right after the commit, before any ``on_commit`` callback, loses
nothing, and a change rolled back leaves no task and no email.
"""

from django.db import transaction

import pytest
from django_tasks_db.models import DBTaskResult

from community.models import OutboundEmail
from events import services
from events.models import Registration

pytestmark = pytest.mark.django_db

TASK = "events.tasks.send_registration_email"


@pytest.fixture
def database_queue(settings):
    # Production's queue (Django resets its task backends when TASKS changes).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _queued_tasks():
    return DBTaskResult.objects.filter(task_path=TASK)


def _run_queued_like_the_worker():
    """What ``db_worker`` does with each ready row, without closing the test's connection."""
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


def test_the_task_is_written_in_the_registering_transaction(database_queue, make_event, member):
    event = make_event()
    with transaction.atomic():
        registration = services.registration_create(member, event, {})
        # Before commit, in the same transaction: the task row is there already.
        assert _queued_tasks().count() == 1
    # No on_commit callback has run (the test's transaction never commits): as if the process
    # died right after the commit. The worker still finds the task and builds the email.
    assert not OutboundEmail.objects.filter(key__startswith=f"event:{registration.pk}:").exists()
    _run_queued_like_the_worker()
    email = OutboundEmail.objects.get(key__startswith=f"event:{registration.pk}:confirmed")
    assert email.to == [member.email]


def test_a_rolled_back_change_leaves_no_task_and_no_email(database_queue, make_event, member):
    event = make_event()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.registration_create(member, event, {})
        raise Abort
    assert not Registration.objects.filter(user=member).exists()
    assert not _queued_tasks().exists()
    assert not OutboundEmail.objects.exists()


def test_a_cancellation_and_its_promotion_are_queued_with_the_change(
    database_queue, make_event, member, le_member
):
    event = make_event(capacity=1)
    first = services.registration_create(member, event, {})
    second = services.registration_create(le_member, event, {})
    before = _queued_tasks().count()
    with transaction.atomic():
        services.registration_cancel(first, by=member)
        assert _queued_tasks().count() == before + 2  # the cancellation and the promotion
    second.refresh_from_db()
    assert second.status == "confirmed"
