"""Benchmark: the public complaint form end to end through a real server process on PostgreSQL.

Starts gunicorn (the production server of `make run`) on a fresh PostgreSQL database of its own, then
files 500 complaints at concurrency 4 the way a browser does: each submission GETs `/complaints/new`,
reads the CSRF token and the idempotency key out of the page, and POSTs the form back (a 302 to the
confirmation is a success). Each worker is one visitor with its own cookie jar on a keep-alive
connection. The rate limits are raised for the run through configuration (`PORTAL_RATE_LIMIT`,
`PORTAL_EMAIL_RATE_LIMIT`), so the figures measure the form, not the limiter's refusals; the limiter
still counts every post in Redis.

    make bench-portal            # or: .venv/bin/python bench/portal_form.py --submissions 500

Prints submissions/s, p50 and p99 of a whole submission (GET + POST) and of the POST alone, and the
error count. Settings are printed with the figures; copy them into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import redis
from databases import recreate_database  # bench/ is on the path when this runs as a script

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
UNLIMITED = "1000000 per minute"


def create_schema(env: dict) -> None:
    """The schema from the models (`db.create_all()`, as `import_history.py` does)."""
    script = (
        "from app import create_app\nfrom app.extensions import db\n"
        "with create_app().app_context(): db.create_all()"
    )
    subprocess.run([str(BIN / "python"), "-c", script], cwd=ROOT, env=env, check=True)


def wait_for(port: int, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/complaints/new")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


class Visitor:
    """One browser: a keep-alive connection and the session cookie the form's CSRF token lives in."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode()
        except OSError:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, ""
        if cookie := response.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text

    def submit(self, n: int) -> tuple[bool, float]:
        """One complaint; returns success and the seconds the POST alone took."""
        status, page = self.request("GET", "/complaints/new")
        csrf, key = CSRF.search(page), KEY.search(page)
        if status != 200 or not csrf or not key:
            return False, 0.0
        form = {
            "csrf_token": csrf.group(1),
            "idempotency_key": key.group(1),
            "name": f"Customer {n % 500}",
            "email": f"customer{n % 500}@bench.example",
            "phone": "",
            "order_number": f"A-{n:06d}",
            "category": "delivery",
            "description": "The parcel arrived crushed.\nThe vase inside is broken.",
            "desired_outcome": "replacement",
            "expected_satisfaction": "4",
            "referral_code": "",
        }
        started = time.perf_counter()
        status, _page = self.request("POST", "/complaints/new", urlencode(form))
        return status == 302, time.perf_counter() - started


def run(port: int, total: int, concurrency: int) -> dict:
    whole: list[float] = []
    posts: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        nonlocal errors
        visitor = Visitor(port)
        mine, mine_posts, failed = [], [], 0
        for n in counter:
            started = time.perf_counter()
            ok, post_seconds = visitor.submit(n)
            mine.append(time.perf_counter() - started)
            mine_posts.append(post_seconds)
            failed += not ok
        with lock:
            whole.extend(mine)
            posts.extend(mine_posts)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    whole.sort()
    posts.sort()
    return {
        "concurrency": concurrency,
        "submissions": total,
        "seconds": round(elapsed, 2),
        "submissions_per_s": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(whole) * 1000, 1),
        "p99_ms": round(whole[int(len(whole) * 0.99) - 1] * 1000, 1),
        "post_p50_ms": round(statistics.median(posts) * 1000, 1),
        "post_p99_ms": round(posts[int(len(posts) * 0.99) - 1] * 1000, 1),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/switchboard_bench_portal"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--port", type=int, default=5098)
    args = parser.parse_args()

    recreate_database(args.database_url)
    # Rate-limit counters and queued e-mail jobs of an earlier run.
    redis.Redis.from_url(args.redis).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis,
        "SECRET_KEY": "bench",
        "PORT": str(args.port),
        "WEB_WORKERS": str(args.workers),
        "WEB_THREADS": str(args.threads),
        "ACCESS_LOG": "off",
        "PORTAL_RATE_LIMIT": UNLIMITED,
        "PORTAL_EMAIL_RATE_LIMIT": UNLIMITED,
    }
    create_schema(env)

    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    try:
        wait_for(args.port)
        run(args.port, 40, 4)  # warm-up: imports, connection pools, template caches
        print(
            f"# {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
            f"Python {platform.python_version()}, gunicorn {args.workers} workers x {args.threads} "
            "threads, PostgreSQL + Redis on loopback, no RQ worker (confirmation e-mails stay queued)"
        )
        for concurrency in args.concurrency:
            print(json.dumps(run(args.port, args.submissions, concurrency)))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
