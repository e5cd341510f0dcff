"""What the HTTP benchmarks share: the app's command line, a gunicorn server on a fresh database, and
timing N requests made by a few concurrent clients."""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# bench/ is on the path when a benchmark runs as a script
from databases import recreate_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
from scripts import serve  # noqa: E402  (the processes of `make run`)


def flask(env: dict, *args: str) -> str:
    """Run `flask --app wsgi ARGS` in the project with `env`; its output."""
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def server_arguments(
    parser: argparse.ArgumentParser, *, database: str, redis_db: int, port: int, workers: int, threads: int
) -> None:
    """The options of every server benchmark: its own database and Redis, its port, gunicorn's shape."""
    parser.add_argument("--database-url", default=f"postgresql://postgres@127.0.0.1:5432/{database}")
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{redis_db}")
    parser.add_argument("--workers", type=int, default=workers, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=threads, help="threads per worker")
    parser.add_argument("--port", type=int, default=port)


def fresh_server_env(args: argparse.Namespace, **extra) -> dict:
    """Recreate and migrate the database `server_arguments` named; the environment of a server on it."""
    recreate_database(args.database_url)
    env = server_env(
        database_url=args.database_url,
        redis_url=args.redis,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        **extra,
    )
    flask(env, "db", "upgrade")
    return env


def server_env(*, database_url: str, redis_url: str, port: int, workers: int, threads: int, **extra) -> dict:
    """The environment of a production-like server: PostgreSQL, Redis, gunicorn, no access log."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench",
        "PORT": str(port),
        "WEB_WORKERS": str(workers),
        "WEB_THREADS": str(threads),
        "ACCESS_LOG": "off",
        **extra,
    }


@contextmanager
def gunicorn(env: dict, *, ready_path: str) -> Iterator[list[int]]:
    """gunicorn with the project's settings, from the moment `ready_path` answers 200 until the block ends.
    Yields its process group (see `cpu_seconds`)."""
    command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, process_group=0)
    try:
        _wait_for(int(env["PORT"]), ready_path)
        yield [server.pid]
    finally:
        server.terminate()
        server.wait()


@contextmanager
def serving(env: dict, *, ready_path: str, with_worker: bool = False) -> Iterator[dict[str, int]]:
    """What `make run` serves with `env` (scripts/serve.py: in production mode nginx in front of the web
    workers and the real-time process), from the moment `ready_path` answers 200 through the front
    until the block ends. `worker.py` too when `with_worker`. Yields each service's process group, by
    name."""
    planned = [s for s in serve.services(env) if with_worker or s.name != "worker"]
    # Process groups of their own, gunicorn's and nginx's workers in them: see `cpu_seconds`.
    children = [(service, serve.start(service, process_group=0)) for service in planned]
    try:
        _wait_for(int(env["PORT"]), ready_path)
        yield {service.name: child.pid for service, child in children}
    finally:
        for service, child in children:
            child.send_signal(service.stop_signal)
        for _, child in children:
            child.wait()


def cpu_seconds(groups: list[int]) -> float:
    """CPU time (user and system) spent so far by the live processes of these process groups: a server's
    cost per request, steadier than wall-clock figures on a shared machine (PostgreSQL's is left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # After the command: state, ppid, pgrp, ..., utime (12th) and stime (13th).
        if int(fields[2]) in groups:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _wait_for(port: int, path: str, deadline: float = 120) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def settings_line(workers: int, threads: int, note: str = "") -> str:
    return (
        f"# {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}, gunicorn {workers} workers x {threads} threads, "
        f"PostgreSQL + Redis on loopback{note}"
    )


Client = Callable[[int], dict[str, float] | None]


def timed_run(total: int, concurrency: int, client: Callable[[], Client]) -> dict:
    """Make `total` requests from `concurrency` threads. `client()` makes one thread's client: a function
    of the request number returning the seconds of each timed part (e.g. `{"whole": 0.02}`), or None
    when the request failed. Returns requests/s and p50/p99 in ms per part, and the error count."""
    timings: dict[str, list[float]] = {}
    errors = 0
    lock = threading.Lock()
    numbers = iter(range(total))

    def work() -> None:
        nonlocal errors
        send = client()
        mine: dict[str, list[float]] = {}
        failed = 0
        for n in numbers:
            parts = send(n)
            if parts is None:
                failed += 1
                continue
            for part, seconds in parts.items():
                mine.setdefault(part, []).append(seconds)
        with lock:
            for part, seconds in mine.items():
                timings.setdefault(part, []).extend(seconds)
            errors += failed

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    figures: dict = {
        "concurrency": concurrency,
        "requests": total,
        "seconds": round(elapsed, 2),
        "per_second": round(total / elapsed, 1),
    }
    for part, seconds in timings.items():
        seconds.sort()
        figures[f"{part}_p50_ms"] = round(statistics.median(seconds) * 1000, 1)
        figures[f"{part}_p99_ms"] = round(seconds[max(int(len(seconds) * 0.99) - 1, 0)] * 1000, 1)
    figures["errors"] = errors
    return figures
