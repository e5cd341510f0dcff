"""Agent presence over a real socket and real processes: a state set from a console reaches a teammate's
console, a closed console leaves its agent offline once the grace period is over, and the agents of a
web process that died are taken offline by the worker's sweep.

Timings are shortened through the environment: a grace period of a second, a web process beating every
second (its consoles stop counting three seconds after it dies), a sweep every second.
"""

from __future__ import annotations

import os
import signal
import threading
from types import SimpleNamespace
from typing import Any

import pytest
import socketio

from tests.live.conftest import eventually, issue_token, start_desk

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

NAMESPACE = "/agents"


@pytest.fixture(scope="module")
def desk(stack):
    stack.configure(PRESENCE_GRACE_SECONDS=1, PRESENCE_HEARTBEAT_SECONDS=1, PRESENCE_SWEEP_INTERVAL_SECONDS=1)
    web, _worker, admin = start_desk(stack)
    people = {}
    for name in ("alex", "maria", "ines"):
        email = f"{name}@live.example"
        people[name] = SimpleNamespace(
            id=admin.create_agent(email, name=name.title()), token=issue_token(web.url, email)["token"]
        )
    team = admin.post(
        "/api/v1/teams", json={"name": "Floor", "member_ids": [people["alex"].id, people["maria"].id]}
    )
    assert team.status_code == 201, team.text
    return SimpleNamespace(stack=stack, web=web, **people)


class Console:
    """python-socketio's client on `/agents` with an agent's API token, keeping what it receives."""

    def __init__(self, url: str, token: str):
        self.received: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._event, namespace=NAMESPACE)
        self.client.connect(url, namespaces=[NAMESPACE], auth={"token": token}, wait_timeout=10)

    def _event(self, event: str, data: Any = None) -> None:
        with self.lock:
            self.received.append((event, data))

    def news(self, event: str) -> list[Any]:
        with self.lock:
            return [data for name, data in self.received if name == event]

    def set_presence(self, state: str) -> dict[str, Any]:
        return self.client.call("presence.set", {"state": state}, namespace=NAMESPACE, timeout=10)

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def consoles():
    opened: list[Console] = []

    def open_console(url: str, token: str) -> Console:
        opened.append(Console(url, token))
        return opened[-1]

    yield open_console
    for console in opened:
        console.close()


def state(desk, person) -> str | None:
    rows = desk.stack.sql("SELECT state FROM agent_presence WHERE agent_id = :id", id=person.id)
    return rows[0].state if rows else None


def test_a_state_set_from_a_console_reaches_a_teammates_console(desk, consoles):
    maria = consoles(desk.web.url, desk.maria.token)
    alex = consoles(desk.web.url, desk.alex.token)

    answer = alex.set_presence("available")

    assert answer["ok"] is True, answer
    [news] = eventually(lambda: maria.news("presence.changed"), what="Alex's news to reach Maria")
    assert (news["agent_id"], news["state"], news["room"]) == (desk.alex.id, "available", news["room"])
    assert news["room"].startswith("team:")
    assert state(desk, desk.alex) == "available"


def test_a_closed_console_leaves_its_agent_offline_after_the_grace_period(desk, consoles):
    alex = consoles(desk.web.url, desk.alex.token)
    assert alex.set_presence("busy")["ok"]

    alex.close()

    eventually(lambda: state(desk, desk.alex) == "offline", what="Alex to go offline")
    [last] = desk.stack.sql(
        "SELECT state, set_by_id FROM presence_periods WHERE agent_id = :id AND ended_at IS NULL",
        id=desk.alex.id,
    )
    assert (last.state, last.set_by_id) == ("offline", None)  # the desk's doing


def test_the_agents_of_a_web_process_that_died_go_offline(desk, consoles):
    doomed = desk.stack.start_web("doomed")
    ines = consoles(doomed.url, desk.ines.token)
    assert ines.set_presence("available")["ok"]

    # The process holding the sockets (the real-time one; the only one when the front falls back) dies
    # at once: no disconnect handler runs, nobody sees the console close.
    holder = next((part for part in doomed.parts if part.name.endswith("-realtime")), doomed.parts[0])
    os.killpg(holder.pid, signal.SIGKILL)
    holder.popen.wait()

    eventually(lambda: state(desk, desk.ines) == "offline", timeout=30, what="Ines to go offline")
