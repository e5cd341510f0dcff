"""Survey answers from another desk's history: `flask --app wsgi surveys import FILE.jsonl`, one answer a
line, idempotent on the ticket's reference, bad lines reported by number and leaving nothing behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.portal.surveys import services as surveys
from app.portal.surveys.models import FollowUpTask, Survey
from app.tickets import services as tickets
from tests.factories import AgentFactory


@pytest.fixture
def cases(app):
    """Two tickets of this desk, as the ticket history import left them (with their references)."""
    ann = AgentFactory(name="Ann", email="ann@desk.example")
    opened = datetime(2024, 3, 1, 9, tzinfo=UTC)
    first = tickets.open_ticket(
        subject="Invoice is wrong",
        customer={"name": "Rosa", "email": "rosa@example.com"},
        reference="ZD-1",
        at=opened,
        assignee_id=ann.id,
        actor=None,
        announce=False,
    )
    second = tickets.open_ticket(
        subject="Parcel late",
        customer={"name": "Li", "email": "li@example.com"},
        reference="ZD-2",
        at=opened,
        actor=None,
        announce=False,
    )
    return {"ann": ann, "first": first, "second": second}


def answer(reference="ZD-1", **fields) -> dict:
    return {
        "reference": reference,
        "answered_at": "2024-03-05T10:00:00Z",
        "csat": 4,
        "ces": 6,
        "nps": 9,
        "expected": 4,
        "received": 5,
        "comment": "Quick and kind.",
        **fields,
    }


def jsonl(*lines) -> list[str]:
    return [line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines]


def surveys_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Survey))


def test_an_answer_lands_on_its_ticket_with_its_scores_and_time(cases):
    report = surveys.import_survey_answers(jsonl(answer()))

    assert (report.created, report.unchanged, report.failed) == (1, 0, 0)
    survey = db.session.scalar(select(Survey))
    assert (survey.ticket_id, survey.customer_id, survey.agent_id) == (
        cases["first"].id,
        cases["first"].customer_id,
        cases["ann"].id,
    )
    assert survey.answered_at == datetime(2024, 3, 5, 10, tzinfo=UTC)
    assert (survey.csat, survey.ces, survey.nps, survey.expected, survey.experienced) == (4, 6, 9, 4, 5)
    assert survey.satisfaction_index == 1.25
    assert survey.comment == "Quick and kind."


def test_only_csat_is_required(cases):
    report = surveys.import_survey_answers(
        jsonl({"reference": "ZD-2", "answered_at": "2024-03-05T10:00:00", "csat": 2, "nps": None})
    )

    assert report.created == 1, report.errors
    survey = db.session.scalar(select(Survey))
    assert (survey.csat, survey.nps, survey.expected, survey.experienced, survey.comment) == (
        2,
        None,
        None,
        None,
        "",
    )
    assert survey.answered_at == datetime(2024, 3, 5, 10, tzinfo=UTC)  # no offset: UTC


def test_importing_again_changes_nothing_and_a_ticket_keeps_one_answer(cases):
    surveys.import_survey_answers(jsonl(answer()))

    again = surveys.import_survey_answers(jsonl(answer(csat=1), answer(csat=2)))

    assert (again.created, again.unchanged, again.failed) == (0, 2, 0)
    assert surveys_count() == 1 and db.session.scalar(select(Survey.csat)) == 4


def test_a_second_answer_for_one_ticket_in_one_file_is_unchanged(cases):
    report = surveys.import_survey_answers(jsonl(answer(csat=5), answer(csat=1)))

    assert (report.created, report.unchanged) == (1, 1)
    assert db.session.scalar(select(Survey.csat)) == 5


def test_a_poor_answer_from_history_starts_no_follow_up(cases):
    report = surveys.import_survey_answers(jsonl(answer(csat=1, expected=5, received=1)))

    assert report.created == 1
    assert db.session.scalar(select(func.count()).select_from(FollowUpTask)) == 0


def test_an_unanswered_survey_of_the_ticket_takes_the_answer(cases):
    db.session.add(
        Survey(ticket_id=cases["second"].id, customer_id=cases["second"].customer_id, token_hash="x" * 64)
    )
    db.session.commit()

    report = surveys.import_survey_answers(jsonl(answer("ZD-2")))

    assert report.created == 1
    survey = db.session.scalar(select(Survey))
    assert (survey.csat, survey.token_hash) == (4, None)


@pytest.mark.parametrize(
    ("line", "errors"),
    [
        (
            "{not json",
            {"line": ["Not valid JSON: Expecting property name enclosed in double quotes (column 2)."]},
        ),
        ("[1, 2]", {"line": ["Must be a JSON object (one answer per line)."]}),
        (answer("ZD-404"), {"reference": ["No ticket with the reference ZD-404."]}),
        (answer(csat=6), {"csat": ["Must be greater than or equal to 1 and less than or equal to 5."]}),
        (
            answer(ces=0, nps=11),
            {
                "ces": ["Must be greater than or equal to 1 and less than or equal to 7."],
                "nps": ["Must be greater than or equal to 0 and less than or equal to 10."],
            },
        ),
        (answer(received="5"), {"received": ["Not a valid integer."]}),
        ({k: v for k, v in answer().items() if k != "csat"}, {"csat": ["Missing data for required field."]}),
        (answer(experienced=5), {"experienced": ["Unknown field."]}),
        (
            answer(answered_at="2999-01-01T00:00:00Z"),
            {"answered_at": ["Lies in the future: a history holds only what has already happened."]},
        ),
        (answer(answered_at="2024-02-01T00:00:00Z"), {"answered_at": ["Before the ticket was opened."]}),
        (answer(comment="a\u0000b"), {"comment": ["Must not contain NUL characters."]}),
    ],
)
def test_a_bad_line_is_reported_by_number_and_leaves_nothing(cases, line, errors):
    report = surveys.import_survey_answers(jsonl(answer("ZD-2"), "", line))

    assert (report.created, report.failed) == (1, 1)
    assert report.errors[0]["line"] == 3  # the blank line counts
    assert report.errors[0]["errors"] == errors
    assert surveys_count() == 1


def test_progress_is_reported_line_by_line(cases):
    seen = []

    surveys.import_survey_answers(
        jsonl(answer(), answer("ZD-2")), on_progress=lambda *a: seen.append(a), total=2
    )

    assert seen == [(1, 2), (2, 2)]


def test_the_command_imports_a_file_and_fails_when_a_line_failed(app, cases, tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(jsonl(answer(), answer("ZD-404"))) + "\n", encoding="utf-8-sig")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["surveys", "import", str(path)])
    second = runner.invoke(args=["surveys", "import", str(path)])

    assert first.exit_code == 1
    assert "2 lines: 1 created, 0 unchanged, 1 failed." in first.output
    assert "line 2 (ZD-404): reference: No ticket with the reference ZD-404." in first.output
    assert "Importing survey answers" in first.output
    assert "2 lines: 0 created, 1 unchanged, 1 failed." in second.output


def test_the_command_exits_0_when_every_line_landed(app, cases, tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(jsonl(answer(), answer("ZD-2"))), encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["surveys", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "2 lines: 2 created, 0 unchanged, 0 failed." in result.output


def test_the_command_refuses_a_file_that_is_not_utf8(app, tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_bytes(b'{"comment": "J\xe9r\xf4me"}\n')

    result = app.test_cli_runner().invoke(args=["surveys", "import", str(path)])

    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output
