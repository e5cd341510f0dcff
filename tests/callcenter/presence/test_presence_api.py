"""`/api/v1/callcenter/agents/<id>/presence`: everyone reads an agent's state; an agent sets and reads the
history of their own, a supervisor anyone's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.callcenter import services as callcenter
from app.callcenter.presence import services
from tests.factories import AgentFactory
from tests.helpers import undocumented_nulls


def presence_url(agent_id: int) -> str:
    return f"/api/v1/callcenter/agents/{agent_id}/presence"


def put(api, agent_id: int, body):
    return api._call("PUT", presence_url(agent_id), json=body)


@pytest.fixture
def lunch(app):
    return callcenter.create_break_reason(name="Lunch", actor=None)


def test_an_agent_who_never_chose_reads_offline(client, as_agent, agent):
    answer = as_agent.get(presence_url(agent.id))

    assert answer.status_code == 200
    assert answer.json == {
        "agent_id": agent.id,
        "name": "Alex Agent",
        "state": "offline",
        "reason_id": None,
        "reason": None,
        "since": None,
        "idle_since": None,
    }
    assert undocumented_nulls(client, "Presence", answer.json) == set()


def test_an_agent_sets_their_own_state_and_anyone_reads_it(as_agent, as_supervisor, agent, lunch):
    answer = put(as_agent, agent.id, {"state": "break", "reason": "Lunch"})

    assert answer.status_code == 200
    assert (answer.json["state"], answer.json["reason_id"], answer.json["reason"]) == (
        "break",
        lunch.id,
        "Lunch",
    )
    assert as_supervisor.get(presence_url(agent.id)).json == answer.json
    assert put(as_agent, agent.id, {"state": "break", "reason": lunch.id}).status_code == 200


def test_an_agent_may_not_set_another_agents_state(as_agent, agent):
    other = AgentFactory()

    answer = put(as_agent, other.id, {"state": "available"})

    assert answer.status_code == 403
    assert services.current_presence(other.id).state == "offline"


def test_a_supervisor_sets_anyones_state(as_supervisor, agent):
    assert put(as_supervisor, agent.id, {"state": "available"}).json["state"] == "available"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"state": "break"}, {"reason": ["Pick a break reason."]}),
        ({"state": "break", "reason": "Nap"}, {"reason": ["No break reason has this id or name."]}),
        ({"state": "break", "reason": 0}, {"reason": ["Must be an id from 1 to 2147483647."]}),
        ({"state": "break", "reason": True}, {"reason": ["Give a break reason's id or name."]}),
        ({"state": "break", "reason": ""}, {"reason": ["Give a break reason's id or name."]}),
        ({"state": "available", "reason": "Lunch"}, {"reason": ["Give a reason for a break only."]}),
        ({"state": "nap"}, {"state": ["Must be one of: available, busy, wrap_up, break, offline."]}),
        ({}, {"state": ["Missing data for required field."]}),
    ],
)
def test_a_state_the_desk_does_not_know_or_a_break_without_a_known_reason_is_422(
    as_agent, agent, lunch, body, errors
):
    answer = put(as_agent, agent.id, body)

    assert answer.status_code == 422
    assert answer.json["errors"].get("json", answer.json["errors"]) == errors


def test_an_unknown_agent_is_404(as_supervisor):
    assert as_supervisor.get(presence_url(999_999)).status_code == 404
    assert put(as_supervisor, 999_999, {"state": "available"}).status_code == 404
    assert as_supervisor.get(presence_url(999_999) + "/history").status_code == 404


def test_the_history_lists_the_periods_overlapping_the_window(client, as_agent, as_supervisor, agent, lunch):
    available = services.set_presence(agent.id, "available", actor=agent).since
    on_break = services.set_presence(agent.id, "break", reason_id=lunch.id, actor=agent).since
    url = presence_url(agent.id) + "/history"

    everything = as_agent.get(url)
    window = {"from": (on_break - timedelta(microseconds=1)).isoformat(), "to": on_break.isoformat()}
    part = as_supervisor.get(url, query_string=window)

    assert everything.status_code == 200
    assert [(p["state"], p["reason"], p["set_by_id"]) for p in everything.json] == [
        ("available", None, agent.id),
        ("break", "Lunch", agent.id),
    ]
    assert everything.json[0]["ended_at"] == everything.json[1]["started_at"]
    assert everything.json[1]["ended_at"] is None
    assert [p["state"] for p in part.json] == ["available"]
    assert available < on_break
    assert undocumented_nulls(client, "PresencePeriod", everything.json[1]) == set()


def test_an_agent_may_not_read_another_agents_history(as_agent):
    assert as_agent.get(presence_url(AgentFactory().id) + "/history").status_code == 403


def test_a_window_ending_before_it_starts_is_422(as_agent, agent):
    window = {"from": "2026-12-07T10:00:00Z", "to": "2026-12-07T09:00:00Z"}

    answer = as_agent.get(presence_url(agent.id) + "/history", query_string=window)

    assert answer.status_code == 422
    assert "from" in answer.json["errors"]
