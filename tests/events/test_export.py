"""CSV and XLSX export of an event's registrations: columns, answers, formula neutralising."""

import csv
import io

from django.urls import reverse

import openpyxl
import pytest

from community.models import Membership
from tests.events.test_admin import register_members
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","Sample click")'
HEADINGS = ["Name", "Email", "Organisation", "Country", "Status", "Registered at"]


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor, mfa=True)


@pytest.fixture
def event_with_questions(make_event):
    return make_event(
        capacity=1,
        questions=[
            ("text", {"label": "Sample role", "help_text": "", "required": True}),
            (
                "choice",
                {
                    "label": "Sample format",
                    "help_text": "",
                    "required": False,
                    "choices": ["On site", "Remote"],
                },
            ),
            ("yes_no", {"label": "Sample interpretation", "help_text": "", "required": False}),
        ],
    )


def question_ids(event):
    return [block.id for block in event.questions]


def export(client, event, fmt, **params):
    url = reverse("events_admin:registrations", args=[event.pk])
    response = client.get(url, {"export": fmt, **params})
    assert response.status_code == 200
    return response


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def xlsx_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_csv_has_one_column_per_question_and_the_answers(editor_client, event_with_questions):
    event = event_with_questions
    role, fmt, interp = question_ids(event)
    first = register_members(
        event,
        1,
        answers={f"q_{role}": "Sample analyst", f"q_{fmt}": "Remote", f"q_{interp}": "yes"},
    )[0]
    second = register_members(event, 1, country="FR", answers={f"q_{role}": "Sample lead"})[0]

    response = export(editor_client, event, "csv")
    assert f'filename="registrations-{event.slug}.csv"' in response["Content-Disposition"]
    header, *body = csv_rows(response)
    assert header == [*HEADINGS, "Sample role", "Sample format", "Sample interpretation"]
    assert len(body) == 2
    membership = first.user.membership
    assert body[0][:6] == [
        membership.full_name,
        first.user.email,
        membership.organisation,
        "Singapore",
        "Confirmed",
        body[0][5],
    ]
    assert body[0][5].startswith(first.created_at.strftime("%Y-%m-%d"))
    assert body[0][6:] == ["Sample analyst", "Remote", "yes"]
    assert body[1][3:5] == ["France", "Waitlisted"]
    assert body[1][6:] == ["Sample lead", "", ""]
    assert second.user.email in body[1]


def test_export_follows_the_listing_filters(editor_client, event_with_questions):
    event = event_with_questions
    role = question_ids(event)[0]
    register_members(event, 1, answers={f"q_{role}": "Sample a"})
    waiting = register_members(event, 1, answers={f"q_{role}": "Sample b"})[0]

    header, *body = csv_rows(export(editor_client, event, "csv", status="waitlisted"))
    assert [row[1] for row in body] == [waiting.user.email]


@pytest.mark.parametrize(
    "dangerous",
    [EVIL, "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"],
)
def test_csv_neutralises_formulas_in_answers_and_names(
    editor_client, event_with_questions, dangerous
):
    event = event_with_questions
    role = question_ids(event)[0]
    registration = register_members(event, 1, answers={f"q_{role}": dangerous})[0]
    Membership.objects.filter(user=registration.user).update(full_name=dangerous)

    _header, row = csv_rows(export(editor_client, event, "csv"))
    assert row[0] == "'" + dangerous
    # The registration service strips whitespace around answers; what is left is neutralised.
    assert row[6] == "'" + dangerous.strip()
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_xlsx_neutralises_formulas_and_keeps_text_as_text(editor_client, event_with_questions):
    event = event_with_questions
    role, fmt, _interp = question_ids(event)
    registration = register_members(event, 1, answers={f"q_{role}": EVIL, f"q_{fmt}": "On site"})[0]
    Membership.objects.filter(user=registration.user).update(full_name="@Sample name")

    response = export(editor_client, event, "xlsx")
    assert f"registrations-{event.slug}.xlsx" in response["Content-Disposition"]
    sheet, (header, row) = xlsx_rows(response)
    assert header == [*HEADINGS, "Sample role", "Sample format", "Sample interpretation"]
    assert row[0] == "'@Sample name"
    assert row[6] == "'" + EVIL
    assert row[7] == "On site"
    # No cell is stored as a formula.
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    assert hasattr(row[5], "year")  # registered at stays a real date cell


def test_purged_answers_export_as_blank(editor_client, event_with_questions):
    event = event_with_questions
    role = question_ids(event)[0]
    registration = register_members(event, 1, answers={f"q_{role}": "Sample analyst"})[0]
    type(registration).objects.filter(pk=registration.pk).update(answers={})

    _header, row = csv_rows(export(editor_client, event, "csv"))
    assert row[6:] == ["", "", ""]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow(editor_client, event_with_questions, fmt):
    event = event_with_questions
    role = question_ids(event)[0]
    answers = {f"q_{role}": "Sample"}
    register_members(event, 1, answers=answers)

    def fetch():
        response = export(editor_client, event, fmt)
        b"".join(response.streaming_content)

    assert_queries_constant(fetch, lambda factor: register_members(event, factor, answers=answers))
