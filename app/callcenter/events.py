"""Socket.IO adapters of the call center: the agent consoles' namespace, `/agents`.

Every signed-in agent is admitted (see `sockets.LiveNamespace` for how connections and events
authenticate); each connection joins its agent's room. The call center's packages own their events and
the rooms a console joins: each registers handlers (`on_event`) and steps run when a console connects or
disconnects (`connect_steps`, `disconnect_steps`) from its `init_app`.
"""

from __future__ import annotations

from flask_socketio import join_room

from app.accounts.models import Agent
from app.callcenter.services import agent_room
from app.callcenter.sockets import REFUSED, LiveNamespace, connecting_agent, speaking_agent

__all__ = ["REFUSED", "AgentsNamespace", "connecting_agent", "speaking_agent"]


class AgentsNamespace(LiveNamespace):
    """`/agents`: one connection per open console; each is in the room of its agent, and in the rooms
    the connection steps of the packages put it in."""

    def join_rooms(self, agent: Agent) -> None:
        join_room(agent_room(agent.id))
