"""Satisfaction surveys: one per solved ticket, answered once through a link, and the follow-up task a
poor answer gives the agent's supervisor.

The link's token is minted when the solve mail is delivered; only its SHA-256 is stored, and minting
again replaces it, so only the latest link works. Scores (docs: KPI.md): CSAT 1-5, CES 1-7 ("how
easy"), NPS 0-10, expectation `a` and experience `b` 1-5 for C = b / a. CSAT of 1-2 or C < 1 opens a
follow-up task (the seed of complaint recovery).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from marshmallow import ValidationError
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from app.customers.models import Customer
from app.dbtypes import utcnow
from app.errors import Conflict, Invalid, NotFound, in_english
from app.extensions import db
from app.imports import ImportReport
from app.notifications import services as notifications
from app.portal.links import token_hash
from app.portal.models import WebSubmission
from app.portal.surveys.models import COMMENT_MAX, SCALES, FollowUpStatus, FollowUpTask, Survey
from app.portal.surveys.schemas import SurveyAnswerLineSchema
from app.tickets import services as tickets
from app.tickets.models import Ticket
from app.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent

POOR_CSAT = 2


# -- sending ----------------------------------------------------------------------------------------


def on_solved(ticket: Ticket, *, actor_kind: str | None = None, at: datetime | None = None) -> None:
    """The ticket became solved: make sure it has a survey and write the solve mail (not committed).

    Solved again after a reopen, an unanswered survey is about the new solver's work; an answered one
    stays as it is, and the mail then carries no survey link.
    """
    if not notifications.is_live(at, actor_kind):
        return
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
    if survey is None:
        survey = Survey(
            ticket_id=ticket.id,
            customer_id=ticket.customer_id,
            agent_id=ticket.assignee_id,
            created_at=utcnow(),
            comment="",
        )
        db.session.add(survey)
    elif survey.answered_at is None:
        survey.agent_id = ticket.assignee_id
    notifications.notify("ticket_solved", ticket=ticket)


# -- answering --------------------------------------------------------------------------------------


def survey_for_token(token: str) -> Survey:
    """The survey a link opens, or 404 (an unknown, replaced or malformed token, or a customer who was
    deleted since: their answers would have nobody to belong to)."""
    survey = None
    if token and len(token) <= 200:
        survey = db.session.scalar(
            select(Survey)
            .join(Customer, Customer.id == Survey.customer_id)
            .where(Survey.token_hash == token_hash(token), Customer.deleted_at.is_(None))
        )
    if survey is None:
        raise NotFound(_l("This survey link is not valid. It may have been replaced by a newer one."))
    return survey


def clean_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers checked against their scales; a 422 names every field at fault. CSAT is required,
    the other scores may be skipped."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, (low, high) in SCALES.items():
        value = answers.get(name)
        if value is None or value == "":
            if name == "csat":
                errors[name] = [_l("Please choose a rating.")]
            cleaned[name] = None
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if (
            number is None
            or isinstance(value, bool)
            or str(number) != str(value).strip()
            or not (low <= number <= high)
        ):
            errors[name] = [_l("Choose a whole number from %(low)s to %(high)s.", low=low, high=high)]
            continue
        cleaned[name] = number
    comment = (answers.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_l("At most %(max)s characters.", max=COMMENT_MAX)]
    cleaned["comment"] = comment
    if errors:
        raise Invalid(_l("Some answers are not valid; nothing was saved."), errors)
    return cleaned


@unit_of_work
def answer_survey(token: str, answers: Mapping[str, Any]) -> Survey:
    """Store the customer's answers (once: a second submission is a 409) and, for a poor answer, a
    follow-up task for the agent's supervisor; one commit."""
    survey = survey_for_token(token)
    if survey.answered_at is not None:
        raise Conflict(_l("This survey was already answered. Thank you!"))
    values = clean_answers(answers)
    at = utcnow()
    # The conditional UPDATE is the arbiter: of two submissions racing, one finds it already answered.
    won = db.session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(**values, answered_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise Conflict(_l("This survey was already answered. Thank you!"))
    db.session.expire(survey)
    db.session.refresh(survey)
    reason = follow_up_reason(survey)
    if reason is not None:
        supervisors = notifications.supervisors_of(survey.agent_id)
        db.session.add(
            FollowUpTask(
                ticket_id=survey.ticket_id,
                survey_id=survey.id,
                assignee_id=supervisors[0].id if supervisors else None,
                reason=reason,
                status=FollowUpStatus.OPEN,
                created_at=at,
            )
        )
    db.session.commit()
    return survey


def follow_up_reasons(survey: Survey) -> list[LazyString]:
    """Why this answer needs a call back (CSAT 1-2, or C = b/a below 1), in the reader's language when
    shown; empty when it needs none."""
    reasons = []
    if survey.csat is not None and survey.csat <= POOR_CSAT:
        reasons.append(_l("CSAT %(csat)s of 5", csat=survey.csat))
    index = survey.satisfaction_index
    if index is not None and index < 1:
        reasons.append(
            _l(
                "C = %(index)s (expected %(expected)s, got %(received)s)",
                index=f"{index:.2f}",
                expected=survey.expected,
                received=survey.experienced,
            )
        )
    return reasons


def follow_up_reason(survey: Survey) -> str | None:
    """The reasons as the task records them (in English, as the API sends them), or None."""
    return "; ".join(in_english(follow_up_reasons(survey))) or None


def expected_satisfaction(ticket_id: int) -> int | None:
    """What the customer said on the web form they expected (1-5), to prefill `a`, if they did."""
    return db.session.scalar(
        select(WebSubmission.expected_satisfaction).where(WebSubmission.ticket_id == ticket_id)
    )


# -- reading ----------------------------------------------------------------------------------------


def get_survey(ticket_id: int) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))


