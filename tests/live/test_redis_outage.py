"""Redis stops, and starts again empty, under a running desk.

The module's web server and worker run on a Redis server of its own (on a free port, keeping nothing on
disk, as ours in production), which the tests stop and start again; nothing else on the machine shares
it. While it is down, what does not need Redis goes on: the public complaint form stores complaints and
confirms them, the API opens tickets, people sign in, and the rate limits count in each process's
memory. Once it is back the worker, which waited it out, books its periodic jobs again and the outbox
sweep sends what waited, once. Timings are shortened through the environment: the sweep runs every two
seconds and takes rows two seconds overdue; the web server trusts one proxy, so each test comes from a
client address of its own.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import requests

from tests.live.conftest import (
    ADMIN_EMAIL,
    PASSWORD,
    START_SECONDS,
    eventually,
    free_port,
    issue_token,
    post_complaint,
    start_desk,
)

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

FORM_LIMIT = 3


class RedisServer:
    """`redis-server` on a port of its own, started and stopped by the test; it keeps nothing on disk."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(args, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT)
        eventually(self.answers, timeout=START_SECONDS, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # a shutdown that saves nothing (--save "")
            self.process.wait(timeout=START_SECONDS)
        self.process = None

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            return False


@pytest.fixture(scope="module")
def desk(stack, tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    stack.redis_url = server.url
    stack.configure(
        REDIS_URL=server.url,
        NOTIFICATION_SWEEP_INTERVAL_SECONDS=2,
        NOTIFICATION_SWEEP_GRACE_SECONDS=2,
        PORTAL_RATE_LIMIT=f"{FORM_LIMIT} per minute",
        TRUSTED_PROXY_COUNT=1,
    )
    web, worker, admin = start_desk(stack)
    try:
        yield SimpleNamespace(stack=stack, web=web, worker=worker, admin=admin, redis=server)
    finally:
        stack.stop()  # before their Redis goes
        server.stop()


@pytest.fixture
def redis_down(desk):
    """Redis stopped for the test; started again (empty) by `desk.redis.start()` or at its end."""
    desk.redis.stop()
    yield
    if desk.redis.process is None:
        desk.redis.start()


def browser() -> requests.Session:
    """A browser at a client address of its own (the web server trusts one proxy's X-Forwarded-For)."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = f"198.51.100.{secrets.randbelow(250) + 1}"
    return session


def mails_to(desk, recipient: str) -> list[dict]:
    log = desk.stack.mail_log
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [mail for mail in map(json.loads, lines) if mail["to"] == recipient]


def outbox(desk, recipient: str) -> list:
    return desk.stack.sql(
        "SELECT kind, status, attempts FROM notifications WHERE recipient = :recipient", recipient=recipient
    )


def test_with_redis_stopped_a_web_complaint_is_stored_and_confirmed_and_mailed_once_redis_is_back(
    desk, redis_down
):
    email = f"rosa-{secrets.token_hex(4)}@example.com"
    session = browser()

    posted = post_complaint(session, desk.web.url, email)

    assert posted.status_code == 302, posted.text
    confirmation = session.get(desk.web.url + posted.headers["Location"], timeout=30)
    [ticket] = desk.stack.sql(
        "SELECT t.reference FROM tickets t JOIN customers c ON c.id = t.customer_id"
        " JOIN contact_points p ON p.customer_id = c.id WHERE p.value = :email",
        email=email,
    )
    assert ticket.reference in confirmation.text
    assert outbox(desk, email) == [("ticket_received", "pending", 0)]

    desk.redis.start()

    eventually(
        lambda: outbox(desk, email) == [("ticket_received", "sent", 1)],
        timeout=60,
        what="the confirmation sent after Redis returned",
    )
    [mail] = mails_to(desk, email)
    assert ticket.reference in mail["subject"]
    desk.worker.expect_running()


def test_with_redis_stopped_the_api_opens_tickets_and_people_sign_in(desk, redis_down):
    created = desk.admin.post(
        "/api/v1/tickets",
        json={"subject": "Where is my order?", "customer": {"name": "Li Wei", "phone": "+12025550143"}},
    )
    assert created.status_code == 201, created.text

    assert issue_token(desk.web.url, ADMIN_EMAIL)["token"]
    session = browser()
    page = session.get(f"{desk.web.url}/login", timeout=30)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    signed_in = session.post(
        f"{desk.web.url}/login",
        data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text
    assert session.get(desk.web.url + signed_in.headers["Location"], timeout=30).status_code == 200


def test_with_redis_stopped_a_flood_of_complaints_from_one_address_is_still_refused(desk, redis_down):
    session = browser()
    answers = [
        post_complaint(session, desk.web.url, f"flood-{n}-{secrets.token_hex(2)}@example.com").status_code
        for n in range(FORM_LIMIT + 2)
    ]

    assert answers[:FORM_LIMIT] == [302] * FORM_LIMIT
    assert answers[FORM_LIMIT:] == [429, 429]
    # Said in the log, for the operator.
    assert "falling back to in-memory storage" in desk.web.output()


def test_a_web_server_starts_while_redis_is_down(desk, redis_down):
    started = desk.stack.start_web("web-started-without-redis")  # waits for its /login page

    posted = post_complaint(browser(), started.url, f"ada-{secrets.token_hex(4)}@example.com")

    assert posted.status_code == 302, posted.text


def test_a_worker_asked_to_stop_while_redis_is_down_stops(desk, redis_down):
    """It waits Redis out, but not a stop: RQ cannot note one in a Redis that is down. (Last: the
    module's worker is gone after it.)"""
    desk.worker.signal_stop()  # SIGTERM, RQ's warm shutdown

    eventually(lambda: not desk.worker.running(), timeout=30, what="the worker to stop")
    assert desk.worker.popen.returncode == 0, desk.worker.output()
