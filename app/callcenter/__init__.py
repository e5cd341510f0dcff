"""Call center: agent presence, routing and offers, calls and CTI events, the agent console (level 5).

Real time: agent consoles connect to the `/agents` Socket.IO namespace (`events.AgentsNamespace`), which
admits signed-in agents only and puts each connection in its agent's room (`services.agent_room`). Any
process (a web request, an RQ job) emits there through the Redis message queue.
"""

from flask import Flask

from app.extensions import socketio


def init_app(app: Flask) -> None:
    """Register the `/agents` namespace on this app's Socket.IO server (a class-based namespace: a
    decorator would be lost on the second app a process creates)."""
    from app.callcenter.events import AgentsNamespace
    from app.callcenter.services import AGENTS_NAMESPACE

    socketio.on_namespace(AgentsNamespace(AGENTS_NAMESPACE))
