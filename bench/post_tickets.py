"""Benchmark: `POST /api/v1/tickets` through a real server process on PostgreSQL.

Starts gunicorn (the production server of `make run`, 4 workers of 2 threads) on a fresh PostgreSQL
database, signs in one agent, then has `wrk` send 2,000 ticket creations at concurrency 4 and again at
32 (keep-alive connections, 500 distinct customers: `bench/post_tickets.lua`) and prints requests/s, p50
and p99 latency and the error count per run. Four workers of two threads, not two of eight
threads: with two, four keep-alive connections often split three to one, and the process holding three
serves them one at a time under its GIL while the other idles (measured: 2026-11-30 in RESULTS.md).

    make bench-tickets            # or: .venv/bin/python bench/post_tickets.py --requests 2000
    make bench-serving            # the serving shapes side by side: --shapes single front --rounds 3

`--shapes` picks what serves, each started in turn on the same database, `--rounds` times in alternating
order (so neither always runs on the fuller database), each line with the CPU milliseconds its serving
processes spent per request (`server_cpu_ms`, PostgreSQL's left out: steadier than requests/s on a
shared machine): `direct` is gunicorn alone with `--workers` x
`--threads` (the default, this benchmark's history); `single` and `front` are what `make run` starts in
production mode (scripts/serve.py), `single` the shape before the front came (one gthread process of 32
threads serving HTTP and Socket.IO: `FRONT=none`), `front` nginx in front of `--workers` x `--threads`
web workers, with the real-time process beside them. Each run's line names its shape.

The load comes from `wrk` (C, Debian's package) rather than from Python: the server, PostgreSQL and the
client share the machine's cores, and a Python client spends about as much CPU per request as
PostgreSQL does, which would be taken from the server being measured. `--client python` runs the
former Python client (threads on `http.client`) for comparison. Settings are printed with the figures;
copy them into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# bench/ is on the path when this runs as a script
from servers import (
    ROOT,
    cpu_seconds,
    flask,
    fresh_server_env,
    gunicorn,
    server_arguments,
    serving,
    settings_line,
    timed_run,
)

WRK_SCRIPT = Path(__file__).with_name("post_tickets.lua")


def wrk_run(port: int, token: str, requests: int, concurrency: int) -> dict:
    """`requests` ticket creations from `concurrency` keep-alive connections (a wrk thread each, so a
    thread that has sent its share leaves no request of its own half-answered), timed here."""
    command = [
        "wrk",
        f"--threads={concurrency}",
        f"--connections={concurrency}",
        "--duration=1h",  # interrupted once every thread has sent its share
        "--timeout=30s",
        f"--script={WRK_SCRIPT}",
        f"http://127.0.0.1:{port}/api/v1/tickets",
        "--",
        token,
        str(requests),
        str(concurrency),
    ]
    began = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as wrk:
        finished = 0
        while finished < concurrency:
            line = wrk.stdout.readline()
            if not line:
                raise SystemExit("wrk stopped early")
            finished += line.strip() == "finished"
        seconds = time.perf_counter() - began
        wrk.send_signal(signal.SIGINT)
        output = wrk.stdout.read()
    figures = json.loads(output.strip().splitlines()[-1])
    return {
        "concurrency": concurrency,
        "requests": figures["requests"],
        "seconds": round(seconds, 2),
        "per_second": round(figures["requests"] / seconds, 1),
        "request_p50_ms": figures["request_p50_ms"],
        "request_p99_ms": figures["request_p99_ms"],
        "errors": figures["errors"],
    }


def client(port: int, token: str):
    """One keep-alive connection creating tickets; 500 distinct customers, found again by e-mail."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def create(n: int) -> dict[str, float] | None:
        nonlocal conn
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
        except OSError:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            return None
        return {"request": time.perf_counter() - started} if response.status == 201 else None

    return create


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_arguments(parser, database="switchboard_bench", redis_db=14, port=5099, workers=4, threads=2)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk", help="what sends the requests")
    parser.add_argument("--shapes", nargs="+", choices=["direct", "single", "front"], default=["direct"])
    parser.add_argument("--rounds", type=int, default=1, help="times each shape runs, in alternating order")
    args = parser.parse_args()
    if args.client == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench-tickets` installs Debian's package.")

    env = fresh_server_env(args)
    agent = ("--email", "bench@example.com", "--name", "Bench Agent")
    flask(env, "accounts", "create", *agent, "--password", "bench-password")
    token = flask(env, "accounts", "token", "--email", "bench@example.com").strip()

    def run(requests: int, concurrency: int) -> dict:
        if args.client == "wrk":
            return wrk_run(args.port, token, requests, concurrency)
        return timed_run(requests, concurrency, lambda: client(args.port, token))

    @contextmanager
    def server(shape: str) -> Iterator[list[int]]:
        if shape == "direct":
            with gunicorn(env, ready_path="/api/v1/openapi.json") as groups:
                yield groups
            return
        shaped = {**env, "RUN_DIR": str(ROOT / "instance" / "bench-tickets")}
        if shape == "single":
            shaped.update(FRONT="none", WEB_WORKERS="1", WEB_THREADS="32")
        with serving(shaped, ready_path="/api/v1/openapi.json") as groups:
            yield list(groups.values())

    for round_number in range(args.rounds):
        shapes = args.shapes if round_number % 2 == 0 else list(reversed(args.shapes))
        for shape in shapes:
            with server(shape) as groups:
                run(100, 4)  # warm-up: imports, connection pools, caches
                workers, threads = (1, 32) if shape == "single" else (args.workers, args.threads)
                note = f", load from {args.client}, shape {shape}"
                print(settings_line(workers, threads, note), flush=True)
                for concurrency in args.concurrency:
                    before = cpu_seconds(groups)
                    figures = run(args.requests, concurrency)
                    # The serving processes' CPU per request (every process of the shape, nginx's too).
                    cpu = (cpu_seconds(groups) - before) * 1000 / figures["requests"]
                    print(json.dumps({"shape": shape, **figures, "server_cpu_ms": round(cpu, 2)}), flush=True)


if __name__ == "__main__":
    main()
