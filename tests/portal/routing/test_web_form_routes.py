"""Where web form submissions land: supervisors map each complaint category and the support form to a
queue, with a default queue for the rest; a complaint's priority follows its category's severity, and
the SLA policy of its queue and priority runs from the moment the customer sends the form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import SettingChange
from app.extensions import db
from app.portal import services as portal
from app.portal.routing import services as routing
from app.tickets import services as tickets
from app.tickets.models import Ticket
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import csrf_token_from, signed_in
from tests.portal.conftest import COMPLAINT, REQUEST, submit
from tests.ticket_factories import QueueFactory, SlaPolicyFactory

FORMS = ["product_quality", "service_quality", "delivery", "billing", "staff_attitude", "other", "request"]


def put(api, body, **headers):
    return api.client.put(
        "/api/v1/web-form-routes", json=body, headers={"Authorization": f"Bearer {api.token}", **headers}
    )


def routes_of(answer) -> dict:
    return {route["form"]: (route["queue_id"], route["severity"]) for route in answer["routes"]}


@pytest.fixture
def queues(app):
    return {
        "delivery": QueueFactory(name="Deliveries"),
        "complaints": QueueFactory(name="Complaints"),
        "general": QueueFactory(name="General"),
    }


def route(default=None, **forms):
    """Set the map through the service: `forms` as `form=(queue, severity)`."""
    return routing.replace_routing(
        default_queue_id=default.id if default else None,
        routes=[
            {"form": form, "queue_id": queue.id if queue else None, "severity": severity}
            for form, (queue, severity) in forms.items()
        ],
        actor=None,
    )


def newest_ticket() -> Ticket:
    return db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))


# -- the map through the API ---------------------------------------------------------------------------


def test_the_map_lists_every_form_going_nowhere_until_a_supervisor_sets_it(as_agent):
    answer = as_agent.get("/api/v1/web-form-routes")

    assert answer.status_code == 200
    body = answer.get_json()
    assert answer.headers["ETag"] == f'W/"{body["version"]}"'
    assert body["default_queue_id"] is None
    assert routes_of(body) == {
        **{form: (None, "medium") for form in FORMS[:-1]},
        "request": (None, None),
    }


def test_a_supervisor_replaces_the_map_as_one_versioned_change_in_the_settings_trail(
    as_supervisor, supervisor, queues
):
    version = as_supervisor.get("/api/v1/web-form-routes").get_json()["version"]

    answer = put(
        as_supervisor,
        {
            "version": version,
            "default_queue_id": queues["general"].id,
            "routes": [
                {"form": "delivery", "queue_id": queues["delivery"].id, "severity": "high"},
                {"form": "staff_attitude", "queue_id": queues["complaints"].id, "severity": "critical"},
                {"form": "request", "queue_id": queues["general"].id},
            ],
        },
    )

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["version"] == version + 1 and answer.headers["ETag"] == f'W/"{version + 1}"'
    assert body["default_queue_id"] == queues["general"].id
    assert routes_of(body)["delivery"] == (queues["delivery"].id, "high")
    assert routes_of(body)["staff_attitude"] == (queues["complaints"].id, "critical")
    assert routes_of(body)["billing"] == (None, "medium")
    assert routes_of(body)["request"] == (queues["general"].id, None)
    change = db.session.scalar(select(SettingChange))
    assert (change.kind, change.action, change.actor_id) == ("web_form_routes", "updated", supervisor.id)
    assert change.changes == {
        "default_queue_id": [None, queues["general"].id],
        "delivery": [
            {"queue_id": None, "severity": "medium"},
            {"queue_id": queues["delivery"].id, "severity": "high"},
        ],
        "staff_attitude": [
            {"queue_id": None, "severity": "medium"},
            {"queue_id": queues["complaints"].id, "severity": "critical"},
        ],
        "request": [{"queue_id": None}, {"queue_id": queues["general"].id}],
    }
    # The map is replaced whole: a form left out goes back to the default queue.
    again = put(
        as_supervisor, {"version": version + 1, "default_queue_id": queues["general"].id, "routes": []}
    )
    assert routes_of(again.get_json())["delivery"] == (None, "medium")


def test_the_same_map_again_is_no_change(as_supervisor, queues):
    body = {"version": 1, "default_queue_id": queues["general"].id, "routes": []}
    assert put(as_supervisor, body).get_json()["version"] == 2

    unchanged = put(as_supervisor, {**body, "version": 2})

    assert unchanged.get_json()["version"] == 2
    assert len(db.session.scalars(select(SettingChange)).all()) == 1


def test_a_stale_version_is_refused_with_the_map_as_it_is_now(as_supervisor, queues):
    route(None, delivery=(queues["delivery"], "high"))  # someone saved after we read version 1

    answer = put(as_supervisor, {"version": 1, "default_queue_id": None, "routes": []})

    assert answer.status_code == 409
    assert answer.get_json()["current"]["version"] == 2
    assert routes_of(answer.get_json()["current"])["delivery"] == (queues["delivery"].id, "high")


def test_a_change_without_a_version_asks_for_one(as_supervisor):
    answer = put(as_supervisor, {"default_queue_id": None, "routes": []})
    assert answer.status_code == 428

    answer = put(as_supervisor, {"default_queue_id": None, "routes": []}, **{"If-Match": 'W/"1"'})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("routes", "default", "errors"),
    [
        ([{"form": "billing", "queue_id": 999}], None, {"routes": {"0": {"queue_id": ["Unknown queue."]}}}),
        ([], 999, {"default_queue_id": ["Unknown queue."]}),
        (
            [{"form": "request", "severity": "high"}],
            None,
            {"routes": {"0": {"severity": ["Only complaint categories have a severity."]}}},
        ),
        (
            [{"form": "billing"}, {"form": "billing", "severity": "low"}],
            None,
            {"routes": {"1": {"form": ["Named twice: give each form one route."]}}},
        ),
    ],
)
def test_a_bad_map_is_refused_field_by_field_and_changes_nothing(as_supervisor, routes, default, errors):
    answer = put(as_supervisor, {"version": 1, "default_queue_id": default, "routes": routes})

    assert answer.status_code == 422
    assert answer.get_json()["errors"] == errors
    assert as_supervisor.get("/api/v1/web-form-routes").get_json()["version"] == 1
    assert db.session.scalar(select(SettingChange)) is None


def test_shapes_the_schema_refuses_are_named_too(as_supervisor):
    answer = put(as_supervisor, {"version": 1, "default_queue_id": None, "routes": [{"form": "cats"}]})
    assert answer.status_code == 422
    assert "form" in str(answer.get_json()["errors"])


# -- submissions land where the map says -------------------------------------------------------------


def test_a_web_complaint_lands_in_its_categorys_queue_with_the_priority_of_its_severity(client, queues):
    route(queues["general"], delivery=(queues["delivery"], "high"))

    assert submit(client).status_code == 302  # a delivery complaint

    ticket = newest_ticket()
    assert ticket.queue_id == queues["delivery"].id
    assert (ticket.complaint.severity, ticket.priority) == ("high", "high")


@pytest.mark.parametrize(
    ("severity", "priority"), [("low", "low"), ("medium", "normal"), ("high", "high"), ("critical", "urgent")]
)
def test_priority_follows_severity(app, queues, severity, priority):
    route(None, billing=(queues["complaints"], severity))

    ticket, _token = portal.submit_web_form(
        type="complaint",
        name="Rosa",
        email="rosa@example.com",
        phone=None,
        description="Charged twice",
        category="billing",
        idempotency_key=portal.new_idempotency_key(),
    )

    assert (ticket.complaint.severity, ticket.priority) == (severity, priority)


def test_a_category_without_a_queue_and_the_support_form_fall_back_to_the_default(client, queues):
    route(queues["general"], billing=(queues["complaints"], "high"))

    submit(client)  # delivery: not mapped
    complaint = newest_ticket()
    submit(client, "/support/new", REQUEST)
    question = newest_ticket()

    assert (complaint.queue_id, complaint.priority, complaint.complaint.severity) == (
        queues["general"].id,
        "normal",
        "medium",
    )
    assert (question.type, question.queue_id, question.priority) == (
        "question",
        queues["general"].id,
        "normal",
    )


def test_the_support_form_has_a_queue_of_its_own(client, queues):
    route(queues["general"], request=(queues["delivery"], None))

    submit(client, "/support/new", REQUEST)

    assert newest_ticket().queue_id == queues["delivery"].id


def test_without_a_map_a_submission_lands_in_no_queue(client):
    submit(client)
    assert (newest_ticket().queue_id, newest_ticket().priority) == (None, "normal")


def test_a_deleted_queue_sends_its_forms_to_the_default(app, queues):
    route(queues["general"], delivery=(queues["delivery"], "high"))
    db.session.delete(queues["delivery"])
    db.session.commit()

    assert routing.route_for("delivery") == routing.Route(queues["general"].id, "high", "high")


def test_the_first_response_clock_of_the_queue_and_priority_runs_from_the_submission(client, queues):
    route(None, delivery=(queues["delivery"], "critical"))
    SlaPolicyFactory(name="Deliveries, any", queue_id=queues["delivery"].id, first_response_seconds=4 * 3600)
    urgent = SlaPolicyFactory(
        name="Deliveries, urgent",
        queue_id=queues["delivery"].id,
        priority="urgent",
        first_response_seconds=900,
    )

    submit(client)

    ticket = newest_ticket()
    first = next(target for target in ticket.sla_targets if target.kind == "first_response")
    assert (first.policy_id, first.target_seconds, first.started_at) == (urgent.id, 900, ticket.created_at)
    assert first.due_at is not None and first.met_at is None


def test_a_web_complaint_is_at_once_unassigned_in_the_queues_of_the_team_serving_it(app, queues):
    deliveries_agent = AgentFactory(name="Dee Livery", email="dee@example.com")
    other_agent = AgentFactory(name="Otto Other", email="otto@example.com")
    queues["delivery"].team = TeamFactory(members=[deliveries_agent])
    queues["general"].team = TeamFactory(members=[other_agent])
    db.session.commit()
    route(queues["general"], delivery=(queues["delivery"], "medium"))

    submit(app.test_client(), fields={**COMPLAINT, "description": "Parcel crushed by the courier"})
    reference = newest_ticket().reference

    dee = signed_in(app.test_client(), deliveries_agent)
    listed = dee.get("/tickets?view=unassigned-in-my-queues").get_data(as_text=True)
    assert reference in listed and "Parcel crushed by the courier" in listed
    otto = signed_in(app.test_client(), other_agent)
    assert reference not in otto.get("/tickets?view=unassigned-in-my-queues").get_data(as_text=True)


# -- the supervisors' page ---------------------------------------------------------------------------


def test_the_page_has_a_queue_choice_per_form_and_saves_the_map(app, supervisor, queues):
    browser = signed_in(app.test_client(), supervisor)
    page = browser.get("/settings/web-form-routes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for form in FORMS:
        assert f'name="queue_{form}"' in html
    assert 'name="severity_request"' not in html

    saved = browser.post(
        "/settings/web-form-routes",
        data={
            "csrf_token": csrf_token_from(html),
            "version": "1",
            "default_queue_id": str(queues["general"].id),
            "queue_billing": str(queues["complaints"].id),
            "severity_billing": "high",
            **{f"severity_{form}": "medium" for form in FORMS[:-1] if form != "billing"},
        },
    )

    assert saved.status_code == 302
    assert routing.route_for("billing") == routing.Route(queues["complaints"].id, "high", "high")
    assert routing.route_for("delivery") == routing.Route(queues["general"].id, "medium", "normal")
    assert "The web form routes were saved." in browser.get(saved.headers["Location"]).get_data(as_text=True)


def test_the_page_shows_a_stale_save_with_the_map_as_it_is_now(app, supervisor, queues):
    browser = signed_in(app.test_client(), supervisor)
    html = browser.get("/settings/web-form-routes").get_data(as_text=True)
    route(None, delivery=(queues["delivery"], "high"))  # saved by someone else meanwhile

    stale = browser.post(
        "/settings/web-form-routes",
        data={"csrf_token": csrf_token_from(html), "version": "1", "default_queue_id": ""},
    )

    assert stale.status_code == 409
    shown = stale.get_data(as_text=True)
    assert "Someone else saved the routes meanwhile" in shown
    assert re.search(rf'<option selected value="{queues["delivery"].id}">Deliveries</option>', shown)
    assert routing.route_for("delivery").queue_id == queues["delivery"].id


def test_the_page_marks_a_queue_that_is_gone_and_keeps_the_choices(app, supervisor, queues):
    browser = signed_in(app.test_client(), supervisor)
    html = browser.get("/settings/web-form-routes").get_data(as_text=True)
    gone = QueueFactory(name="Soon gone")
    gone_id = gone.id
    # The page offered it; someone deletes it before the save.
    db.session.delete(gone)
    db.session.commit()

    refused = browser.post(
        "/settings/web-form-routes",
        data={"csrf_token": csrf_token_from(html), "version": "1", "default_queue_id": str(gone_id)},
    )

    assert refused.status_code == 422
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert routing.get_routing().version == 1


def test_the_page_is_for_supervisors(app, agent):
    assert signed_in(app.test_client(), agent).get("/settings/web-form-routes").status_code == 403


# -- the customer's words and channel -----------------------------------------------------------------


def test_a_chinese_submissions_subject_is_built_in_chinese(app):
    client = app.test_client()
    client.get("/language/zh")

    submit(client, fields={**COMPLAINT, "description": "包裹被压坏了。\n里面的花瓶碎了。"})

    subject = newest_ticket().subject
    assert subject == "配送\uff1a包裹被压坏了。", subject  # a full-width colon
    assert not subject.startswith("Delivery")


def test_a_chinese_request_without_a_first_line_is_named_in_chinese(app):
    with app.test_request_context():
        assert portal._subject("", "question", None, "zh") == "网页请求"
        assert portal._subject("", "question", None, "en") == "Web request"


def test_a_reply_on_the_tracking_page_opens_a_follow_up_on_the_web_channel(app, agent):
    from app.portal.links import issue_tracking_token

    mailed = tickets.open_ticket(
        subject="Invoice copy",
        channel="email",
        customer={"name": "Rosa", "email": "rosa@example.com"},
        actor=agent,
    )
    token = issue_tracking_token(mailed.id)
    db.session.commit()
    for status in ("solved", "closed"):
        current = tickets.get_ticket(mailed.id)
        tickets.update_ticket(mailed.id, {"status": status}, expected_version=current.version, actor=agent)

    portal.reply_from_portal(token, "One more question")

    follow_up = newest_ticket()
    assert follow_up.follow_up_of_id == mailed.id
    assert (follow_up.channel, tickets.get_ticket(mailed.id).channel) == ("web", "email")


def test_the_settings_index_leads_supervisors_to_the_page(app, supervisor):
    index = signed_in(app.test_client(), supervisor).get("/settings").get_data(as_text=True)

    assert 'href="/settings/web-form-routes"' in index and "Web form routes" in index
