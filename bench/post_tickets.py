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
import time

# bench/ is on the path when this runs as a script
from databases import recreate_database
from servers import flask, gunicorn, server_env, settings_line, timed_run


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
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/switchboard_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()

    recreate_database(args.database_url)
    env = server_env(
        database_url=args.database_url,
        redis_url=args.redis,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
    )
    flask(env, "db", "upgrade")
    agent = ("--email", "bench@example.com", "--name", "Bench Agent")
    flask(env, "accounts", "create", *agent, "--password", "bench-password")
    token = flask(env, "accounts", "token", "--email", "bench@example.com").strip()

    with gunicorn(env, ready_path="/api/v1/openapi.json"):
        timed_run(100, 4, lambda: client(args.port, token))  # warm-up: imports, connection pools, caches
        print(settings_line(args.workers, args.threads))
        for concurrency in args.concurrency:
            print(json.dumps(timed_run(args.requests, concurrency, lambda: client(args.port, token))))


if __name__ == "__main__":
    main()
