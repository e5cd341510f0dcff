"""REST endpoint of the agent console: the snapshot a console loads when it opens or resyncs."""

from __future__ import annotations

from app.accounts.access import current_agent, signed_in
from app.callcenter.console import schemas, services
from app.extensions import ApiBlueprint

bp = ApiBlueprint(
    "console",
    __name__,
    url_prefix="/api/v1/callcenter/console",
    description="The agent console: what it shows now, and the rooms whose live events follow.",
)


@bp.get("")
@signed_in
@bp.response(200, schemas.ConsoleSchema)
def get_console():
    """Your console as of now: your presence, the break reasons, your pending offers, your unsolved
    tickets with their SLA due times, your active calls (and the ended ones not wrapped up), and the
    last event number of each room your console is in. Connect to the `/agents` Socket.IO namespace
    for what changes next; when a room's events skip a number, load this again."""
    return services.console_snapshot(current_agent())
