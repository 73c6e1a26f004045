"""CSV and XLSX export of an event's registrations: columns, local times with the zone,
waitlist positions, answers under their questions' labels, formula neutralising."""

import csv
import datetime as dt
import io
import zoneinfo

from django.urls import reverse

import openpyxl
import pytest

from community.models import Membership
from events import services
from events.models import Registration
from tests.events.test_admin import register_members
from tests.queries import assert_queries_constant

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","Sample click")'
HEADINGS = [
    "Name",
    "Email",
    "Organisation",
    "Country",
    "Status",
    "Attends",
    "Waitlist position",
    "Registered at",
    "Confirmed at",
    "Cancelled at",
    "Time zone",
]
FIRST_ANSWER = len(HEADINGS)
QUESTIONS = ["Sample role", "Sample format", "Sample interpretation"]


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


def as_dict(header, row):
    return dict(zip(header, row, strict=True))


def set_times(registration, **values):
    Registration.objects.filter(pk=registration.pk).update(**values)


def test_csv_has_one_column_per_question_and_the_answers(editor_client, event_with_questions):
    event = event_with_questions
    role, fmt, interp = question_ids(event)
    first = register_members(
        event,
        1,
        answers={f"q_{role}": "Sample analyst", f"q_{fmt}": "Remote", f"q_{interp}": "yes"},
    )[0]
    second = register_members(
        event, 1, country="FR", answers={f"q_{role}": "Sample lead", f"q_{interp}": "no"}
    )[0]

    response = export(editor_client, event, "csv")
    assert f'filename="registrations-{event.slug}.csv"' in response["Content-Disposition"]
    header, *body = csv_rows(response)
    assert header == [*HEADINGS, *QUESTIONS]
    assert len(body) == 2
    membership = first.user.membership
    row = as_dict(header, body[0])
    assert [row[h] for h in ("Name", "Email", "Organisation", "Country", "Status")] == [
        membership.full_name,
        first.user.email,
        membership.organisation,
        "Singapore",
        "Confirmed",
    ]
    # Answers under their question's label; yes/no as words, not stored codes.
    assert body[0][FIRST_ANSWER:] == ["Sample analyst", "Remote", "Yes"]
    other = as_dict(header, body[1])
    assert [other["Country"], other["Status"], other["Email"]] == [
        "France",
        "Waitlisted",
        second.user.email,
    ]
    assert body[1][FIRST_ANSWER:] == ["Sample lead", "", "No"]


def test_times_are_local_iso_8601_in_the_event_zone(editor_client, make_event):
    # Paris is UTC+1 in December and UTC+2 in July: the offset follows each instant.
    event = make_event(capacity=1, time_zone="Europe/Paris")
    confirmed, waiting = register_members(event, 2)
    set_times(
        confirmed,
        created_at=dt.datetime(2026, 12, 11, 8, 0, 5, 123456, tzinfo=dt.UTC),
        confirmed_at=dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC),
    )
    set_times(waiting, created_at=dt.datetime(2026, 12, 11, 9, 0, tzinfo=dt.UTC))

    header, first, second = csv_rows(export(editor_client, event, "csv"))
    first, second = as_dict(header, first), as_dict(header, second)
    assert first["Registered at"] == "2026-12-11T09:00:05+01:00"
    assert first["Confirmed at"] == "2026-07-02T00:30:00+02:00"
    assert first["Cancelled at"] == ""
    assert first["Time zone"] == "Europe/Paris"
    assert second["Registered at"] == "2026-12-11T10:00:00+01:00"
    assert second["Confirmed at"] == ""
    # Parsed back, each is the instant stored.
    parsed = dt.datetime.fromisoformat(first["Registered at"])
    assert parsed == dt.datetime(2026, 12, 11, 8, 0, 5, tzinfo=dt.UTC)


def test_times_follow_the_event_zone_not_the_server_or_the_editor(
    editor_client, make_event, settings
):
    settings.TIME_ZONE = "America/New_York"
    event = make_event(time_zone="Asia/Singapore")
    registration = register_members(event, 1)[0]
    set_times(registration, created_at=dt.datetime(2026, 12, 11, 20, 0, tzinfo=dt.UTC))
    header, row = csv_rows(export(editor_client, event, "csv"))
    row = as_dict(header, row)
    assert row["Registered at"] == "2026-12-12T04:00:00+08:00"
    assert row["Time zone"] == "Asia/Singapore"


def test_cancelled_at_is_exported(editor_client, make_event):
    event = make_event()
    registration = register_members(event, 1)[0]
    services.registration_cancel(registration, by=registration.user)
    cancelled_at = Registration.objects.get(pk=registration.pk).cancelled_at
    header, row = csv_rows(export(editor_client, event, "csv"))
    row = as_dict(header, row)
    assert row["Status"] == "Cancelled"
    expected = cancelled_at.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert row["Cancelled at"] == expected.isoformat(timespec="seconds")


