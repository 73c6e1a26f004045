"""A real ``db_worker`` killed with SIGKILL mid-send: nothing lost, nothing stuck "running".

PostgreSQL only: the worker is a second process on the test database.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from django.db import connection
from django.utils import timezone

import pytest

from community import emails
from community.models import OutboundEmail
from tests.community import smtp_fake

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
Status = OutboundEmail.Status
smtp = smtp_fake.smtp


def start_worker(port):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.community.worker_settings",
        "FAKE_SMTP_PORT": str(port),
        # The worker must use the test database this test writes to.
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_killed_while_sending_leaves_nothing_lost_or_stuck(smtp):
    from django_tasks_db.models import DBTaskResult

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker is a second process on the test database")
    record = OutboundEmail.objects.create(
        key="sample-worker-kill",
        to=["member@example.org"],
        from_email="Lab <no-reply@lab.example.org>",
        subject="Sample subject",
        body_text="Sample body.",
    )
    task = DBTaskResult.objects.create(
        task_path="community.tasks.send_outbound_email",
        args_kwargs={"args": [str(record.pk)], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now() - timedelta(seconds=1),
    )
    smtp.mode = "hang"  # the worker claims the row, connects, and waits on the server
    worker = start_worker(smtp.port)
    try:
        assert wait_for(
            lambda: OutboundEmail.objects.filter(pk=record.pk, status=Status.SENDING).exists()
        ), "the worker never claimed the email"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    task.refresh_from_db()
    assert task.status == "RUNNING"  # what a killed worker leaves behind
    smtp.mode = "accept"

    # The next batch after the lease: the email goes out, the dead worker's task is ready again.
    later = timezone.now() + timedelta(seconds=601)
    assert emails.send_due(later) == {Status.SENT: 1}
    task.refresh_from_db()
    assert task.status == "READY"

    # A fresh worker runs the reclaimed task: it finds the email sent and sends nothing more.
    worker = start_worker(smtp.port)
    try:
        assert wait_for(lambda: DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
    [raw] = smtp.messages
    assert message_from_bytes(raw, policy=policy.default)["Message-ID"] == (
        f"<{record.pk}@lab.example.org>"
    )
