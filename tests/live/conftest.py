"""The live layer: the processes of production mode, started as `make run` starts them.

Each test module gets a PostgreSQL database of its own (a copy of one that `flask db upgrade` built at
the start of the run: a fresh, migrated schema), this test process's Redis database emptied (see
`tests/backends.py` for the names each pytest-xdist worker uses), and the processes it starts through
`Stack`: the processes of `make run` in production mode (`DATABASE_URL`, `REDIS_URL`), from the same
list (`scripts.serve.services`): the web server (nginx in front, gunicorn's web workers and the
real-time process behind it, on free ports) and `worker.py`. Tests talk to them over HTTP and
Socket.IO and read the outcome with plain SQL, as an operator would; no use case runs in the test
process. Like the rest of the real-server layer, a missing PostgreSQL or Redis skips these tests with
the reason, and fails them under `CI=true`.

A failing test's report carries the output of every process still running (gunicorn's access log
included); a process that does not come up fails with its output.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import requests
from aiosmtpd.controller import Controller
from rq import Worker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from scripts import serve
from tests import backends

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Generous: the machine may be busy with other test processes; a healthy start takes a few seconds.
START_SECONDS = 60.0
STOP_SECONDS = 15.0
ADMIN_EMAIL = "admin@live.example"
PASSWORD = "live-layer-password"

T = TypeVar("T")

# Processes of the current module, for the reports of failing tests.
_running: list[LiveProcess] = []


def eventually(check: Callable[[], T], *, timeout: float = 20.0, interval: float = 0.1, what: str = "") -> T:
    """The first truthy value `check()` returns, polling until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what or check}; last value: {value!r}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveProcess:
    """A child process whose output (stdout and stderr) goes to a file, read back on failure."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path, stop_signal: int):
        self.name = name
        self.log_path = log_path
        self.stop_signal = stop_signal
        self.stopping = False
        with log_path.open("wb") as log:
            # A session of its own: stopping it never reaches the test process's group.
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.popen.pid
        _running.append(self)

    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self, limit: int = 20_000) -> str:
        data = self.log_path.read_bytes() if self.log_path.exists() else b""
        cut = b"[...]\n" if len(data) > limit else b""
        return (cut + data[-limit:]).decode(errors="replace")

    def expect_running(self) -> None:
        if not self.running():
            pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.output()}", pytrace=False)

    def signal_stop(self) -> None:
        """Ask it to stop (once: a second SIGTERM would make RQ's worker drop everything)."""
        if self in _running:
            _running.remove(self)
        if not self.stopping and self.running():
            self.stopping = True
            self.popen.send_signal(self.stop_signal)

    def stop(self) -> None:
        self.signal_stop()
        try:
            self.popen.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            # Its own process group (see above): the worker's scheduler, gunicorn's workers.
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait()


class WebServer:
    """What serves HTTP and Socket.IO in production mode, as `make run` starts it (`scripts.serve.services`):
    nginx in front on a port of its own, the web workers behind it, and the real-time process for
    `/socket.io/`; each part a process of its own (one process when the front falls back, see
    scripts/serve.py)."""

    def __init__(self, name: str, parts: list[LiveProcess], port: int):
        self.name = name
        self.parts = parts
        self.url = f"http://127.0.0.1:{port}"

    def part(self, name: str) -> LiveProcess:
        return next(part for part in self.parts if part.name.endswith(f"-{name}"))

    def running(self) -> bool:
        return all(part.running() for part in self.parts)

    def output(self, limit: int = 20_000) -> str:
        return "\n".join(f"--- {part.name}\n{part.output(limit)}" for part in self.parts)

    def expect_running(self) -> None:
        for part in self.parts:
            part.expect_running()

    def signal_stop(self) -> None:
        for part in self.parts:
            part.signal_stop()

    def stop(self) -> None:
        for part in self.parts:
            part.stop()

    def wait_ready(self) -> WebServer:
        """Once a page and a Socket.IO handshake answer through the front."""
        deadline = time.monotonic() + START_SECONDS
        for path in ("/login", "/socket.io/?EIO=4&transport=polling"):
            while True:
                self.expect_running()
                try:
                    if requests.get(self.url + path, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"{self.name} did not answer {path} within {START_SECONDS:g} s:\n{self.output()}",
                        pytrace=False,
                    )
                time.sleep(0.1)
        return self


class JobWorker(LiveProcess):
    """`python worker.py`: an RQ worker (with RQ's scheduler) inside the app."""

    def __init__(self, name: str, service: serve.Service, log_path: Path, redis_url: str):
        self.redis_url = redis_url
        # SIGTERM: RQ's warm shutdown, which also stops the scheduler and gives its locks back.
        super().__init__(name, service.args, service.env, log_path, signal.SIGTERM)

    def wait_ready(self) -> JobWorker:
        connection = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            self.expect_running()
            if any(worker.pid == self.pid for worker in Worker.all(connection=connection)):
                return self
            time.sleep(0.1)
        pytest.fail(
            f"{self.name} did not register within {START_SECONDS:g} s:\n{self.output()}", pytrace=False
        )

    def stop(self) -> None:
        """Warm shutdown; once the worker has stopped its scheduler and signed off in Redis, an end to
        the wait that may follow (with redis-py 8, RQ's last step can wait out the one-minute poll of
        its pub/sub thread before the process exits)."""
        self.signal_stop()
        connection = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + STOP_SECONDS
        while self.running() and time.monotonic() < deadline:
            if not any(worker.pid == self.pid for worker in Worker.all(connection=connection)):
                try:
                    self.popen.wait(0.5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        super().stop()


class Stack:
    """The processes of one test module, on its database and Redis database; stopped by the fixture."""

    def __init__(self, database_url: str, redis_url: str, directory: Path):
        self.database_url = database_url
        self.redis_url = redis_url
        self.directory = directory
        self.mail_log = directory / "mail.log"
        self.engine: Engine = create_engine(database_url, pool_size=2)
        self.processes: list[LiveProcess | WebServer] = []
        # What every process of the module gets; a module's fixture adds its own with `configure`.
        self.settings: dict[str, str] = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "live-layer-secret",
            "MAIL_SERVER": "",
            "MAIL_LOG": str(self.mail_log),
            "ATTACHMENTS_DIR": str(directory / "attachments"),
            "RATELIMIT_ENABLED": "true",
            "SOCKETIO_ASYNC_MODE": "threading",
            # Redis pub/sub ignores database numbers: a channel of its own keeps other runs' events out.
            "SOCKETIO_CHANNEL": f"switchboard-live-{secrets.token_hex(4)}",
            "WEB_WORKERS": "1",
            "WEB_THREADS": "8",
            "PYTHONUNBUFFERED": "1",
        }

    def configure(self, **settings: Any) -> None:
        self.settings.update({name: str(value) for name, value in settings.items()})

    def environment(self, **settings: Any) -> dict[str, str]:
        # Nothing of the test process's own configuration leaks in (a developer's DATABASE_URL...).
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TEST_"))}
        return {**inherited, **self.settings, **{name: str(value) for name, value in settings.items()}}

    def services(self, **settings: Any) -> dict[str, serve.Service]:
        """The processes `make run` would start with this module's settings, by name."""
        return {service.name: service for service in serve.services(self.environment(**settings))}

    def start_web(self, name: str = "web", *, wait: bool = True, **settings: Any) -> WebServer:
        """Everything `make run` starts but `worker.py`, each part on a free port, its front's files in a
        folder of its own."""
        port = free_port()
        # As `make run`: links in mails (written by the worker) lead to the first server started.
        self.settings.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
        planned = self.services(
            HOST="127.0.0.1",
            PORT=port,
            WEB_PORT=free_port(),
            REALTIME_PORT=free_port(),
            RUN_DIR=self.directory / f"{name}-run",
            **settings,
        )
        parts = [
            LiveProcess(
                f"{name}-{part}",
                service.args,
                service.env,
                self.directory / f"{name}-{part}.log",
                # SIGINT: gunicorn's quick shutdown (SIGTERM would wait for open Socket.IO connections).
                signal.SIGINT if service.args[0].endswith("gunicorn") else service.stop_signal,
            )
            for part, service in planned.items()
            if part != "worker"
        ]
        server = WebServer(name, parts, port)
        self.processes.append(server)
        return server.wait_ready() if wait else server

    def start_worker(self, name: str = "worker", *, wait: bool = True, **settings: Any) -> JobWorker:
        service = self.services(**settings)["worker"]
        worker = JobWorker(name, service, self.directory / f"{name}.log", self.redis_url)
        self.processes.append(worker)
        return worker.wait_ready() if wait else worker

    def flask(self, *args: str) -> str:
        """`flask --app wsgi ARGS` against this module's servers; its standard output."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=START_SECONDS * 2,
        )
        if done.returncode != 0:
            pytest.fail(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
        return done.stdout

    def sql(self, query: str, **params: Any) -> list[Any]:
        """The rows of a plain SQL query (each a named tuple)."""
        with self.engine.connect() as connection:
            return list(connection.execute(text(query), params))

    def stop(self) -> None:
        for process in self.processes:
            process.signal_stop()  # all at once: each takes a moment
        for process in self.processes:
            process.stop()
        self.engine.dispose()


class Api:
    """HTTP calls to a web server with a bearer token; answers are `requests` responses."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_agent(self, email: str, role: str = "agent", name: str | None = None) -> int:
        response = self.post(
            "/api/v1/agents",
            json={"email": email, "password": PASSWORD, "name": name or email.split("@")[0], "role": role},
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]


def issue_token(url: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """`POST /api/v1/auth/token`: the new token's `id` and `token`."""
    response = requests.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for process in _running:
            report.sections.append((f"{process.name} (pid {process.pid}) output", process.output()))
    return report


@pytest.fixture(scope="session")
def live_servers() -> Iterator[tuple[Engine, str, str]]:
    """PostgreSQL (its admin connection and the name of a migrated template database) and Redis for
    this test process; the template is built once per run by the real `flask db upgrade`."""
    url, reason = backends.postgres_url()
    if url is None:
        backends.unavailable(reason)
    redis_url, reason = backends.redis_url()
    if redis_url is None:
        backends.unavailable(reason)
    base = make_url(url)
    template = base.set(database=f"{base.database}_live_template")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    _recreate(admin, template.database)
    migrate = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": template.render_as_string(hide_password=False), "REDIS_URL": ""},
        capture_output=True,
        text=True,
        timeout=START_SECONDS * 3,
    )
    if migrate.returncode != 0:
        pytest.fail(f"flask db upgrade failed:\n{migrate.stdout}\n{migrate.stderr}", pytrace=False)
    yield admin, template.database, url
    for dropping in _drops:
        dropping.join()
    _drop(admin, template.database)
    admin.dispose()


@pytest.fixture(scope="module")
def stack(live_servers, tmp_path_factory) -> Iterator[Stack]:
    """A fresh database (a copy of the migrated template), an empty Redis database, and the processes
    the module starts; all stopped, and the database dropped, when the module is done."""
    admin, template, url = live_servers
    database = make_url(url)
    # A name of its own: the previous module's database may still be being dropped.
    database = database.set(database=f"{database.database}_live_{next(_module_numbers)}")
    _recreate(admin, database.database, template=template)
    redis_url = backends.empty_redis()
    stack = Stack(database.render_as_string(hide_password=False), redis_url, tmp_path_factory.mktemp("live"))
    try:
        yield stack
    finally:
        stack.stop()
        redis.Redis.from_url(redis_url).flushdb()
        _drop_meanwhile(admin, database.database)


def _recreate(admin: Engine, name: str, template: str | None = None) -> None:
    _drop(admin, name)
    with admin.connect() as connection:
        connection.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )


