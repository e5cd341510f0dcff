"""Where the real-server test layer finds PostgreSQL and Redis, and what to do when it cannot.

Without `TEST_DATABASE_URL` / `TEST_REDIS_URL`, or with servers that do not answer, those tests are
skipped with the reason; under `CI=true` that is a failure instead, so CI cannot go green on fakes alone.

Run in parallel (`pytest -n N`, as `make test` does), each worker has its own database and Redis
database, since tests empty both: worker `gwK` uses the database named with `_gwK` appended and the
Redis database K below the one named (15, 14, ... for `/15`).
"""

from __future__ import annotations

import functools
import os

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import database_url

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs this server: {reason}", pytrace=False)
    pytest.skip(reason)


@functools.cache
def postgres_url() -> tuple[str | None, str]:
    """The test database URL (created if missing) or None, and why not."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        return None, "TEST_DATABASE_URL is not set"
    url = make_url(database_url(raw))
    if (worker := _worker_number()) is not None:
        url = url.set(database=f"{url.database}_gw{worker}")
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    except Exception as exc:
        return None, f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable: {exc}"
    return url.render_as_string(hide_password=False), ""


@functools.cache
def redis_url() -> tuple[str | None, str]:
    raw = os.environ.get("TEST_REDIS_URL")
    if not raw:
        return None, "TEST_REDIS_URL is not set"
    if (worker := _worker_number()) is not None:
        url = make_url(raw)
        number = int(url.database or 0) - worker
        if number < 0:
            return None, f"no Redis database is left below {url.database} for test worker {worker}"
        raw = url.set(database=str(number)).render_as_string(hide_password=False)
    try:
        redis.Redis.from_url(raw, socket_connect_timeout=2).ping()
    except Exception as exc:
        return None, f"Redis at {raw} is not reachable: {exc}"
    return raw, ""


def empty_redis() -> str:
    """The test Redis's URL, its database emptied; skips (fails under CI) when there is none."""
    url, reason = redis_url()
    if url is None:
        unavailable(reason)
    redis.Redis.from_url(url).flushdb()
    return url


def _worker_number() -> int | None:
    """This process's number among pytest-xdist's workers (`gw0` is 0), or None when run alone."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return int(worker.removeprefix("gw")) if worker else None
