"""Socket.IO over a real socket: consoles connect to `/agents` on the production web server, and what
another process emits through Redis reaches the right agent's consoles.

The server is the production shape of `make run`: nginx in front routes `/socket.io/` to the real-time
process (gunicorn, one gevent worker) and everything else to the web workers.

The emitting process is `worker.py` running a job (`tests.sample_jobs.emit_to_agent`), the path the
console's offers and updates will take. The client is python-socketio's, as a browser's would be: it
starts with long-polling and upgrades to a WebSocket.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import threading
from types import SimpleNamespace
from typing import Any

import pytest
import redis
import requests
import socketio
from rq import Queue

from app.callcenter.services import AGENTS_NAMESPACE
from tests.live.conftest import BIN, PASSWORD, ROOT, Api, eventually, issue_token, start_desk

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

EVENT = "notice"


@pytest.fixture(scope="module")
def desk(stack):
    web, worker, admin = start_desk(stack)
    agents = {}
    for name in ("alex", "maria"):
        email = f"{name}@live.example"
        agents[name] = SimpleNamespace(
            id=admin.create_agent(email), email=email, token=issue_token(web.url, email)["token"]
        )
    jobs = Queue("default", connection=redis.Redis.from_url(stack.redis_url))
    return SimpleNamespace(stack=stack, web=web, worker=worker, admin=admin, jobs=jobs, **agents)


class Console:
    """A Socket.IO client connected to `/agents`, keeping every event it receives."""

    def __init__(self, url: str, *, auth: Any = None, headers: dict[str, str] | None = None):
        self.received: list[tuple[str, Any]] = []
        self.refusals: list[Any] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._event, namespace=AGENTS_NAMESPACE)
        self.client.on("connect_error", self.refusals.append, namespace=AGENTS_NAMESPACE)
        self.url, self.auth, self.headers = url, auth, headers or {}

    def _event(self, event: str, data: Any = None) -> None:
        with self.lock:
            self.received.append((event, data))

    def connect(self) -> Console:
        self.client.connect(
            self.url, namespaces=[AGENTS_NAMESPACE], auth=self.auth, headers=self.headers, wait_timeout=10
        )
        return self

    def nonces(self) -> list[str]:
        with self.lock:
            return [data["nonce"] for event, data in self.received if event == EVENT]

    def wait_for(self, nonce: str) -> None:
        eventually(lambda: nonce in self.nonces(), what=f"event {nonce} to reach the console")

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def consoles():
    opened: list[Console] = []

    def open_console(url: str, **kwargs: Any) -> Console:
        console = Console(url, **kwargs)
        opened.append(console)
        return console.connect()

    yield open_console
    for console in opened:
        console.close()


def emit_from_worker(desk, agent_id: int) -> str:
    """Have the worker process emit an event with a fresh nonce to the agent's room; the nonce."""
    nonce = secrets.token_hex(8)
    job = desk.jobs.enqueue("tests.sample_jobs.emit_to_agent", agent_id, EVENT, {"nonce": nonce})
    eventually(lambda: job.get_status(refresh=True) in {"finished", "failed"}, what="the emitting job to run")
    assert job.get_status() == "finished", job.latest_result()
    return nonce


def refused(desk, **kwargs: Any) -> Console:
    console = Console(desk.web.url, **kwargs)
    with pytest.raises(socketio.exceptions.ConnectionError):
        console.connect()
    console.close()
    return console


def test_a_console_with_an_api_token_receives_what_a_worker_job_emits_to_its_agents_room(desk, consoles):
    console = consoles(desk.web.url, auth={"token": desk.alex.token})

    nonce = emit_from_worker(desk, desk.alex.id)

    console.wait_for(nonce)
    assert console.received == [(EVENT, {"nonce": nonce})]
    assert console.client.transport() == "websocket"  # upgraded from long-polling, as a browser's


