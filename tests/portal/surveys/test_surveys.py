"""The satisfaction survey: one per solved ticket, answered once through its latest link, scores checked
against their scales, and follow-up tasks for poor answers."""

from __future__ import annotations

import json
import re

import pytest

from app.customers import services as customers
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.portal import links
from app.portal.surveys import services as surveys
from app.portal.surveys.models import FollowUpTask, Survey
from app.tickets import services
from tests.customer_factories import CustomerFactory
from tests.factories import PASSWORD, AgentFactory, TeamFactory
from tests.helpers import csrf_token_from, sign_in

GOOD = {
    "csat": "5",
    "ces": "6",
    "nps": "9",
    "expected": "4",
    "experienced": "5",
    "comment": "Quick and kind.",
}


@pytest.fixture
def solved(app, agent):
    """A ticket `agent` solved, and a fresh link to its survey."""
    customer = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])
    ticket = services.open_ticket(
        subject="Lamp arrived broken",
        channel="web",
        customer_id=customer.id,
        assignee_id=agent.id,
        actor=agent,
    )
    services.add_comment(ticket.id, body="A new lamp is on its way.", status="solved", actor=agent)
    return ticket, _new_link(ticket.id)


def _new_link(ticket_id: int) -> str:
    token = links.issue_survey_token(surveys.get_survey(ticket_id))
    db.session.commit()
    return token


def _stored(ticket_id: int) -> Survey:
    db.session.expire_all()
    return surveys.get_survey(ticket_id)


def _tasks() -> list[FollowUpTask]:
    db.session.expire_all()
    return db.session.query(FollowUpTask).all()


def test_solving_a_ticket_creates_its_survey_for_the_assignee(solved, agent):
    ticket, _token = solved

    survey = _stored(ticket.id)
    assert (survey.customer_id, survey.agent_id) == (ticket.customer_id, agent.id)
    assert survey.sent_at is not None and survey.answered_at is None
    assert len(survey.token_hash) == 64


def test_answers_are_stored_with_the_ticket_customer_and_agent(solved, agent):
    ticket, token = solved

    surveys.answer_survey(token, GOOD)

    survey = _stored(ticket.id)
    assert (survey.csat, survey.ces, survey.nps, survey.expected, survey.experienced) == (5, 6, 9, 4, 5)
    assert survey.comment == "Quick and kind."
    assert survey.satisfaction_index == 1.25
    assert survey.answered_at is not None and survey.agent_id == agent.id
    assert _tasks() == []


def test_a_survey_is_answered_once(solved):
    ticket, token = solved
    surveys.answer_survey(token, GOOD)

    with pytest.raises(Conflict):
        surveys.answer_survey(token, {**GOOD, "csat": "1"})

    assert _stored(ticket.id).csat == 5
    assert _tasks() == []


def test_of_two_racing_submissions_only_one_is_stored(app, solved):
    ticket, token = solved
    # This session read the survey while it was unanswered...
    assert surveys.survey_for_token(token).answered_at is None
    # ...then another request answered it first.
    with app.app_context():
        surveys.answer_survey(token, GOOD)

    with pytest.raises(Conflict):
        surveys.answer_survey(token, {"csat": "1"})

    assert _stored(ticket.id).csat == 5
    assert _tasks() == []


def test_only_the_latest_link_works(solved):
    ticket, old = solved
    new = _new_link(ticket.id)

    with pytest.raises(NotFound):
        surveys.answer_survey(old, GOOD)
    surveys.answer_survey(new, GOOD)


def test_the_link_of_a_customer_deleted_since_opens_nothing(solved, supervisor):
    ticket, link = solved
    customers.delete_customer(ticket.customer_id, actor=supervisor)

    with pytest.raises(NotFound):
        surveys.answer_survey(link, GOOD)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("csat", "0"),
        ("csat", "6"),
        ("csat", ""),
        ("ces", "8"),
        ("ces", "0"),
        ("nps", "11"),
        ("nps", "-1"),
        ("expected", "0"),
        ("experienced", "6"),
        ("csat", "4.5"),
        ("nps", "ten"),
    ],
)
def test_scores_outside_their_scale_are_refused_and_nothing_is_written(solved, field, value):
    ticket, token = solved

    with pytest.raises(Invalid) as refused:
        surveys.answer_survey(token, {**GOOD, field: value})

    assert list(refused.value.errors) == [field]
    survey = _stored(ticket.id)
    assert survey.answered_at is None and survey.csat is None and survey.comment == ""
    assert _tasks() == []


