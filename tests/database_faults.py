"""The database away, as the real test layer makes it: connections cut by the PostgreSQL server itself
(`pg_terminate_backend` from another connection, as a restart does to every connection), and the
database refusing new ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from app.extensions import db


def cut_every_connection() -> int:
    """What a restart does to the app's connections: the server ends each of them. (From the
    maintenance database: the app's own may be refusing connections.)"""
    with _maintenance_connection() as connection:
        return connection.scalar(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": db.engine.url.database},
        )


@contextmanager
def refusing_connections() -> Iterator[None]:
    """The database unreachable: new connections refused, the open ones cut."""
    name = db.engine.url.database
    with _maintenance_connection() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
    cut_every_connection()
    try:
        yield
    finally:
        with _maintenance_connection() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


@contextmanager
def _maintenance_connection() -> Iterator[Connection]:
    engine = create_engine(db.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def assert_retry_later(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "3"
    assert response.headers["Cache-Control"] == "no-store"
