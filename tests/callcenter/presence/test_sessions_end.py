"""Signing out, being disabled or changing role closes an agent's consoles: each is told its session
ended, then disconnected; signed out everywhere or disabled, the agent is offline at once."""

from __future__ import annotations

from app.accounts import services as accounts
from app.callcenter.live import AGENTS_NAMESPACE
from app.callcenter.presence import services
from app.extensions import socketio
from tests.callcenter.presence.presence_helpers import booked, connected, console, received
from tests.factories import PASSWORD
from tests.helpers import ApiClient, csrf_token_from, signed_in


def state_of(agent) -> str:
    return services.current_presence(agent.id).state


def browser(app, agent):
    """A browser signed in as `agent` (a sign-in session of its own) and its console."""
    client = signed_in(app.test_client(), agent)
    return client, console(app, agent, flask_test_client=client)


def test_signing_out_closes_the_consoles_of_that_browser_session_only(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    leaving, leaving_console = browser(app, agent)
    _staying, staying_console = browser(app, agent)
    token_console = console(app, agent)

    token = csrf_token_from(leaving.get("/").get_data(as_text=True))
    assert leaving.post("/logout", data={"csrf_token": token}).status_code == 302

    assert not connected(leaving_console)
    assert received(leaving_console, "session.ended") == [{}]
    assert connected(staying_console) and connected(token_console)
    assert received(staying_console, "session.ended") == []
    assert booked("go_offline_if_gone") == []  # other consoles are open
    assert state_of(agent) == "available"


def test_signing_out_of_the_last_browser_leaves_the_agent_to_the_grace_period(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    leaving, _console = browser(app, agent)

    leaving.post("/logout", data={"csrf_token": csrf_token_from(leaving.get("/").get_data(as_text=True))})

    assert len(booked("go_offline_if_gone")) == 1
    assert state_of(agent) == "available"


def test_signing_out_everywhere_closes_every_console_and_the_agent_is_offline_at_once(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    _client, in_browser = browser(app, agent)
    with_token = console(app, agent)

    accounts.sign_out_everywhere(actor=agent)

    assert not connected(in_browser) and not connected(with_token)
    assert [event["room"] for event in received(with_token, "session.ended")] == [f"agent:{agent.id}"]
    assert state_of(agent) == "offline"


def test_a_new_password_closes_every_console(app, agent):
    _client, in_browser = browser(app, agent)

    accounts.change_own_password(agent.id, current_password=PASSWORD, new_password="a much newer password")

    assert not connected(in_browser)


def test_a_disabled_agents_consoles_close_and_they_are_offline_at_once(app, agent, admin):
    services.set_presence(agent.id, "available", actor=agent)
    with_token = console(app, agent)

    accounts.update_agent(agent.id, {"active": False}, actor=admin)

    assert not connected(with_token)
    assert received(with_token, "session.ended")
    assert state_of(agent) == "offline"


def test_a_new_role_closes_the_consoles_which_come_back_into_its_rooms_in_the_same_state(app, agent, admin):
    services.set_presence(agent.id, "available", actor=agent)
    with_token = console(app, agent)

    accounts.update_agent(agent.id, {"role": "supervisor"}, actor=admin)

    assert not connected(with_token)
    assert state_of(agent) == "available"  # until the grace period is over, and a console is back by then


def test_consoles_closed_during_someone_elses_request_are_closed_as_their_own_agents(app, agent, admin):
    """The namespace's disconnect handler of a socket held by this process runs inside the request that
    disabled its agent: it must see the console's agent, not the one signed in to that request."""
    _client, in_browser = browser(app, agent)
    closed_for = []
    namespace = socketio.server.namespace_handlers[AGENTS_NAMESPACE]
    namespace.disconnect_steps.append(lambda agent_id, sid: closed_for.append(agent_id))

    answer = ApiClient.for_agent(app, admin).patch(f"/api/v1/agents/{agent.id}", json={"active": False})

    assert answer.status_code == 200
    assert not connected(in_browser)
    assert closed_for == [agent.id]