def list_follow_ups():
    """Follow-up tasks, open ones first, newest first within each (a `select()` for paging)."""
    return select(FollowUpTask).order_by(
        case((FollowUpTask.status == FollowUpStatus.OPEN, 0), else_=1),
        FollowUpTask.created_at.desc(),
        FollowUpTask.id.desc(),
    )


def complete_follow_up(task_id: int, *, actor: Agent) -> FollowUpTask:
    """Mark a follow-up task done (doing it twice changes nothing)."""
    task = db.session.get(FollowUpTask, task_id) if 0 < task_id < 2**31 else None
    if task is None:
        raise NotFound(_l("Follow-up task %(task_id)s not found.", task_id=task_id))
    if task.status == FollowUpStatus.DONE:
        return task
    task.status = FollowUpStatus.DONE
    task.done_at = utcnow()
    task.done_by_id = actor.id
    db.session.commit()
    return task


def timeline_entries(
    customer_ids: list[int], *, before: datetime | None, limit: int, viewer: Agent | None
) -> list[dict[str, Any]]:
    """Answered surveys of the customers about tickets `viewer` may see, newest first, for the 360°
    timeline."""
    query = (
        select(Survey, Ticket.reference)
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(
            Survey.customer_id.in_(customer_ids),
            Survey.answered_at.is_not(None),
            tickets.visible_to(viewer),
        )
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Survey.answered_at < before)
    return [_timeline_entry(survey, reference) for survey, reference in db.session.execute(query)]


def _timeline_entry(survey: Survey, reference: str) -> dict[str, Any]:
    """An answered survey on the timeline: `text` reads in the page's language (the customers room makes
    the API's English `title` of it)."""
    text = _l("Survey answered on %(reference)s: CSAT %(csat)s of 5", reference=reference, csat=survey.csat)
    return {
        "occurred_at": survey.answered_at,
        "kind": "survey_answered",
        "source": "tickets",
        "text": text,
        "data": {
            "reference": reference,
            "csat": survey.csat,
            "ces": survey.ces,
            "nps": survey.nps,
            "expected": survey.expected,
            "experienced": survey.experienced,
            "satisfaction_index": survey.satisfaction_index,
            "comment": survey.comment,
        },
        "ref": {"type": "ticket", "id": survey.ticket_id},
    }


# -- the history of another desk ---------------------------------------------------------------------

# Lines per transaction, as the ticket history commits them.
IMPORT_BATCH_SIZE = 500
_ANSWER_LINE = SurveyAnswerLineSchema()
_RACED = "Conflicts with data written at the same time; import the line again."


@dataclass
class SurveyImportReport(ImportReport):
    """Answers created, unchanged (their ticket has an answer already) and failed, with the first
    failures as `{"line": <n>, "reference": ..., "errors": {field: [...]}}`."""

    whole_file: ClassVar[dict[str, Any]] = {"line": 0, "reference": None}

    @property
    def lines(self) -> int:
        return self.created + self.unchanged + self.failed


