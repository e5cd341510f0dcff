"""Benchmark: `POST /api/v1/tickets` through a real server process on PostgreSQL.

Starts gunicorn (the production server of `make run`) on a fresh PostgreSQL database, signs in one
agent, then sends 2,000 ticket creations at concurrency 4 and again at 32, each worker on its own
keep-alive connection, and prints requests/s, p50 and p99 latency and the error count per run.

    make bench-tickets            # or: .venv/bin/python bench/post_tickets.py --requests 2000

Settings are printed with the figures; copy them into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from databases import recreate_database  # bench/ is on the path when this runs as a script

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def flask(env: dict, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def wait_for(port: int, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def run(port: int, token: str, total: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        for n in counter:
            body = json.dumps(
                {
                    "subject": f"Benchmark ticket {n}",
                    "description": "The printer on floor 3 is on fire again.",
                    "priority": "normal",
                    "channel": "api",
                    "customer": {"name": f"Customer {n % 500}", "email": f"customer{n % 500}@bench.example"},
                    "tags": ["bench"],
                }
            )
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/tickets", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 201
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
            failed += not ok
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "concurrency": concurrency,
        "requests": total,
        "seconds": round(elapsed, 2),
        "rps": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/switchboard_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()

    recreate_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis,
        "SECRET_KEY": "bench",
        "PORT": str(args.port),
        "WEB_WORKERS": str(args.workers),
        "WEB_THREADS": str(args.threads),
        "ACCESS_LOG": "off",
    }
    flask(env, "db", "upgrade")
    flask(
        env,
        "accounts",
        "create",
        "--email",
        "bench@example.com",
        "--password",
        "bench-password",
        "--role",
        "agent",
        "--name",
        "Bench Agent",
    )
    token = flask(env, "accounts", "token", "--email", "bench@example.com").strip()

    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    try:
        wait_for(args.port)
        run(args.port, token, 100, 4)  # warm-up: imports, connection pools, caches
        print(
            f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL + Redis on loopback"
        )
        for concurrency in args.concurrency:
            print(json.dumps(run(args.port, token, args.requests, concurrency)))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
