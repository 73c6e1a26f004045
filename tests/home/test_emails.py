"""Membership emails: parsed back, linking to the membership page, never leaking staff notes."""

import email

import pytest

from community.emails import queue_email
from community.models import Membership
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TEMPLATES = [
    "membership_received",
    "membership_to_vet",
    "membership_approved",
    "membership_rejected",
    "membership_expired",
]


@pytest.fixture
def rejected_membership(db):
    user = make_member(status=Membership.Status.REJECTED)
    membership = user.membership
    membership.decision_reason = "Sample reason: we could not confirm the organisation."
    membership.staff_notes = "Sample staff-only note."
    membership.save()
    return membership


def send(name, membership, mailoutbox, capture):
    with capture(execute=True):
        queue_email(
            key=f"test:{name}:{membership.pk}",
            to=["member@example.org"],
            template=f"community/email/{name}",
            context={"membership": membership},
        )
    assert len(mailoutbox) == 1
    return email.message_from_string(mailoutbox[0].message().as_string())


@pytest.mark.parametrize("name", TEMPLATES)
def test_membership_emails_link_back_and_never_leak_staff_notes(
    name, rejected_membership, mailoutbox, django_capture_on_commit_callbacks, settings
):
    parsed = send(name, rejected_membership, mailoutbox, django_capture_on_commit_callbacks)
    subject = parsed["Subject"]
    assert subject and "\n" not in subject
    body = parsed.get_payload(decode=True).decode()
    assert f"{settings.SITE_URL}/membership/" in body
    assert "Sample staff-only note." not in body
    assert "&#x27;" not in body and "&amp;" not in body  # plain text, not HTML-escaped


def test_rejection_email_gives_the_reason(
    rejected_membership, mailoutbox, django_capture_on_commit_callbacks
):
    parsed = send(
        "membership_rejected", rejected_membership, mailoutbox, django_capture_on_commit_callbacks
    )
    body = parsed.get_payload(decode=True).decode()
    assert "Sample reason: we could not confirm the organisation." in body
