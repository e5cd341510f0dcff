"""The demo shows the outbox and a survey: its mails are in the mail log, one survey is answered."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.portal.surveys.models import FollowUpTask, Survey
from tests.notifications.conftest import outbox


def test_the_demo_sends_its_mails_and_answers_a_survey(app, mail_log):
    app.config["RQ_ASYNC"] = True  # like the command line: no worker runs the jobs

    result = app.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    rows = outbox()
    assert rows and {row.status for row in rows} == {"sent"}
    assert len(mail_log()) == len(rows)
    answered = db.session.scalar(select(Survey).where(Survey.answered_at.is_not(None)))
    assert (answered.csat, answered.satisfaction_index) == (3, 0.75)
    assert db.session.scalar(select(FollowUpTask.reason)) == "C = 0.75 (expected 4, got 3)"
