"""Use cases of the call center; for now, the names under which consoles are reached in real time.

Emitting to an agent, from any process (a request, a job, a receiver):

    socketio.emit("offer", payload, to=agent_room(agent.id), namespace=AGENTS_NAMESPACE)
"""

from __future__ import annotations

# The Socket.IO namespace of the agent consoles.
AGENTS_NAMESPACE = "/agents"


def agent_room(agent_id: int) -> str:
    """The room of one agent's connections in `AGENTS_NAMESPACE` (every tab, on every web process):
    `agent:<id>`. Only the server puts a connection there, after authenticating it as that agent."""
    return f"agent:{int(agent_id)}"
