"""Setting an agent's state: who may, what a break needs, and the history every change leaves (each
period with its start and end, one open at a time), announced after the commit."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from app.callcenter import live
from app.callcenter import services as callcenter
from app.callcenter.presence import services
from app.callcenter.presence.models import AgentPresence
from app.callcenter.presence.signals import presence_changed
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from tests.callcenter.presence.presence_helpers import periods
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import captured


@pytest.fixture
def lunch(app):
    return callcenter.create_break_reason(name="Lunch", actor=None)


def test_an_agent_who_never_chose_a_state_is_offline(agent):
    presence = services.current_presence(agent.id)

    assert (presence.state, presence.since, presence.idle_since) == ("offline", None, None)
    assert periods(agent.id) == []


def test_an_agent_sets_their_own_state_and_each_change_is_recorded_with_start_and_end(agent):
    first = services.set_presence(agent.id, "available", actor=agent)
    second = services.set_presence(agent.id, "busy", actor=agent)

    assert (second.state, second.agent_id, second.name) == ("busy", agent.id, "Alex Agent")
    assert services.current_presence(agent.id) == second
    assert periods(agent.id) == [
        ("available", None, first.since, second.since, agent.id),
        ("busy", None, second.since, None, agent.id),
    ]


def test_choosing_the_state_the_agent_is_in_records_and_announces_nothing(agent):
    services.set_presence(agent.id, "available", actor=agent)

    with captured(presence_changed) as sent:
        again = services.set_presence(agent.id, "available", actor=agent)

    assert again.state == "available"
    assert len(periods(agent.id)) == 1
    assert sent == []


def test_a_break_names_a_break_reason_by_id_or_name(agent, lunch):
    training = callcenter.create_break_reason(name="Training", actor=None)

    by_id = services.set_presence(agent.id, "break", reason_id=lunch.id, actor=agent)
    by_name = services.set_presence(agent.id, "break", reason=" Training ", actor=agent)

    assert (by_id.reason_id, by_id.reason) == (lunch.id, "Lunch")
    assert (by_name.reason_id, by_name.reason) == (training.id, "Training")
    assert [(state, reason) for state, reason, *_ in periods(agent.id)] == [
        ("break", lunch.id),
        ("break", training.id),
    ]


@pytest.mark.parametrize(
    ("state", "values", "field", "message"),
    [
        ("break", {}, "reason_id", "Pick a break reason."),
        ("break", {"reason_id": 99999}, "reason_id", "No break reason has this id or name."),
        ("break", {"reason": "Nap"}, "reason", "No break reason has this id or name."),
        ("available", {"reason_id": "lunch"}, "reason_id", "Give a reason for a break only."),
        ("asleep", {}, "state", "Must be one of: available, busy, wrap_up, break, offline."),
    ],
)
def test_a_state_the_desk_does_not_know_or_a_break_without_a_known_reason_is_refused(
    agent, lunch, state, values, field, message
):
    values = {name: lunch.id if value == "lunch" else value for name, value in values.items()}

    with pytest.raises(Invalid) as refused:
        services.set_presence(agent.id, state, **values, actor=agent)

    assert [str(text) for text in refused.value.errors[field]] == [message]
    assert periods(agent.id) == []


def test_an_agent_may_not_set_another_agents_state_a_supervisor_and_the_desk_may(agent, supervisor, admin):
    other = AgentFactory()

    with pytest.raises(Forbidden):
        services.set_presence(other.id, "available", actor=agent)
    by_supervisor = services.set_presence(other.id, "available", actor=supervisor)
    by_admin = services.set_presence(other.id, "busy", actor=admin)
    by_desk = services.set_presence(other.id, "wrap_up", actor=None)

    assert [p.state for p in (by_supervisor, by_admin, by_desk)] == ["available", "busy", "wrap_up"]
    assert [set_by for *_, set_by in periods(other.id)] == [supervisor.id, admin.id, None]


def test_an_unknown_agent_is_not_found(agent):
    with pytest.raises(NotFound):
        services.set_presence(999_999, "available", actor=agent)
    with pytest.raises(NotFound):
        services.current_presence(999_999)


def test_a_disabled_agent_can_only_go_offline(admin):
    gone = AgentFactory(active=False)

    with pytest.raises(Conflict):
        services.set_presence(gone.id, "available", actor=admin)
    assert services.set_presence(gone.id, "offline", actor=admin).state == "offline"


def test_idle_since_is_when_the_agent_last_became_available(agent, lunch):
    first = services.set_presence(agent.id, "available", actor=agent)
    services.set_presence(agent.id, "available", actor=agent)
    assert services.current_presence(agent.id).idle_since == first.since

    services.set_presence(agent.id, "busy", actor=None)
    busy = services.set_presence(agent.id, "break", reason_id=lunch.id, actor=agent)
    assert busy.idle_since == first.since  # kept, and read only while available

    back = services.set_presence(agent.id, "available", actor=agent)
    assert back.idle_since == back.since > first.since


def test_a_change_is_announced_to_the_agents_room_and_each_of_their_teams_rooms(agent, lunch):
    teams = [TeamFactory(members=[agent]), TeamFactory(members=[agent])]
    rooms = [live.room("agent", agent.id), *(live.room("team", team.id) for team in teams)]

    presence = services.set_presence(agent.id, "break", reason_id=lunch.id, actor=agent)

    expected = {
        "agent_id": agent.id,
        "name": "Alex Agent",
        "state": "break",
        "reason_id": lunch.id,
        "reason": "Lunch",
        "since": presence.since.isoformat(),
    }
    for name in rooms:
        [(_seq, event, payload)] = live.events_since(name, 0).events
        assert (event, payload) == ("presence.changed", {**expected, "room": name, "seq": 1})
    assert live.last_seq(live.room("team", TeamFactory().id)) == 0


def test_the_signal_is_sent_once_the_change_is_committed(agent, supervisor):
    services.set_presence(agent.id, "available", actor=agent)
    stored_when_sent = []

    def look(row, **_):
        # Another session sees the change only once it is committed.
        with db.engine.connect() as connection:
            stored_when_sent.append(
                connection.scalar(db.select(AgentPresence.state).where(AgentPresence.agent_id == agent.id))
            )

    with captured(presence_changed) as sent:
        presence_changed.connect(look)
        try:
            services.set_presence(agent.id, "busy", actor=supervisor)
        finally:
            presence_changed.disconnect(look)

    [(row, values)] = sent
    assert values == {
        "agent_id": agent.id,
        "state": "busy",
        "previous": "available",
        "reason_id": None,
        "actor_id": supervisor.id,
    }
    assert row.agent_id == agent.id
    assert stored_when_sent == ["busy"]


def test_the_history_lists_the_periods_overlapping_a_window(agent, supervisor):
    changes = [
        services.set_presence(agent.id, state, actor=agent) for state in ("available", "busy", "offline")
    ]
    available, busy, offline = (change.since for change in changes)

    def listed(start, end, viewer=agent):
        query = services.presence_history(agent.id, start, end, viewer=viewer)
        return [period.state for period in db.session.scalars(query)]

    assert listed(available, offline) == ["available", "busy"]
    assert listed(busy, busy + (offline - busy) / 2) == ["busy"]
    assert listed(offline, offline + (offline - available)) == ["offline"]  # the open one
    assert listed(available, offline, viewer=supervisor) == ["available", "busy"]
    with pytest.raises(Forbidden):
        listed(available, offline, viewer=AgentFactory())
    with pytest.raises(Invalid):
        listed(offline, available)


def test_several_agents_states_are_read_at_once(agent, supervisor):
    away = AgentFactory(name="Zoe Away", active=False)
    services.set_presence(agent.id, "available", actor=agent)

    everyone = services.presences()
    chosen = services.presences([agent.id, away.id, 999_999])

    assert [(p.name, p.state) for p in everyone] == [
        ("Alex Agent", "available"),
        ("Sam Supervisor", "offline"),
    ]
    assert [(p.name, p.state) for p in chosen] == [("Alex Agent", "available"), ("Zoe Away", "offline")]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_change_waits_for_one_in_progress_so_the_history_never_overlaps(app, agent):
    """Another process is halfway through a change (its rows written, not committed): this one waits for
    its lock on the agent's row, then ends the period that change began."""
    services.set_presence(agent.id, "available", actor=agent)
    other = db.engine.connect()
    other_change = other.begin()
    other.execute(text("SELECT 1 FROM agent_presence WHERE agent_id = :id FOR UPDATE"), {"id": agent.id})
    other.execute(
        text("UPDATE presence_periods SET ended_at = now() WHERE agent_id = :id AND ended_at IS NULL"),
        {"id": agent.id},
    )
    other.execute(
        text("INSERT INTO presence_periods (agent_id, state, started_at) VALUES (:id, 'wrap_up', now())"),
        {"id": agent.id},
    )
    other.execute(
        text("UPDATE agent_presence SET state = 'wrap_up', since = now() WHERE agent_id = :id"),
        {"id": agent.id},
    )

    def change():
        with app.app_context():
            services.set_presence(agent.id, "busy", actor=None)

    changing = threading.Thread(target=change)
    changing.start()
    _wait_until_a_session_waits_for_a_lock()
    other_change.commit()
    other.close()
    changing.join()

    history = periods(agent.id)
    assert [state for state, *_ in history] == ["available", "wrap_up", "busy"]
    assert [end for *_, end, _set_by in history[:-1]] == [start for _state, _reason, start, *_ in history[1:]]
    assert history[-1][3] is None


def _wait_until_a_session_waits_for_a_lock(timeout: float = 30.0) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with db.engine.connect() as connection:
        while not connection.scalar(waiting):
            assert time.monotonic() < deadline, "the change never waited for the other's lock"
            time.sleep(0.02)
