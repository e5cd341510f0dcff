"""Fixtures: a fresh app per test on SQLite (fast layer) and on PostgreSQL (real layer).

Every test that takes `app` (or `client`, `api`...) runs once per database backend: `[sqlite]` on an
in-memory database, `[postgresql]` on the real server, its tables emptied between tests.
"""

from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.pool import StaticPool

from app import create_app, database
from app.extensions import db
from tests import backends
from tests.factories import AgentFactory, bind_factories
from tests.helpers import ApiClient

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": True,
    "RATELIMIT_ENABLED": False,
    "RQ_ASYNC": False,
    "REDIS_URL": "",
    "SERVER_NAME": "localhost",
    # Mails of tests that do not look at them go nowhere rather than into the instance's mail log.
    "MAIL_LOG": os.devnull,
}

_postgres_schema_ready = False


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    The fixture keeps an app context open for the test body; without this, requests would share its
    `g` (Flask-Login caches the signed-in user there) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _sqlite_config() -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}},
    }


def _empty_postgres_tables() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


def pytest_collection_modifyitems(items) -> None:
    """Mark every PostgreSQL run `postgres`, also where a test names its backends itself
    (`parametrize("backend", ["postgresql"], indirect=True)`), so `-m "not postgres"` leaves them out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def app_config(backend) -> dict:
    """Settings of the app under test; a test may override it to change one setting."""
    config = dict(BASE_CONFIG)
    if backend == "sqlite":
        config.update(_sqlite_config())
    else:
        url, reason = backends.postgres_url()
        if url is None:
            backends.unavailable(reason)
        config["SQLALCHEMY_DATABASE_URI"] = url
    return config


@pytest.fixture
def app(app_config, backend):
    global _postgres_schema_ready
    app = create_app(app_config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        else:
            if not _postgres_schema_ready:
                db.drop_all()
                db.create_all()
                _postgres_schema_ready = True
            _empty_postgres_tables()
        bind_factories()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    return AgentFactory(role="admin", name="Ada Admin")


@pytest.fixture
def supervisor(app):
    return AgentFactory(role="supervisor", name="Sam Supervisor")


@pytest.fixture
def agent(app):
    return AgentFactory(role="agent", name="Alex Agent")


@pytest.fixture
def as_admin(app, admin) -> ApiClient:
    return ApiClient.for_agent(app, admin)


@pytest.fixture
def as_supervisor(app, supervisor) -> ApiClient:
    return ApiClient.for_agent(app, supervisor)


@pytest.fixture
def as_agent(app, agent) -> ApiClient:
    return ApiClient.for_agent(app, agent)


@pytest.fixture
def unchecked_pool(app, monkeypatch):
    """Pooled connections handed out without the idle check, as within a second of their last use: a
    connection the server cut is then met by the request that uses it."""
    monkeypatch.setattr(database, "IDLE_SECONDS_BEFORE_PING", float("inf"))
    return db.engine


@pytest.fixture
def redis_down(app):
    """Redis out of reach, as when it is stopped: jobs are enqueued for real, and every command to Redis
    fails. Returns the stand-in server; `connected = True` brings it back."""
    import fakeredis

    server = fakeredis.FakeServer()
    server.connected = False
    app.config["RQ_ASYNC"] = True
    app.extensions["redis"] = fakeredis.FakeRedis(server=server)
    return server
