"""The supervisors' wallboard (`/wallboard`, Socket.IO namespace `/wallboard`): live figures per queue and
agent, and the supervisor's actions on them.

- `services.py`: the figures (a few grouped queries for any number of queues and agents), the live
  updates (coalesced per queue or agent), following one agent, changing an agent's state;
- `events.py`: the `/wallboard` namespace (supervisors and admins only), `follow`, `sync`, `presence.set`;
- `receivers.py`: presence, work, offers, calls and tickets' changes ask for fresh figures;
- `jobs.py`: the recomputation, at once or trailing a burst;
- `api.py`: `GET /api/v1/callcenter/wallboard`, the snapshot; `pages.py`: the `/wallboard` page.
"""

from typing import Any

from flask import Flask

from app import extensions


def init_app(app: Flask, agents: Any) -> None:
    """Register the snapshot's API, the page, the receivers and the `/wallboard` namespace (class-based,
    so a second app a process creates gets it too). The consoles' namespace `agents` is not used."""
    from app.callcenter.live import WALLBOARD_NAMESPACE
    from app.callcenter.wallboard import api as api_views
    from app.callcenter.wallboard import pages, receivers
    from app.callcenter.wallboard.events import WallboardNamespace

    for blueprint in api_views.blueprints:
        extensions.csrf.exempt(blueprint)
        extensions.api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    receivers.connect()
    extensions.socketio.on_namespace(WallboardNamespace(WALLBOARD_NAMESPACE))
