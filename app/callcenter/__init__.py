"""Call center: agent presence, routing and offers, calls and CTI events, the agent console, the break
reason codes (level 5).

Real time: agent consoles connect to the `/agents` Socket.IO namespace (`events.AgentsNamespace`), which
admits signed-in agents only and puts each connection in its agent's room (`services.agent_room`). Any
process (a web request, an RQ job) emits there through the Redis message queue.
"""

from flask import Flask

from app import setting_pages, versions
from app.extensions import api, csrf, socketio


def init_app(app: Flask) -> None:
    """Register the break reasons' API and settings pages, and the `/agents` namespace on this app's
    Socket.IO server (a class-based namespace: a decorator would be lost on the second app a process
    creates)."""
    from app.callcenter.events import AgentsNamespace
    from app.callcenter.models import BreakReason
    from app.callcenter.schemas import BreakReasonSchema
    from app.callcenter.services import AGENTS_NAMESPACE
    from app.callcenter.views import api as api_views
    from app.callcenter.views import pages

    for blueprint in api_views.blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    for section in pages.SECTIONS:
        setting_pages.add_section(app, section)
    # A stale change's 409 carries the break reason as it is now, dumped as the API answers it.
    versions.dump_current_with(app, {BreakReason: BreakReasonSchema()})
    socketio.on_namespace(AgentsNamespace(AGENTS_NAMESPACE))
