"""Benchmark: the telephony endpoint's events per second, signatures checked, through a real server on
PostgreSQL.

Starts gunicorn (the production server of `make run`) on a fresh PostgreSQL database of its own with the
demo data (its queues and agents) and `TELEPHONY_WEBHOOK_SECRET` set, then posts signed events at
concurrency 4: each call is `call.offered` (a caller among 500 numbers, the "General" queue),
`call.answered` (one of the demo agents) and `call.ended`, the three handed to whichever client is
free next, so a call's events often arrive at once or out of order, as a PBX's retries would send them.
Each client is one keep-alive connection. A last pass sends every event again: the duplicates' rate.

    make bench-telephony         # or: .venv/bin/python bench/telephony_events.py --calls 600

Prints events/s with p50 and p99 of one request, the error count, and the same for the repeats.
Settings are printed with the figures; copy them into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import time
from datetime import UTC, datetime, timedelta

import redis

# bench/ is on the path when this runs as a script
from servers import flask, fresh_server_env, gunicorn, server_arguments, settings_line, timed_run

SECRET = "bench-telephony-secret"
KINDS = ("call.offered", "call.answered", "call.ended")
AGENTS = ("alex@example.com", "maria@example.com", "chen@example.com")
STARTED = datetime.now(UTC).replace(microsecond=0)


def body_of(n: int) -> bytes:
    """The n-th event: call n // 3, its offer, answer or end."""
    call, step = divmod(n, 3)
    event = {
        "id": f"bench-{call}-{step}",
        "type": KINDS[step],
        "call_id": f"bench-{call}",
        "timestamp": (STARTED + timedelta(seconds=call + 30 * step)).isoformat(),
    }
    if step == 0:
        event.update(caller=f"+1415555{call % 500:04d}", dialed="+14155550000", queue="General")
    elif step == 1:
        event["agent"] = AGENTS[call % len(AGENTS)]
    return json.dumps(event).encode()


class Pbx:
    """One client of the PBX: a keep-alive connection, signing each event as it sends it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, n: int) -> dict[str, float] | None:
        body = body_of(n)
        started = time.perf_counter()
        timestamp = str(int(time.time()))
        digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Switchboard-Timestamp": timestamp,
            "X-Switchboard-Signature": f"sha256={digest}",
        }
        try:
            self.conn.request("POST", "/api/v1/callcenter/events", body=body, headers=headers)
            response = self.conn.getresponse()
            response.read()
        except OSError:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return None
        if response.status != 200:
            return None
        return {"event": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_arguments(
        parser, database="switchboard_bench_telephony", redis_db=12, port=5097, workers=2, threads=8
    )
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    redis.Redis.from_url(args.redis).flushdb()
    env = fresh_server_env(args, TELEPHONY_WEBHOOK_SECRET=SECRET)
    flask(env, "demo", "load")
    events = 3 * args.calls

    def client(offset: int = 0):
        pbx = Pbx(args.port)
        return lambda n: pbx.send(offset + n)

    with gunicorn(env, ready_path="/api/v1/openapi.json"):
        # Warm-up on calls of their own: imports, pools, the first queries' plans.
        timed_run(60, 4, lambda: client(offset=3 * 10 * args.calls))
        print(settings_line(args.workers, args.threads, f", {args.calls} calls x 3 events, signed"))
        for label in ("new events", "repeats"):
            print(json.dumps({"pass": label, **timed_run(events, args.concurrency, client)}))


if __name__ == "__main__":
    main()