_module_numbers = itertools.count(1)
_drops: list[threading.Thread] = []


def _drop_meanwhile(admin: Engine, name: str) -> None:
    """Drop a module's database while the next module runs: a drop waits for a checkpoint, which takes
    seconds on a busy server, and nothing needs the database any more."""
    dropping = threading.Thread(target=_drop, args=(admin, name), name=f"drop {name}")
    dropping.start()
    _drops.append(dropping)


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def start_desk(stack: Stack) -> tuple[WebServer, JobWorker, Api]:
    """A web server and a worker on the module's stack (started side by side), and an admin's API
    client, the admin made by the command line as an operator would."""
    web = stack.start_web(wait=False)
    worker = stack.start_worker(wait=False)
    stack.flask(
        "accounts",
        "create",
        "--email",
        ADMIN_EMAIL,
        "--password",
        PASSWORD,
        "--role",
        "admin",
        "--name",
        "Ada",
    )
    web.wait_ready()
    worker.wait_ready()
    return web, worker, Api(web.url, issue_token(web.url, ADMIN_EMAIL)["token"])


def post_complaint(session: requests.Session, url: str, email: str) -> requests.Response:
    """GET the complaint form of the server at `url`, then POST it with its CSRF token and idempotency
    key, as a browser does (not following the redirect to the confirmation)."""
    form = session.get(f"{url}/complaints/new", timeout=30)
    assert form.status_code == 200, form.text
    hidden = dict(re.findall(r'name="(csrf_token|idempotency_key)"[^>]*value="([^"]*)"', form.text))
    return session.post(
        f"{url}/complaints/new",
        data={
            **hidden,
            "name": "Rosa Díaz",
            "email": email,
            "category": "delivery",
            "description": "The parcel arrived crushed.",
            "desired_outcome": "replacement",
        },
        allow_redirects=False,
        timeout=30,
    )


@contextmanager
def smtp_server(handler: T) -> Iterator[T]:
    """An SMTP server on a free port answering with `handler` (aiosmtpd), its port set as `handler.port`."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()
