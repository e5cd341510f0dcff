"""Per-process caches of rows that every request reads and few requests write (an API token with its
agent, the SLA policies), kept fresh across processes by a version stamp in Redis.

A commit that wrote rows of a watched model (`watch`) stamps a new random version in Redis and empties
its own process's caches. Every app context reads the stamp once, when it first needs a cached value;
a process whose values were cached under another stamp drops them and loads again. So a change (a
revoked token, a disabled agent, a new policy) is seen by every web and worker process from their next
request or job on, as if each request had read the database.

- The stamp is random, never a counter: a Redis that lost its data (restarted, flushed) cannot bring
  back a stamp some process still holds values under.
- A value is loaded after the stamp was read, so it is at least as new as the commit that set the
  stamp. That holds on PostgreSQL, where each statement reads what was committed before it began; a
  SQLite transaction reads from a snapshot taken at its first statement, which may be older than the
  stamp, so on SQLite (the embedded, single-process mode) nothing is cached.
- Redis out of reach, or a transaction that has written watched rows itself: nothing cached, nothing
  served from the cache, values come from the database.
- Values are loaded again after `MAX_AGE_SECONDS` at the latest, a bound on staleness should a stamp
  ever fail to reach Redis after its commit.
- Writes are seen when they go through the session: the flush's rows (mapper events) and ORM
  `update()`/`delete()` statements. Raw SQL on a watched table goes unseen: write those rows through
  the session.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from app.extensions import db
from app.queue import redis_connection

log = logging.getLogger(__name__)

T = TypeVar("T")

VERSION_KEY = "switchboard:process-cache:version"
MAX_AGE_SECONDS = 60.0
_WRITTEN = "process_cache.written"  # session.info: this transaction wrote watched rows
_G_VERSION = "_process_cache_version"  # g: the stamp this app context read

_watched: tuple[type, ...] = ()


class _Values:
    """One process's cached values, all under one stamp; replaced whole, never emptied in place, so a
    thread still holding the previous one is not disturbed."""

    def __init__(self, version: bytes | None = None) -> None:
        self.version = version
        self.loaded_at = time.monotonic()
        self.by_key: dict[tuple[str, Hashable], Any] = {}


def init_app(app: Flask) -> None:
    app.extensions["process_cache"] = _Values()


def watch(*models: type) -> None:
    """Have commits that write these models' rows stamp a new version (each room names its own)."""
    global _watched
    for model in models:
        if model in _watched:
            continue
        for name in ("after_insert", "after_update", "after_delete"):
            event.listen(model, name, _row_written)
        _watched = (*_watched, model)


def cached(name: str, key: Hashable, load: Callable[[], T]) -> T:
    """The value cached under `name` and `key` in this process, else what `load()` returns (kept, unless
    None, when the rules in the module docstring allow). `load` reads through the request's session;
    what it returns is shared by every thread of the process, so it must hold no session-bound
    objects and must not be changed by whoever gets it."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql" or _writing(session):
        return load()
    version = _version()
    if version is None:
        return load()
    values = current_app.extensions["process_cache"]
    if values.version != version or time.monotonic() - values.loaded_at > MAX_AGE_SECONDS:
        values = current_app.extensions["process_cache"] = _Values(version)
    try:
        return values.by_key[(name, key)]
    except KeyError:
        value = load()
        if value is not None:  # nothing found is not kept: guessed keys (tokens) cannot fill the cache
            values.by_key[(name, key)] = value
        return value


def _writing(session: Session) -> bool:
    """Whether this transaction wrote, or is about to flush, rows of a watched model."""
    if session.info.get(_WRITTEN):
        return True
    return any(isinstance(obj, _watched) for obj in chain(session.new, session.dirty, session.deleted))


def _version() -> bytes | None:
    """The stamp, read once per app context (set first if Redis has none); None without Redis."""
    if _G_VERSION not in g:
        try:
            redis = redis_connection()
            version = redis.get(VERSION_KEY)
            if version is None:
                redis.set(VERSION_KEY, uuid.uuid4().hex, nx=True)
                version = redis.get(VERSION_KEY)
        except RedisError:
            log.warning("Redis is out of reach: cached rows are read from the database meanwhile.")
            version = None
        setattr(g, _G_VERSION, version)
    return getattr(g, _G_VERSION)


def _row_written(_mapper: Any, _connection: Any, target: Any) -> None:
    if session := object_session(target):
        session.info[_WRITTEN] = True


@event.listens_for(Session, "do_orm_execute")
def _statement_written(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _watched:
        state.session.info[_WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _stamp(session: Session) -> None:
    """A committed write to watched rows: a new stamp for every process, an empty cache for this one."""
    if not session.info.pop(_WRITTEN, False) or not has_app_context():
        return
    current_app.extensions["process_cache"] = _Values()
    g.pop(_G_VERSION, None)
    try:
        redis_connection().set(VERSION_KEY, uuid.uuid4().hex)
    except RedisError:
        log.error("No new cache stamp: other processes see the change within %s s.", MAX_AGE_SECONDS)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    # A savepoint's rollback leaves what the transaction wrote before it: that still needs a stamp.
    if not previous_transaction.nested:
        session.info.pop(_WRITTEN, None)