def import_survey_answers(
    lines: Iterable[str],
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> SurveyImportReport:
    """Import another desk's survey answers from JSON Lines, one answer a line:
    `{"reference", "answered_at", "csat", "ces", "nps", "expected", "received", "comment"}`, committing
    every `IMPORT_BATCH_SIZE` lines.

    `reference` names a ticket of this desk (an imported one keeps the other desk's reference); a ticket
    holds one answer, so a line whose ticket has one already is `unchanged` and importing a file again
    writes nothing. The answer is about whoever has the ticket now (its assignee), as a live survey is
    about the solver. History starts no follow-up task: nobody calls back about an answer from long
    ago. A bad line (not JSON, a score off its scale, an unknown reference, an answer before its ticket
    was opened) is counted in `failed`, reported by its number and leaves nothing behind.
    `on_progress(done, total)` is called after each non-blank line.
    """
    report = SurveyImportReport()
    done = 0
    batch: list[tuple[int, str]] = []
    for numbered in _numbered(lines):
        batch.append(numbered)
        if len(batch) == IMPORT_BATCH_SIZE:
            done = _import_answers(batch, report, on_progress, done, total)
            batch = []
    if batch:
        _import_answers(batch, report, on_progress, done, total)
    return report


def _import_answers(
    batch: list[tuple[int, str]],
    report: SurveyImportReport,
    on_progress: Callable[[int, int | None], None] | None,
    done: int,
    total: int | None,
) -> int:
    """One batch in one commit; should another writer add a survey to one of its tickets meanwhile,
    the batch is written again a line at a time, and only that line fails."""
    parsed = [(number, *_parse_answer(text)) for number, text in batch]
    tally = SurveyImportReport(report.created, report.unchanged, report.failed, list(report.errors))
    _stage_answers(parsed, tally)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        tally = SurveyImportReport(report.created, report.unchanged, report.failed, list(report.errors))
        for line in parsed:
            _stage_answers([line], tally)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                tally.created -= 1
                tally.add_failure({"line": [_RACED]}, line=line[0], reference=line[1])
    report.created, report.unchanged, report.failed = tally.created, tally.unchanged, tally.failed
    report.errors = tally.errors
    for _line in batch:
        done += 1
        if on_progress is not None:
            on_progress(done, total)
    return done


def _parse_answer(text: str) -> tuple[str | None, dict[str, Any] | None, dict[str, Any] | None]:
    """(reference, answer, None) for a good line, (reference or None, None, errors) for a bad one."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        message = f"Not valid JSON: {error.msg} (column {error.colno})." if hasattr(error, "msg") else None
        return None, None, {"line": [message or "Not valid JSON: nested too deeply."]}
    if not isinstance(data, dict):
        return None, None, {"line": ["Must be a JSON object (one answer per line)."]}
    try:
        answer = _ANSWER_LINE.load(data)
    except ValidationError as error:
        return error.valid_data.get("reference") or None, None, error.messages
    # PostgreSQL cannot store a NUL: say so rather than fail the batch.
    nul = {
        name: ["Must not contain NUL characters."]
        for name in ("reference", "comment")
        if "\x00" in (answer.get(name) or "")
    }
    if nul:
        return None, None, nul
    return answer["reference"], answer, None


def _stage_answers(
    parsed: list[tuple[int, str | None, dict[str, Any] | None, dict[str, Any] | None]],
    report: SurveyImportReport,
) -> None:
    """Add the lines' answers to the session (their tickets and surveys read once for all of them)."""
    references = {reference for _n, reference, answer, _e in parsed if answer is not None}
    found = {}
    if references:
        found = {
            t.reference: t for t in db.session.scalars(select(Ticket).where(Ticket.reference.in_(references)))
        }
    surveys = {}
    if found:
        ticket_ids = [ticket.id for ticket in found.values()]
        surveys = {
            s.ticket_id: s for s in db.session.scalars(select(Survey).where(Survey.ticket_id.in_(ticket_ids)))
        }
    for number, reference, answer, errors in parsed:
        ticket = found.get(reference) if answer is not None else None
        if errors is None and ticket is None:
            errors = {"reference": [f"No ticket with the reference {reference}."]}
        elif errors is None and answer["answered_at"] < ticket.created_at:
            errors = {"answered_at": ["Before the ticket was opened."]}
        if errors is not None:
            report.add_failure(errors, line=number, reference=reference)
            continue
        survey = surveys.get(ticket.id)
        if survey is not None and survey.answered_at is not None:
            report.unchanged += 1
            continue
        if survey is None:
            survey = Survey(
                ticket_id=ticket.id, customer_id=ticket.customer_id, created_at=answer["answered_at"]
            )
            db.session.add(survey)
            surveys[ticket.id] = survey
        survey.agent_id = ticket.assignee_id
        # Answered: a link mailed for it would only say so.
        survey.token_hash = None
        survey.answered_at = answer["answered_at"]
        for name in ("csat", "ces", "nps", "expected"):
            setattr(survey, name, answer.get(name))
        survey.experienced = answer.get("received")
        survey.comment = (answer.get("comment") or "").strip()
        report.created += 1


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers in the file (a BOM on the first is dropped)."""
    for number, text in enumerate(lines, start=1):
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            yield number, text


# -- customers' personal data ------------------------------------------------------------------------


def personal_data(customer_ids: list[int]) -> dict[str, Any]:
    """The customers' surveys and their answers, for their export."""
    rows = db.session.execute(
        select(Survey, Ticket.reference)
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Survey.customer_id.in_(customer_ids))
        .order_by(Survey.created_at, Survey.id)
    )
    return {
        "surveys": [
            {
                "ticket": reference,
                "sent_at": survey.sent_at.isoformat() if survey.sent_at else None,
                "answered_at": survey.answered_at.isoformat() if survey.answered_at else None,
                **{scale: getattr(survey, scale) for scale in SCALES},
                "comment": survey.comment,
            }
            for survey, reference in rows
        ]
    }


def erase_personal_data(customer_ids: list[int]) -> None:
    """In the erasure's transaction: the free-text comments go, the scores (KPIs' inputs) stay, and an
    unanswered survey's link stops working."""
    db.session.execute(
        update(Survey)
        .where(Survey.customer_id.in_(customer_ids))
        .values(comment="", token_hash=None)
        .execution_options(synchronize_session="fetch")
    )
