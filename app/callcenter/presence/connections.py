"""Which consoles are open, on which processes: what keeps an agent's presence alive.

Every web process holding Socket.IO connections of `/agents` writes each of them to Redis (one hash per
agent: socket id -> the process and the sign-in session it was opened with) and says it is alive: a key
of its own with a lifetime of three `PRESENCE_HEARTBEAT_SECONDS`, renewed by a background task of the
process (`socketio.start_background_task`, started with its first console). A connection counts only
while its process is alive, so the consoles of a process that died stop counting once its key lapses,
without anyone having seen them close.

Redis carries only what can be rebuilt: each process keeps its own connections in memory too and writes
them all again at every beat, so a Redis that restarted empty knows every open console again within a
beat. When an agent's last live connection closes, a marker (`Away`: a random token and the moment) is
left: the delayed job that takes the agent offline after the grace period acts only if the marker it
was given is still there (no console came back, and no later one closed meanwhile).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, current_app
from redis.exceptions import RedisError

from app.extensions import socketio
from app.queue import redis_connection

log = logging.getLogger(__name__)

PREFIX = "switchboard:presence"
# Beats a process may miss before its consoles count as gone.
MISSED_BEATS = 3
# An away marker outlives any grace period; a day keeps Redis tidy.
AWAY_TTL_SECONDS = 24 * 3600


def _sockets_key(agent_id: int) -> str:
    return f"{PREFIX}:sockets:{int(agent_id)}"


def _process_key(process_id: str) -> str:
    return f"{PREFIX}:process:{process_id}"


def _away_key(agent_id: int) -> str:
    return f"{PREFIX}:away:{int(agent_id)}"


def session_digest(session_key: str | None) -> str | None:
    """How a connection's sign-in session is recorded (never the key itself)."""
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else None


@dataclass
class _Process:
    """This process's consoles (of one app), and whether its heartbeat task runs."""

    id: str
    pid: int
    sockets: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    beating: bool = False


def _process(app: Flask | None = None) -> _Process:
    app = app or current_app._get_current_object()
    process = app.extensions.get("presence.process")
    if process is None or process.pid != os.getpid():  # a forked child is a process of its own
        pid = os.getpid()
        process = _Process(id=f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}", pid=pid)
        app.extensions["presence.process"] = process
    return process


def _beat_seconds(app: Flask) -> int:
    return max(1, int(app.config["PRESENCE_HEARTBEAT_SECONDS"]))


def opened(agent_id: int, sid: str, *, session_key: str | None) -> None:
    """A console of the agent connected to this process (`session_key`: the sign-in session it was
    opened with; None for an API token)."""
    app = current_app._get_current_object()
    process = _process(app)
    digest = session_digest(session_key)
    # This process's writes of its consoles hold its lock, so a beat never writes back one just closed.
    with process.lock:
        process.sockets[sid] = (agent_id, digest)
        start = not process.beating
        process.beating = True
        try:
            pipe = redis_connection().pipeline()
            pipe.set(_process_key(process.id), "1", ex=_beat_seconds(app) * MISSED_BEATS)
            pipe.hset(_sockets_key(agent_id), sid, _entry(process.id, digest))
            pipe.delete(_away_key(agent_id))
            pipe.execute()
        except RedisError as error:
            log.warning("console %s of agent %s not recorded: %s", sid, agent_id, error)
    if start:
        socketio.start_background_task(_beat_forever, weakref.ref(app), process)


def closed(sid: str, agent_id: int | None) -> tuple[int, str] | None:
    """A console connected to this process closed. When it was the agent's last live one: the agent and
    the token of the away marker left for them; else None."""
    process = _process()
    connection = redis_connection()
    with process.lock:
        known = process.sockets.pop(sid, None)
        if known is not None:
            # What this process recorded at connect time names the agent for sure.
            agent_id = known[0]
        if agent_id is None:
            return None
        connection.hdel(_sockets_key(agent_id), sid)
    if connected(agent_id):
        return None
    token = secrets.token_hex(8)
    marker = json.dumps({"token": token, "at": time.time()})
    connection.set(_away_key(agent_id), marker, ex=AWAY_TTL_SECONDS)
    return agent_id, token


def _entry(process_id: str, digest: str | None) -> str:
    return json.dumps({"process": process_id, "session": digest})


def _live_entries(agent_id: int) -> dict[str, dict]:
    """The agent's connections on live processes; those of dead processes are dropped on the way."""
    connection = redis_connection()
    entries = {
        _text(sid): json.loads(value) for sid, value in connection.hgetall(_sockets_key(agent_id)).items()
    }
    processes = sorted({entry["process"] for entry in entries.values()})
    alive = dict(zip(processes, connection.mget([_process_key(p) for p in processes]), strict=True))
    dead = [sid for sid, entry in entries.items() if alive[entry["process"]] is None]
    if dead:
        connection.hdel(_sockets_key(agent_id), *dead)
    return {sid: entry for sid, entry in entries.items() if sid not in dead}


def connected(agent_id: int) -> bool:
    """Whether the agent has a console open on a live process."""
    return bool(_live_entries(agent_id))


def socket_ids(agent_id: int, *, session_key: str | None = None) -> list[str]:
    """The agent's open connections (those opened with sign-in session `session_key` alone, if given)."""
    digest = session_digest(session_key)
    entries = _live_entries(agent_id)
    return sorted(sid for sid, entry in entries.items() if digest is None or entry["session"] == digest)


@dataclass(frozen=True)
class Away:
    """The agent's last console closed at `at`; `token` names that moment for the job that follows."""

    token: str
    at: datetime


def away(agent_id: int) -> Away | None:
    """Since when the agent has had no console (None: one is open, or nothing is known)."""
    value = redis_connection().get(_away_key(agent_id))
    if value is None:
        return None
    marker = json.loads(value)
    return Away(marker["token"], datetime.fromtimestamp(marker["at"], UTC))


def beat(app: Flask) -> None:
    """Say this process is alive, and write every console it holds again (Redis may have lost them)."""
    process = _process(app)
    with process.lock:
        pipe = app.extensions["redis"].pipeline()
        pipe.set(_process_key(process.id), "1", ex=_beat_seconds(app) * MISSED_BEATS)
        for sid, (agent_id, digest) in process.sockets.items():
            pipe.hset(_sockets_key(agent_id), sid, _entry(process.id, digest))
        pipe.execute()


def _beat_forever(app_ref: weakref.ref[Flask], process: _Process) -> None:
    """The heartbeat task of a process holding consoles; it ends with its app (tests make many)."""
    while True:
        app = app_ref()
        if app is None or app.extensions.get("presence.process") is not process:
            return
        seconds = _beat_seconds(app)
        del app
        socketio.sleep(seconds)
        app = app_ref()
        if app is None:
            return
        try:
            beat(app)
        except RedisError as error:
            log.warning("presence heartbeat of process %s failed: %s", process.id, error)
        del app


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
