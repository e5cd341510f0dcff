"""`make run`: migrate, load demo data into an empty database, then serve (and work jobs).

Embedded (no `REDIS_URL`): one process. gunicorn serves the pages, the API and Socket.IO on HOST:PORT
(one gthread worker) and an in-process worker thread runs the jobs.

Production (`REDIS_URL` set), the processes of `services()`, every one a child of this one:

    nginx on HOST:PORT ──/socket.io/──► realtime: gunicorn, one gevent worker (gunicorn_realtime.conf.py)
                       ──the rest────► web: gunicorn, WEB_WORKERS gthread workers (gunicorn.conf.py)
    worker.py: RQ jobs
    all of them on the same Redis (Socket.IO message queue, RQ queues)

The front's configuration is written at start into RUN_DIR (default `instance/run`), with its pid file
and nothing else (request bodies and answers stay in memory): nginx runs in the foreground (`daemon
off`), logging to standard error. Without nginx (or with `FRONT=none`) production mode falls back,
saying why, to the embedded shape's single gthread process for HTTP and Socket.IO, with `worker.py`
beside it.

Ctrl-C or SIGTERM stops every process; so does any of them exiting on its own. The live test layer
(tests/live/conftest.py) starts the same `services()`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX_TEMPLATE = ROOT / "scripts" / "nginx.conf.template"
# Measured (bench/RESULTS.md, "Serving sockets"): on 2 cores, 4 workers of 2 threads create the most
# tickets per second. The web workers serve no socket, so they need no more threads than that.
WEB_WORKERS_DEFAULT, WEB_THREADS_DEFAULT = "4", "2"
# Embedded, and the fallback: one process whose threads also hold the Socket.IO connections.
SINGLE_THREADS_DEFAULT = "32"


@dataclass
class Service:
    """One process to start: its name, command line, environment and the signal that stops it soon."""

    name: str
    args: list[str]
    env: dict[str, str]
    stop_signal: int = signal.SIGTERM
    notes: list[str] = field(default_factory=list)


def services(environ: Mapping[str, str] | None = None) -> list[Service]:
    """The processes that serve with `environ` (default: this process's environment), in start order.

    Production mode writes the front's configuration into RUN_DIR as a side effect."""
    env = dict(os.environ if environ is None else environ)
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "5000")
    if not env.get("REDIS_URL"):
        return [_single_process(env, "embedded: one process")]
    worker = Service("worker", [sys.executable, "worker.py"], env)
    reason = _no_front_reason(env)
    if reason:
        single = _single_process(env, f"no front ({reason}): one gthread process serves HTTP and Socket.IO")
        return [worker, single]

    port = int(env["PORT"])
    web_port = int(env.get("WEB_PORT") or port + 1)
    realtime_port = int(env.get("REALTIME_PORT") or port + 2)
    # Behind the front: the address of a client is the one nginx adds to X-Forwarded-For.
    proxied = {"TRUSTED_PROXY_COUNT": str(int(env.get("TRUSTED_PROXY_COUNT") or 0) + 1)}
    web_env = {
        **env,
        **proxied,
        "HOST": "127.0.0.1",
        "PORT": str(web_port),
        "WEB_WORKERS": env.get("WEB_WORKERS") or WEB_WORKERS_DEFAULT,
        "WEB_THREADS": env.get("WEB_THREADS") or WEB_THREADS_DEFAULT,
    }
    realtime_env = {**env, **proxied, "HOST": "127.0.0.1", "PORT": str(realtime_port)}
    run_dir = Path(env.get("RUN_DIR") or ROOT / "instance" / "run")
    config = write_nginx_config(run_dir, env, web_port=web_port, realtime_port=realtime_port)
    return [
        worker,
        Service("web", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], web_env),
        # SIGINT: gunicorn's quick shutdown; SIGTERM would wait for every console to go (they reconnect).
        Service(
            "realtime",
            [str(BIN / "gunicorn"), "-c", "gunicorn_realtime.conf.py"],
            realtime_env,
            stop_signal=signal.SIGINT,
        ),
        Service(
            "front",
            [_nginx(), "-p", str(run_dir), "-c", str(config), "-e", "stderr"],
            env,
            notes=[f"nginx {config}: /socket.io/ → 127.0.0.1:{realtime_port}, the rest → :{web_port}"],
        ),
    ]


