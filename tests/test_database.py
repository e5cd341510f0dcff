"""Pooled connections (`app/database.py`): one the database closed while it sat in the pool is replaced
before a request uses it; one given back just now is handed out again without a round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app import database
from app.extensions import db

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def pool(app):
    """The app's engine with an empty pool, so the test decides which connections it holds."""
    db.session.remove()
    db.engine.dispose()
    return db.engine


@pytest.fixture
def pings(pool, monkeypatch) -> list[object]:
    seen: list[object] = []
    ping = pool.dialect.do_ping

    def counted(dbapi_connection):
        seen.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(pool.dialect, "do_ping", counted)
    return seen


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def close_from_the_server(pid: int) -> None:
    """What a database restart or a firewall does to an idle connection."""
    with create_engine(db.engine.url).connect() as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_connection_given_back_just_now_is_used_again_unchecked(pool, pings):
    first = backend_pid(pool)
    assert backend_pid(pool) == first
    assert backend_pid(pool) == first
    assert pings == []


def test_a_connection_closed_while_idle_is_replaced_before_use(pool, monkeypatch):
    closed = backend_pid(pool)
    close_from_the_server(closed)
    monkeypatch.setattr(database, "IDLE_SECONDS_BEFORE_PING", 0.0)  # it has sat idle long enough

    assert backend_pid(pool) != closed


def test_a_request_after_the_database_closed_every_idle_connection_succeeds(pool, monkeypatch, as_agent):
    held = [pool.connect() for _ in range(3)]
    pids = [connection.scalar(text("SELECT pg_backend_pid()")) for connection in held]
    for connection in held:
        connection.close()
    for pid in pids:
        close_from_the_server(pid)
    monkeypatch.setattr(database, "IDLE_SECONDS_BEFORE_PING", 0.0)

    response = as_agent.get("/api/v1/tickets")

    assert response.status_code == 200
    assert backend_pid(pool) not in pids
