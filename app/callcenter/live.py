"""Live events of the call center: what consoles and wallboards receive, numbered per room so none is
silently lost.

`publish(event, payload, rooms=[...])` is the one way the room sends news to screens, from any process
(a request, a socket handler, an RQ job, a receiver): for each room it draws the room's next sequence
number, keeps the event in the room's recent history (a Redis stream of the last `HISTORY_LENGTH`
events) and emits it through Socket.IO (the Redis message queue in production) with `room` and `seq`
added to the payload. A console remembers the last `seq` of each of its rooms; after a reconnect it
asks `events_since(room, seq)` for what it missed. The answer says whether the history still reaches
back that far: when it does not (or Redis lost it), the console reloads its snapshot over HTTP. Redis
carries only what the snapshot can rebuild, as the architecture requires.

Rooms are named by `room(kind, id)`: `agent:<id>`, `team:<id>`, `queue:<id>`, `ticket:<id>`; the server
joins a connection to a room only after checking that its agent may be there (`console` package).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, NamedTuple

from redis.exceptions import RedisError

from app.extensions import socketio
from app.queue import redis_connection

log = logging.getLogger(__name__)

# The Socket.IO namespaces: agent consoles, and supervisors' wallboards.
AGENTS_NAMESPACE = "/agents"
WALLBOARD_NAMESPACE = "/wallboard"

ROOM_KINDS = ("agent", "team", "queue", "ticket")
# Events kept per room for consoles that reconnect: minutes of a busy queue's news.
HISTORY_LENGTH = 1000
# Rooms nobody published to for a day need no history.
HISTORY_TTL_SECONDS = 24 * 3600

# Draws the room's next number and keeps the event under it, in one step (a Lua script runs atomically,
# so two processes publishing to one room never share a number or store out of order).
_APPEND = """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-1', 'event', ARGV[1], 'payload', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return seq
"""


def room(kind: str, ident: int) -> str:
    """The name of a room: `agent:7`, `queue:3`, ..."""
    if kind not in ROOM_KINDS:
        raise ValueError(f"unknown room kind {kind!r}")
    return f"{kind}:{int(ident)}"


def _keys(namespace: str, name: str) -> tuple[str, str]:
    where = f"{namespace.strip('/')}:{name}"
    return f"switchboard:live:seq:{where}", f"switchboard:live:events:{where}"


def publish(
    event: str, payload: dict[str, Any], *, rooms: Iterable[str], namespace: str = AGENTS_NAMESPACE
) -> None:
    """Send `event` with `payload` (JSON values) to every connection in each of `rooms`, numbered per room.

    Never raises for Redis: an event that cannot be numbered is still emitted, with `seq` None, and the
    console that sees a None resyncs; one that cannot be emitted is dropped (consoles resync over HTTP).
    Call it after the commit of the change it announces.
    """
    body = json.dumps(payload, separators=(",", ":"), default=str)
    append = redis_connection().register_script(_APPEND)
    for name in rooms:
        sequence_key, history_key = _keys(namespace, name)
        try:
            arguments = [event, body, HISTORY_LENGTH, HISTORY_TTL_SECONDS]
            seq = int(append(keys=[sequence_key, history_key], args=arguments))
        except RedisError:
            log.warning("live event %s for %s not numbered: Redis is out of reach", event, name)
            seq = None
        socketio.emit(event, {**payload, "room": name, "seq": seq}, to=name, namespace=namespace)


class Missed(NamedTuple):
    """What a room published after a sequence number: `events` as `(seq, event, payload)`, and whether
    they are all of it (`complete`); when not, the console reloads its snapshot instead."""

    events: list[tuple[int, str, dict[str, Any]]]
    complete: bool
    last_seq: int


def last_seq(name: str, *, namespace: str = AGENTS_NAMESPACE) -> int:
    """The room's latest sequence number (0 when nothing was published, or Redis lost it)."""
    try:
        value = redis_connection().get(_keys(namespace, name)[0])
    except RedisError:
        return 0
    return int(value or 0)


def events_since(name: str, seq: int, *, namespace: str = AGENTS_NAMESPACE) -> Missed:
    """The events of room `name` numbered after `seq`, oldest first."""
    sequence_key, history_key = _keys(namespace, name)
    try:
        connection = redis_connection()
        latest = int(connection.get(sequence_key) or 0)
        entries = connection.xrange(history_key, min=f"{int(seq) + 1}-1", max="+") if latest > seq else []
    except RedisError:
        return Missed([], False, 0)
    events = []
    for entry_id, fields in entries:
        number = int(_text(entry_id).split("-")[0])
        fields = {_text(key): _text(value) for key, value in fields.items()}
        event, payload = fields["event"], fields["payload"]
        events.append((number, event, {**json.loads(payload), "room": name, "seq": number}))
    # Complete when the history holds every number from seq + 1 to the latest (the counter went back,
    # e.g. Redis restarted empty, counts as incomplete too).
    expected = list(range(int(seq) + 1, latest + 1))
    complete = latest >= seq and [number for number, _, _ in events] == expected
    return Missed(events, complete, latest)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