def _single_process(env: dict[str, str], shape: str) -> Service:
    single = {
        **env,
        "WEB_WORKERS": "1",  # long-polling needs every request of a session in the same process
        "WEB_THREADS": env.get("WEB_THREADS") or SINGLE_THREADS_DEFAULT,
    }
    return Service("web", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], single, notes=[shape])


def _nginx() -> str:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin") or ""


def _no_front_reason(env: Mapping[str, str]) -> str | None:
    front = (env.get("FRONT") or "nginx").lower()
    if front == "none":
        return "FRONT=none"
    if front != "nginx":
        return f"FRONT={front!r} is neither nginx nor none"
    if not _nginx():
        return "nginx is not installed; `sh scripts/ensure-package.sh nginx nginx` installs Debian's"
    return None


def write_nginx_config(run_dir: Path, env: Mapping[str, str], *, web_port: int, realtime_port: int) -> Path:
    """nginx.conf from scripts/nginx.conf.template, into `run_dir` with its temporary folders."""
    run_dir.mkdir(parents=True, exist_ok=True)
    # nginx wants its temporary folders; the configuration keeps bodies in memory, so nothing is written
    # there (run as root, nginx's workers are `nobody`, who may not reach RUN_DIR).
    temp = run_dir / "temp"
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (temp / name).mkdir(parents=True, exist_ok=True)
    connections = int(env.get("FRONT_CONNECTIONS") or 8192)
    text = NGINX_TEMPLATE.read_text().format(
        pid=run_dir / "nginx.pid",
        temp=temp,
        connections=connections,
        # Two descriptors per proxied connection (the client's and the upstream's), and some to spare.
        files=2 * connections + 64,
        access_log="off" if env.get("ACCESS_LOG") == "off" else "/dev/stdout",
        listen=f"[{env['HOST']}]:{env['PORT']}" if ":" in env["HOST"] else f"{env['HOST']}:{env['PORT']}",
        web=f"127.0.0.1:{web_port}",
        realtime=f"127.0.0.1:{realtime_port}",
    )
    config = run_dir / "nginx.conf"
    config.write_text(text)
    return config


def start(service: Service, **popen) -> subprocess.Popen:
    return subprocess.Popen(service.args, cwd=ROOT, env=service.env, **popen)


def flask(*args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, check=True)


def main() -> int:
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    # Links in e-mails (the demo's mail log included) lead to the server being started, unless the
    # public address is configured.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    flask("db", "upgrade")
    flask("demo", "load")
    planned = services()
    mode = "production, on Redis" if os.environ.get("REDIS_URL") else "embedded"
    print(f"Switchboard ({mode}) on http://{host}:{port}  (API docs: /api/v1/docs)", flush=True)
    for service in planned:
        for note in service.notes:
            print(f"  {service.name}: {note}", flush=True)

    # Groups of their own: Ctrl-C reaches this process only, which gives each child its one stop signal
    # (a second one would turn RQ's warm shutdown into a cold one).
    return supervise([(service, start(service, process_group=0)) for service in planned])


def supervise(children: list[tuple[Service, subprocess.Popen]]) -> int:
    """Wait until a child exits or we are asked to stop (SIGINT, SIGTERM); then stop every child, each
    with its own signal, and return the exit code of the first to go (0 when asked to stop)."""
    stopping = False

    def stop(*_) -> None:
        nonlocal stopping
        stopping = True
        for service, child in children:
            if child.poll() is None:
                child.send_signal(service.stop_signal)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        pid, status = os.wait()
        if not stopping:
            name = next((s.name for s, c in children if c.pid == pid), str(pid))
            code = os.waitstatus_to_exitcode(status) or 1
            print(f"{name} exited ({code}): stopping the others", file=sys.stderr, flush=True)
    finally:
        stop()
        for _, child in children:
            child.wait()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
