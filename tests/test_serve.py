"""What `make run` starts (scripts/serve.py, `services()`): one process in embedded mode; in production
mode nginx in front of the web workers and the real-time process, with worker.py beside them. The live
layer (tests/live) starts the same list against real servers; here only the list and the front's
configuration are read."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from scripts import serve

PRODUCTION = {"REDIS_URL": "redis://127.0.0.1:6379/0", "HOST": "127.0.0.1", "PORT": "6000"}


@pytest.fixture
def nginx(monkeypatch):
    """nginx as found on the machine, or a stand-in path when it is not installed."""
    monkeypatch.setattr(serve, "_nginx", lambda: shutil.which("nginx", path="/usr/sbin:/usr/bin") or "nginx")


def plan(tmp_path, **settings) -> dict[str, serve.Service]:
    return {s.name: s for s in serve.services({**settings, "RUN_DIR": str(tmp_path / "run")})}


def location(config: str, path: str) -> str:
    return re.search(rf"location {re.escape(path)} \{{(.*?)\}}", config, re.S).group(1)


def test_embedded_mode_is_one_gunicorn_process_of_32_threads(tmp_path):
    services = plan(tmp_path, HOST="127.0.0.1", PORT="6000")

    assert list(services) == ["web"]
    assert services["web"].args[-2:] == ["-c", "gunicorn.conf.py"]
    assert services["web"].env["WEB_WORKERS"] == "1"
    assert services["web"].env["WEB_THREADS"] == "32"
    assert services["web"].env["PORT"] == "6000"


def test_production_mode_puts_nginx_in_front_of_the_web_workers_and_the_real_time_process(tmp_path, nginx):
    services = plan(tmp_path, **PRODUCTION)

    assert list(services) == ["worker", "web", "realtime", "front"]
    web, realtime = services["web"], services["realtime"]
    assert web.args[-1] == "gunicorn.conf.py"
    assert (web.env["PORT"], web.env["WEB_WORKERS"], web.env["WEB_THREADS"]) == ("6001", "4", "2")
    assert realtime.args[-1] == "gunicorn_realtime.conf.py"
    assert realtime.env["PORT"] == "6002"
    # Behind the front, a client's address is the one nginx adds to X-Forwarded-For.
    assert web.env["TRUSTED_PROXY_COUNT"] == realtime.env["TRUSTED_PROXY_COUNT"] == "1"
    assert services["worker"].args[-1] == "worker.py"


def test_the_front_counts_itself_on_top_of_the_proxies_before_it(tmp_path, nginx):
    services = plan(tmp_path, **PRODUCTION, TRUSTED_PROXY_COUNT="1")

    assert services["web"].env["TRUSTED_PROXY_COUNT"] == "2"


def test_the_front_sends_socket_io_to_the_real_time_process_unbuffered_with_websocket_upgrades(
    tmp_path, nginx
):
    plan(tmp_path, **PRODUCTION, WEB_PORT="7001", REALTIME_PORT="7002")
    config = (tmp_path / "run" / "nginx.conf").read_text()

    assert "listen 127.0.0.1:6000;" in config
    assert re.search(r"upstream realtime \{\s*server 127\.0\.0\.1:7002;", config)
    assert re.search(r"upstream web \{\s*server 127\.0\.0\.1:7001;", config)
    sockets = location(config, "/socket.io/")
    assert "proxy_pass http://realtime;" in sockets
    assert "proxy_set_header Upgrade $http_upgrade;" in sockets
    assert "proxy_set_header Connection $connection_upgrade;" in sockets
    assert "proxy_buffering off;" in sockets
    pages = location(config, "/")
    assert "proxy_pass http://web;" in pages
    assert 'proxy_set_header Connection "";' in pages  # keep-alive to the web workers
    for block in (sockets, pages):  # a location's own headers replace every inherited one
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in block
        assert "proxy_set_header Host $http_host;" in block
    assert "daemon off;" in config
    assert str(tmp_path / "run") in config  # pid and temporary files: nothing outside RUN_DIR


@pytest.mark.skipif(shutil.which("nginx", path="/usr/sbin:/usr/bin") is None, reason="nginx is not installed")
def test_nginx_accepts_the_front_configuration(tmp_path, nginx):
    services = plan(tmp_path, **PRODUCTION)
    front = services["front"].args

    checked = subprocess.run([*front, "-t"], capture_output=True, text=True, timeout=30)

    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("settings", "reason"),
    [({"FRONT": "none"}, "FRONT=none"), ({"FRONT": "haproxy"}, "neither nginx nor none")],
)
def test_production_without_a_front_serves_from_one_process_and_says_why(tmp_path, nginx, settings, reason):
    services = plan(tmp_path, **PRODUCTION, **settings)

    assert list(services) == ["worker", "web"]
    assert services["web"].env["WEB_WORKERS"] == "1"  # long-polling needs a session's requests in one
    assert reason in services["web"].notes[0]


def test_production_without_nginx_installed_falls_back_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "_nginx", lambda: "")

    services = plan(tmp_path, **PRODUCTION)

    assert list(services) == ["worker", "web"]
    assert "nginx is not installed" in services["web"].notes[0]