def test_consoles_are_served_by_the_real_time_process_and_pages_by_the_web_workers(desk, consoles):
    realtime, web = desk.web.part("realtime"), desk.web.part("web")
    handshakes = realtime.output().count("GET /socket.io/")

    console = consoles(desk.web.url, auth={"token": desk.alex.token})
    nonce = emit_from_worker(desk, desk.alex.id)
    console.wait_for(nonce)

    # Its long-polling handshake is in the real-time process's access log; none is in the web's.
    logged = lambda: realtime.output().count("GET /socket.io/") > handshakes  # noqa: E731
    eventually(logged, what="the handshake's log line")
    assert "/socket.io/" not in web.output()
    assert "GET /login" in web.output()


def test_a_console_hears_nothing_from_an_install_on_another_channel_of_the_same_redis(desk, consoles):
    console = consoles(desk.web.url, auth={"token": desk.alex.token})
    elsewhere = secrets.token_hex(8)
    emit = (
        "import sys; from app import create_app; from app.extensions import socketio; create_app();"
        "socketio.emit(sys.argv[1], {'nonce': sys.argv[2]}, to=sys.argv[3], namespace=sys.argv[4])"
    )
    subprocess.run(
        [str(BIN / "python"), "-c", emit, EVENT, elsewhere, f"agent:{desk.alex.id}", AGENTS_NAMESPACE],
        cwd=ROOT,
        env=desk.stack.environment(SOCKETIO_CHANNEL="another-install"),
        check=True,
        timeout=60,
    )

    here = emit_from_worker(desk, desk.alex.id)  # after the other: it would have come first

    console.wait_for(here)
    assert console.nonces() == [here]


def test_a_console_does_not_receive_what_is_emitted_to_another_agents_room(desk, consoles):
    alex = consoles(desk.web.url, auth={"token": desk.alex.token})
    maria = consoles(desk.web.url, auth={"token": desk.maria.token})

    for_maria = emit_from_worker(desk, desk.maria.id)
    maria.wait_for(for_maria)
    for_alex = emit_from_worker(desk, desk.alex.id)
    alex.wait_for(for_alex)

    # Both went through the same server in this order: had Alex's console been given Maria's event,
    # it would have come before his own.
    assert alex.nonces() == [for_alex]
    assert maria.nonces() == [for_maria]


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": ""}, {"token": "sb_" + "x" * 43}, {"token": 12345}, "a string"],
    ids=["nothing", "no-token", "empty-token", "unknown-token", "not-text", "not-a-dict"],
)
def test_a_connection_without_valid_credentials_is_refused(desk, auth):
    console = refused(desk, auth=auth)

    assert console.refusals and "Sign in" in str(console.refusals[-1])


def test_a_revoked_token_is_refused_from_then_on(desk, consoles):
    issued = issue_token(desk.web.url, desk.alex.email)
    consoles(desk.web.url, auth={"token": issued["token"]})  # good until revoked

    revoked = Api(desk.web.url, issued["token"]).delete(f"/api/v1/auth/tokens/{issued['id']}")

    assert revoked.status_code == 200, revoked.text
    refused(desk, auth={"token": issued["token"]})


def test_a_bad_token_is_refused_even_beside_a_signed_in_session(desk):
    cookie = signed_in_cookie(desk, desk.maria.email)

    refused(desk, auth={"token": "sb_not-a-token"}, headers={"Cookie": cookie})


def signed_in_cookie(desk, email: str) -> str:
    """Sign in through the login page, as a browser does; the session cookie, as a Cookie header."""
    browser = requests.Session()
    page = browser.get(f"{desk.web.url}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed_in = browser.post(
        f"{desk.web.url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def test_a_signed_in_browser_connects_by_its_session_cookie_and_receives_its_events(desk, consoles):
    console = consoles(desk.web.url, headers={"Cookie": signed_in_cookie(desk, desk.maria.email)})

    nonce = emit_from_worker(desk, desk.maria.id)

    console.wait_for(nonce)
    assert console.nonces() == [nonce]
