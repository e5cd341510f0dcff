"""Call center: agent presence, routing and offers, calls and CTI events, the agent console, the
supervisors' wallboard, the break reason codes (level 5).

Real time: agent consoles connect to the `/agents` Socket.IO namespace (`events.AgentsNamespace`), which
admits signed-in agents only and puts each connection in its agent's room; the packages add their events
and rooms to it. Supervisors' wallboards connect to `/wallboard` (`wallboard` package). Any process (a web
request, an RQ job) sends news to screens with `live.publish`, through the Redis message queue.

Packages (each with its models, services and adapters side by side):
- `presence/`: the state of each agent and its history, the consoles that keep it alive;
- `routing/`: waiting work offered to the best available agent, and the record of offers;
- `calls/`: the telephony adapters, call records, wrap-up, callback requests, the call import, the simulator;
- `console/`: the agent console's page, snapshot and resync, collision detection, live ticket news;
- `wallboard/`: the supervisors' live wallboard.
"""

from flask import Flask

from app import setting_pages, versions
from app.extensions import api, csrf, socketio


def init_app(app: Flask) -> None:
    """Register the room's API, pages, receivers and jobs, and its Socket.IO namespaces on this app's
    server (class-based namespaces: a decorator would be lost on the second app a process creates)."""
    from app.callcenter import calls, console, presence, routing, wallboard

    # Every package's tables, so the metadata (and the migrations) know them.
    from app.callcenter.calls import models as _calls_models  # noqa: F401
    from app.callcenter.events import AgentsNamespace
    from app.callcenter.live import AGENTS_NAMESPACE
    from app.callcenter.models import BreakReason
    from app.callcenter.presence import models as _presence_models  # noqa: F401
    from app.callcenter.routing import models as _routing_models  # noqa: F401
    from app.callcenter.schemas import BreakReasonSchema
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

    agents = AgentsNamespace(AGENTS_NAMESPACE)
    for package in (presence, routing, calls, console, wallboard):
        package.init_app(app, agents)
    socketio.on_namespace(agents)