def test_the_edges_of_every_scale_are_accepted(solved):
    ticket, token = solved

    surveys.answer_survey(token, {"csat": 1, "ces": 7, "nps": 0, "expected": 1, "experienced": 5})

    survey = _stored(ticket.id)
    assert (survey.csat, survey.ces, survey.nps) == (1, 7, 0)


def test_only_csat_is_required(solved):
    ticket, token = solved

    surveys.answer_survey(token, {"csat": "4"})

    survey = _stored(ticket.id)
    assert (survey.csat, survey.ces, survey.satisfaction_index) == (4, None, None)


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"csat": "1"}, "CSAT 1 of 5"),
        ({"csat": "2", "expected": "3", "experienced": "3"}, "CSAT 2 of 5"),
        ({"csat": "4", "expected": "5", "experienced": "4"}, "C = 0.80 (expected 5, got 4)"),
        ({"csat": "2", "expected": "4", "experienced": "2"}, "CSAT 2 of 5; C = 0.50 (expected 4, got 2)"),
    ],
)
def test_a_poor_answer_opens_a_follow_up_task_for_the_agents_supervisor(solved, agent, answers, reason):
    ticket, token = solved
    lead = AgentFactory(role="supervisor", name="Lena Lead")
    AgentFactory(role="supervisor", name="Other Team Lead")
    TeamFactory(members=[agent, lead])

    survey = surveys.answer_survey(token, answers)

    [task] = _tasks()
    assert (task.ticket_id, task.survey_id, task.assignee_id) == (ticket.id, survey.id, lead.id)
    assert (task.reason, task.status) == (reason, "open")


@pytest.mark.parametrize(
    "answers",
    [
        {"csat": "3"},
        {"csat": "3", "expected": "4", "experienced": "4"},
        {"csat": "5", "expected": "2", "experienced": "5"},
    ],
)
def test_a_fair_answer_opens_no_task(solved, answers):
    _ticket, token = solved

    surveys.answer_survey(token, answers)

    assert _tasks() == []


def test_a_reopened_and_solved_again_ticket_keeps_one_survey(solved, agent):
    ticket, token = solved
    surveys.answer_survey(token, GOOD)
    services.add_customer_message(ticket.id, body="It broke again")
    services.add_comment(ticket.id, body="Another one is coming.", status="solved", actor=agent)

    assert db.session.query(Survey).filter_by(ticket_id=ticket.id).count() == 1
    assert links.survey_link(ticket.id) is None


def test_a_supervisor_marks_a_follow_up_done(solved, supervisor):
    _ticket, token = solved
    surveys.answer_survey(token, {"csat": "1"})
    [task] = _tasks()

    surveys.complete_follow_up(task.id, actor=supervisor)
    surveys.complete_follow_up(task.id, actor=supervisor)

    [task] = _tasks()
    assert (task.status, task.done_by_id) == ("done", supervisor.id)
    assert task.done_at is not None


def test_answers_appear_on_the_customer_timeline(solved, as_agent):
    ticket, token = solved
    surveys.answer_survey(token, {**GOOD, "csat": "2"})

    items = as_agent.get(f"/api/v1/customers/{ticket.customer_id}/timeline").json["items"]

    [entry] = [item for item in items if item["kind"] == "survey_answered"]
    assert entry["ref"] == {"type": "ticket", "id": ticket.id}
    assert entry["title"] == f"Survey answered on {ticket.reference}: CSAT 2 of 5"
    assert entry["data"]["satisfaction_index"] == 1.25


def test_the_api_shows_the_survey_and_its_follow_up(solved, as_agent):
    ticket, token = solved
    assert as_agent.get(f"/api/v1/tickets/{ticket.id}/survey").json["answered_at"] is None
    surveys.answer_survey(token, {"csat": "5", "expected": "5", "experienced": "3"})

    body = as_agent.get(f"/api/v1/tickets/{ticket.id}/survey").json

    assert (body["csat"], body["satisfaction_index"]) == (5, 0.6)
    assert body["follow_up"]["reason"] == "C = 0.60 (expected 5, got 3)"
    other = services.open_ticket(subject="x", customer_id=ticket.customer_id, actor=None)
    assert as_agent.get(f"/api/v1/tickets/{other.id}/survey").status_code == 404


# -- the pages --------------------------------------------------------------------------------------


def test_the_link_in_the_solve_mail_opens_the_survey(app, client, agent, tmp_path):
    app.config["MAIL_LOG"] = str(tmp_path / "mail.log")
    customer = CustomerFactory(emails=["wang@example.com"], preferred_language="zh")
    ticket = services.open_ticket(
        subject="发票", channel="email", customer_id=customer.id, assignee_id=agent.id, actor=agent
    )
    services.add_comment(ticket.id, body="已处理", status="solved", actor=agent)
    solve_mail = json.loads((tmp_path / "mail.log").read_text().splitlines()[-1])
    link = re.search(r"http://localhost:5000(/survey/\S+)", solve_mail["text"])

    page = client.get(link.group(1))

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="zh-Hans"' in html
    assert ticket.reference in html


