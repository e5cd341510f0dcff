"""The application factory: the one place that lists the rooms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from socketio import RedisManager
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, database, errors, i18n, inputs, process_cache, queue, security_headers, versions
from app.extensions import api, csrf, db, init_limiter, login_manager, migrate, socketio

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment(Path(app.instance_path)))
    app.config.update(overrides or {})

    if proxies := app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    database.configure(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    init_limiter(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    api.init_app(app)
    queue.init_app(app)
    process_cache.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        client_manager=_socketio_message_queue(app),
        cors_allowed_origins=[],
    )
    errors.init_app(app)
    versions.init_app(app)
    inputs.init_app(app)

    from app import accounts, callcenter, customers, demo, jobs, kpi, notifications, portal, tickets

    for room in (accounts, customers, jobs, tickets, notifications, portal, callcenter, kpi, demo):
        room.init_app(app)
    security_headers.init_app(app)
    return app


def _socketio_message_queue(app: Flask) -> RedisManager | None:
    """How Socket.IO servers pass messages to each other: through Redis, or (embedded) not at all.

    Redis down is no error of the request that emits: python-socketio logs the message it could not
    publish and drops it (consoles resync over HTTP), and listens again once Redis is back. Connecting
    to a Redis that does not answer gives up after `REDIS_CONNECT_TIMEOUT_SECONDS`. No socket timeout:
    the listening connection idles until a message comes.
    """
    if not (url := app.config["REDIS_URL"]):
        return None
    return RedisManager(
        url,
        channel=app.config["SOCKETIO_CHANNEL"],
        redis_options={"socket_connect_timeout": app.config["REDIS_CONNECT_TIMEOUT_SECONDS"]},
    )


@event.listens_for(Engine, "connect")
def _enforce_sqlite_foreign_keys(dbapi_connection, _record):
    # SQLite ignores foreign keys unless asked, per connection; PostgreSQL always enforces them.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
