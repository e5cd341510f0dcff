"""Pooled database connections, checked before use without a round trip on every request."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from app.extensions import db

# A connection given back to the pool less than this long ago is handed out again unchecked.
IDLE_SECONDS_BEFORE_PING = 1.0
_GIVEN_BACK_AT = "switchboard_given_back_at"


def configure(app: Flask) -> None:
    """Engine settings the URL decides (before Flask-SQLAlchemy makes the engine): a PostgreSQL server
    that does not answer (a host down, packets dropped) fails a connection attempt after
    `DATABASE_CONNECT_TIMEOUT_SECONDS` instead of holding the request until the operating system gives up."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = {"connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT_SECONDS"]}
    options["connect_args"] = {**connect_args, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine)


def ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before handing it out when it has sat idle for a second or more.

    SQLAlchemy's `pool_pre_ping` checks every checkout: one more round trip to the database for every
    request (a sixth of a ticket creation's). A connection given back less than a second ago was
    working then (the same bypass window as HikariCP's); one idle for longer may have been closed by a
    database restart or a firewall, and is replaced before anyone uses it. If the ping finds it dead,
    the whole pool is dropped, so a restart costs no request. Only a connection that dies within the
    second fails its next request, which also drops the pool.
    """

    def _working_now(_dbapi_connection, record) -> None:
        record.info[_GIVEN_BACK_AT] = time.monotonic()

    # A connection just opened is as alive as one just given back.
    event.listen(engine, "connect", _working_now)
    event.listen(engine, "checkin", _working_now)

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get(_GIVEN_BACK_AT, 0.0) < IDLE_SECONDS_BEFORE_PING:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            dead = DisconnectionError(f"A pooled connection was closed: {error}")
            dead.invalidate_pool = True  # the others were opened before the same restart
            raise dead from error