def _post(client, token, answers):
    page = client.get(f"/survey/{token}")
    data = {**answers, "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    return client.post(f"/survey/{token}", data=data)


def test_answering_on_the_page_thanks_the_customer(solved, client):
    ticket, token = solved

    response = _post(client, token, GOOD)

    assert response.status_code == 303
    thanks = client.get(f"/survey/{token}")
    assert "Thank you for your answers" in thanks.get_data(as_text=True)
    assert _stored(ticket.id).csat == 5
    assert thanks.headers["Referrer-Policy"] == "no-referrer"


def test_a_second_submission_on_the_page_changes_nothing(solved, client):
    ticket, token = solved
    form = client.get(f"/survey/{token}").get_data(as_text=True)
    client.post(f"/survey/{token}", data={**GOOD, "csrf_token": csrf_token_from(form)})

    again = client.post(f"/survey/{token}", data={**GOOD, "csat": "1", "csrf_token": csrf_token_from(form)})

    assert again.status_code == 409
    assert _stored(ticket.id).csat == 5
    assert _tasks() == []


def test_a_bad_answer_on_the_page_is_a_422_with_the_errors_announced(solved, client):
    ticket, token = solved

    response = _post(client, token, {**GOOD, "csat": "", "ces": "9"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html[html.index('role="alert"') :]
    assert "Please choose a rating." in summary and "Not a valid choice" in summary
    assert 'value="Quick and kind."' in html or "Quick and kind." in html
    assert _stored(ticket.id).answered_at is None


def test_the_page_groups_each_scale_under_a_legend(solved, client):
    _ticket, token = solved

    html = client.get(f"/survey/{token}").get_data(as_text=True)

    assert html.count("<fieldset") == 5 and html.count("<legend>") == 5
    assert 'for="nps-0"' in html and 'for="nps-10"' in html
    assert '<label for="comment">' in html


def test_an_unknown_link_is_a_404(client):
    response = client.get("/survey/not-a-real-token")

    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_the_form_expectation_prefills_a(app, client, agent):
    from app.portal import services as portal

    key = portal.new_idempotency_key()
    ticket, _token = portal.submit_web_form(
        name="Olivia Bennett",
        email="olivia@example.com",
        phone=None,
        description="The lamp arrived broken.",
        type="complaint",
        category="product_quality",
        expected_satisfaction=2,
        idempotency_key=key,
    )
    services.update_ticket(
        ticket.id,
        {"assignee_id": agent.id, "complaint": {"root_cause": "Packing", "remedy": "New lamp"}},
        expected_version=ticket.version,
        actor=agent,
    )
    services.add_comment(ticket.id, body="Sent a new lamp.", status="solved", actor=agent)

    html = client.get(f"/survey/{_new_link(ticket.id)}").get_data(as_text=True)

    assert re.search(r'id="expected-1"[^>]*checked|checked[^>]*id="expected-1"', html)


def test_supervisors_see_follow_up_tasks_and_mark_them_done(solved, client, supervisor):
    ticket, token = solved
    surveys.answer_survey(token, {"csat": "1", "comment": "Nobody called back"})
    sign_in(client, supervisor.email, PASSWORD)

    page = client.get("/tasks").get_data(as_text=True)
    assert ticket.reference in page and "CSAT 1 of 5" in page and "Nobody called back" in page
    [task] = _tasks()
    done = client.post(f"/tasks/{task.id}/done", data={"csrf_token": csrf_token_from(page)})

    assert done.status_code == 303
    assert _tasks()[0].status == "done"


def test_agents_may_not_see_follow_up_tasks_or_the_mail_log(client, agent):
    sign_in(client, agent.email, PASSWORD)

    assert client.get("/tasks").status_code == 403
    assert client.get("/admin/mail").status_code == 403


def test_the_ticket_page_shows_the_answer(solved, client, agent):
    ticket, token = solved
    surveys.answer_survey(token, {"csat": "2", "expected": "4", "experienced": "3", "comment": "Slow"})
    sign_in(client, agent.email, PASSWORD)

    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)

    section = html[html.index('id="survey"') :]
    assert 'id="survey-csat">2 / 5' in section
    assert "0.75" in section and "dissatisfied" in section
    assert "Slow" in section and "CSAT 2 of 5" in section
