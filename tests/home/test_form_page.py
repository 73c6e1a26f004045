"""Form pages: labelled fields, a stored submission and one queued staff email per submission."""

import email

from wagtail.contrib.forms.models import FormSubmission

import pytest

from community.models import OutboundEmail
from tests.helpers import assert_site_page, get_warm, parse

pytestmark = pytest.mark.django_db

VALID = {"your_name": "Sample Sender", "your_email": "sender@example.org", "message": "Sample."}


def test_form_page_renders_every_field_labelled(client, form_page):
    soup = assert_site_page(parse(get_warm(client, form_page.url, 12)))
    form = soup.find("main").find("form", method="post")
    assert form["action"] == form_page.url
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    labels = {label.get_text(" ", strip=True) for label in form.find_all("label")}
    assert {"Your name (required)", "Your email (required)", "Message (required)"} <= labels


def test_valid_submission_is_stored_and_notifies_staff_once(
    client, form_page, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_page.url, VALID)
    soup = assert_site_page(parse(response))
    assert "Sample thanks." in soup.find(attrs={"data-form-landing": True}).get_text()

    submission = FormSubmission.objects.get(page=form_page)
    assert submission.get_data()["your_email"] == "sender@example.org"
    assert len(mailoutbox) == 1
    parsed = email.message_from_string(mailoutbox[0].message().as_string())
    assert parsed["To"] == "staff@example.org"
    assert parsed["Subject"] == "Sample contact message"
    body = parsed.get_payload(decode=True).decode()
    assert "Your name: Sample Sender" in body
    assert "Your email: sender@example.org" in body
    assert f"/admin/forms/submissions/{form_page.pk}/" in body
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


@pytest.mark.parametrize(
    "data",
    [
        {**VALID, "your_email": "not-an-address"},
        {**VALID, "your_name": ""},
        {},
    ],
    ids=["bad-email", "missing-name", "empty"],
)
def test_invalid_submission_shows_errors_and_writes_nothing(
    client, form_page, mailoutbox, django_capture_on_commit_callbacks, data
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_page.url, data)
    soup = assert_site_page(parse(response))
    invalid = soup.find_all(attrs={"aria-invalid": "true"})
    assert invalid
    for control in invalid:
        assert soup.find(id=f"{control['id']}_error") is not None
    assert not FormSubmission.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert mailoutbox == []


def test_submission_without_csrf_token_is_refused(form_page):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(form_page.url, VALID)
    assert response.status_code == 403
    assert not FormSubmission.objects.exists()
