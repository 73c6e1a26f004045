"""Expiry: a membership past its date lapses once, and the member is asked to re-confirm."""

from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

import pytest

from community import access, services
from community.models import Membership, OutboundEmail
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox():
    mail.outbox = []


def expire(capture):
    out = StringIO()
    with capture(execute=True):
        call_command("expire_memberships", stdout=out)
    return out.getvalue().strip()


def groups_of(user):
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture
def lapsed():
    user = make_member(kind=Membership.Kind.LAW_ENFORCEMENT)
    Membership.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(hours=1))
    return user


def test_expired_membership_lapses_once_and_asks_to_reconfirm(
    lapsed, django_capture_on_commit_callbacks
):
    current = make_member(kind=Membership.Kind.EXPERT)
    assert groups_of(lapsed) == {access.GROUP_MEMBERS, access.GROUP_LAW_ENFORCEMENT}

    assert expire(django_capture_on_commit_callbacks) == "Expired 1 membership(s)."

    membership = Membership.objects.get(user=lapsed)
    assert membership.status == Membership.Status.EXPIRED
    assert groups_of(lapsed) == set()
    assert len(mail.outbox) == 1
    message = message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    assert message["To"] == lapsed.email
    assert "re-confirm" in message["Subject"]
    assert "/membership/" in message.get_content()

    # A member still in date is untouched.
    assert Membership.objects.get(user=current).status == Membership.Status.VERIFIED
    assert groups_of(current) == {access.GROUP_MEMBERS, access.GROUP_EXPERTS}

    assert expire(django_capture_on_commit_callbacks) == "Expired 0 membership(s)."
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.count() == 1


def test_nothing_due_sends_nothing(django_capture_on_commit_callbacks):
    make_member()
    assert expire(django_capture_on_commit_callbacks) == "Expired 0 membership(s)."
    assert mail.outbox == []


def test_reconfirming_puts_the_application_back_in_the_queue(
    lapsed, django_capture_on_commit_callbacks
):
    expire(django_capture_on_commit_callbacks)
    mail.outbox = []
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_submit(lapsed, {"position": "Sample senior analyst"})

    membership = Membership.objects.get(user=lapsed)
    assert membership.status == Membership.Status.PENDING
    assert membership.applied_at >= before
    assert membership.position == "Sample senior analyst"
    assert groups_of(lapsed) == set()
    assert lapsed.email in {to for m in mail.outbox for to in m.to}