def test_waitlist_position_is_the_place_in_the_whole_queue(editor_client, make_event):
    event = make_event(capacity=1)
    confirmed, first, second = register_members(event, 3)
    third = register_members(event, 1, country="FR")[0]
    services.registration_cancel(first, by=first.user)  # no longer waiting: the others move up

    header, *rows = csv_rows(export(editor_client, event, "csv"))
    positions = {as_dict(header, r)["Email"]: as_dict(header, r)["Waitlist position"] for r in rows}
    assert positions == {
        confirmed.user.email: "",
        first.user.email: "",
        second.user.email: "1",
        third.user.email: "2",
    }
    # Filtered down to one person, the position is still their place in the whole queue.
    header, row = csv_rows(export(editor_client, event, "csv", country="FR"))
    assert as_dict(header, row)["Waitlist position"] == "2"

    _sheet, (xheader, *xrows) = xlsx_rows(export(editor_client, event, "xlsx"))
    assert [as_dict(xheader, r)["Waitlist position"] for r in xrows] == [None, None, 1, 2]


def test_answers_to_a_removed_question_keep_their_column(editor_client, event_with_questions):
    event = event_with_questions
    role = question_ids(event)[0]
    registration = register_members(event, 1, answers={f"q_{role}": "Sample analyst"})[0]
    # Answers are keyed by the question's block id; an id the event no longer has is a
    # question the editor deleted after people answered it.
    answers = dict(Registration.objects.get(pk=registration.pk).answers)
    answers["0f0e0d0c-removed"] = {"question": "Sample diet", "answer": "=Vegetarian"}
    Registration.objects.filter(pk=registration.pk).update(answers=answers)

    header, row = csv_rows(export(editor_client, event, "csv"))
    assert header[FIRST_ANSWER:] == [*QUESTIONS, "Sample diet (question removed)"]
    assert row[FIRST_ANSWER:] == ["Sample analyst", "", "", "'=Vegetarian"]
    # The listing itself is not affected by the extra column.
    listing = editor_client.get(reverse("events_admin:registrations", args=[event.pk]))
    assert listing.status_code == 200


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
    assert row[FIRST_ANSWER] == "'" + dangerous.strip()
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_question_labels_are_neutralised_in_the_header(editor_client, make_event):
    event = make_event(
        questions=[("text", {"label": "=SUM(A1:A9)", "help_text": "", "required": False})]
    )
    register_members(event, 1)
    for fmt, rows in (("csv", csv_rows), ("xlsx", lambda r: xlsx_rows(r)[1])):
        header = rows(export(editor_client, event, fmt))[0]
        assert header[FIRST_ANSWER] == "'=SUM(A1:A9)", fmt


def test_xlsx_neutralises_formulas_and_keeps_text_as_text(editor_client, event_with_questions):
    event = event_with_questions
    role, fmt, _interp = question_ids(event)
    registration = register_members(event, 1, answers={f"q_{role}": EVIL, f"q_{fmt}": "On site"})[0]
    Membership.objects.filter(user=registration.user).update(full_name="@Sample name")

    response = export(editor_client, event, "xlsx")
    assert f"registrations-{event.slug}.xlsx" in response["Content-Disposition"]
    sheet, (header, row) = xlsx_rows(response)
    assert header == [*HEADINGS, *QUESTIONS]
    assert row[0] == "'@Sample name"
    assert row[FIRST_ANSWER] == "'" + EVIL
    assert row[FIRST_ANSWER + 1] == "On site"
    # No cell is stored as a formula.
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)


def test_xlsx_times_are_date_cells_in_the_event_wall_clock(editor_client, make_event):
    event = make_event(time_zone="Asia/Singapore")
    registration = register_members(event, 1)[0]
    set_times(registration, created_at=dt.datetime(2026, 12, 11, 20, 0, 7, 999, tzinfo=dt.UTC))

    sheet, (header, row) = xlsx_rows(export(editor_client, event, "xlsx"))
    row = as_dict(header, row)
    # A spreadsheet cell holds no offset: the event's wall-clock time, with the zone beside it.
    assert row["Registered at"] == dt.datetime(2026, 12, 12, 4, 0, 7)
    assert row["Time zone"] == "Asia/Singapore"
    cell = sheet.cell(row=2, column=header.index("Registered at") + 1)
    assert cell.is_date
    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"


def test_purged_answers_export_as_blank(editor_client, event_with_questions):
    event = event_with_questions
    role = question_ids(event)[0]
    registration = register_members(event, 1, answers={f"q_{role}": "Sample analyst"})[0]
    type(registration).objects.filter(pk=registration.pk).update(answers={})

    _header, row = csv_rows(export(editor_client, event, "csv"))
    assert row[FIRST_ANSWER:] == ["", "", ""]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow(editor_client, event_with_questions, fmt):
    event = event_with_questions
    role = question_ids(event)[0]
    answers = {f"q_{role}": "Sample"}
    register_members(event, 1, answers=answers)

    def fetch():
        response = export(editor_client, event, fmt)
        b"".join(response.streaming_content)

    def grow(factor):
        register_members(event, factor, answers=answers)

    assert_queries_constant(fetch, grow)
