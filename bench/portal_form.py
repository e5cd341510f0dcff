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
import re
import time
from urllib.parse import urlencode

import redis

# bench/ is on the path when this runs as a script
from servers import fresh_server_env, gunicorn, server_arguments, settings_line, timed_run

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
UNLIMITED = "1000000 per minute"


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

    def submit(self, n: int) -> dict[str, float] | None:
        """One complaint: the seconds of the whole submission and of the POST alone, None on failure."""
        started = time.perf_counter()
        status, page = self.request("GET", "/complaints/new")
        csrf, key = CSRF.search(page), KEY.search(page)
        if status != 200 or not csrf or not key:
            return None
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
        posted = time.perf_counter()
        status, _page = self.request("POST", "/complaints/new", urlencode(form))
        if status != 302:
            return None
        done = time.perf_counter()
        return {"submission": done - started, "post": done - posted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_arguments(
        parser, database="switchboard_bench_portal", redis_db=13, port=5098, workers=2, threads=8
    )
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4])
    args = parser.parse_args()

    # Rate-limit counters and queued e-mail jobs of an earlier run.
    redis.Redis.from_url(args.redis).flushdb()
    env = fresh_server_env(args, PORTAL_RATE_LIMIT=UNLIMITED, PORTAL_EMAIL_RATE_LIMIT=UNLIMITED)

    with gunicorn(env, ready_path="/complaints/new"):
        timed_run(40, 4, lambda: Visitor(args.port).submit)  # warm-up: imports, pools, template caches
        print(settings_line(args.workers, args.threads, ", no RQ worker (confirmation e-mails stay queued)"))
        for concurrency in args.concurrency:
            print(json.dumps(timed_run(args.submissions, concurrency, lambda: Visitor(args.port).submit)))


if __name__ == "__main__":
    main()
