"""Generate a ticket history file for `flask tickets import`: N tickets, deterministic for a seed.

    .venv/bin/python bench/generate_history.py --count 100000 --seed 1 --out /tmp/history.jsonl

The tickets look like a real helpdesk's: 1 to 6 events each (customer messages, agents' replies and
notes, pending, solved, closed), one customer in five writing more than once, most tickets assigned,
times spread over two years. Every line is valid and every status change legal, so an import of the file
should create every ticket. Complaints are left out (solving one needs a root cause and a remedy, which
the format has no field for). The agents and queues it names are `AGENTS` and `QUEUES`; the import
bench creates them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

AGENT_COUNT = 50
AGENTS = [f"agent{n:02d}@bench.example" for n in range(AGENT_COUNT)]
QUEUES = ["Billing", "Technical", "Sales", "Returns", "General"]
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
TYPES = ["question"] * 5 + ["incident"] * 3 + ["request"] * 2
PRIORITIES = ["low"] * 2 + ["normal"] * 5 + ["high"] * 2 + ["urgent"]
CHANNELS = ["email", "web", "phone", "chat", "api"]
TAGS = ["vip", "billing", "refund", "bug", "outage", "password", "shipping", "feedback"]
WORDS = [
    "invoice",
    "order",
    "delivery",
    "password",
    "account",
    "login",
    "refund",
    "charge",
    "parcel",
    "printer",
    "screen",
    "error",
    "update",
    "payment",
    "card",
    "address",
    "subscription",
    "plan",
    "upgrade",
    "cancel",
    "broken",
    "missing",
    "late",
    "wrong",
    "double",
]


def tickets(count: int, seed: int) -> Iterator[dict]:
    """`count` tickets as dicts, the same ones for the same seed."""
    rng = random.Random(seed)
    customers = max(1, count * 4 // 5)  # one in five tickets comes from a returning customer
    for n in range(count):
        customer = rng.randrange(customers)
        created = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        assignee = rng.choice(AGENTS) if rng.random() < 0.8 else None
        yield {
            "reference": f"OLD-{n + 1:07d}",
            "subject": _sentence(rng, 4, 8),
            "description": _sentence(rng, 10, 40),
            "type": rng.choice(TYPES),
            "priority": rng.choice(PRIORITIES),
            "channel": rng.choice(CHANNELS),
            "queue": rng.choice(QUEUES) if rng.random() < 0.9 else None,
            "customer": {
                "name": f"Customer {customer}",
                "email": f"customer{customer}@example.com",
                "phone": f"+1 415 55{customer % 100000:05d}" if customer % 3 == 0 else None,
            },
            "assignee_email": assignee,
            "created_at": _iso(created),
            "tags": rng.sample(TAGS, rng.randrange(3)),
            "events": _events(
                rng, created, assignee or rng.choice(AGENTS), f"customer{customer}@example.com"
            ),
        }


def _events(rng: random.Random, at: datetime, agent: str, customer: str) -> list[dict]:
    """A legal history of 1 to 6 events."""

    def later(low_minutes: int, high_minutes: int) -> str:
        nonlocal at
        at += timedelta(minutes=rng.randint(low_minutes, high_minutes))
        return _iso(at)

    events: list[dict] = []
    if rng.random() < 0.25:
        events.append(
            {"at": later(5, 120), "kind": "public_reply", "author_email": customer, "body": _body(rng)}
        )
    # The first answer: within the hour for most, a day or more for some (missed SLA targets).
    events.append(
        {
            "at": later(10, 60 if rng.random() < 0.7 else 2000),
            "kind": "public_reply",
            "author_email": agent,
            "body": _body(rng),
        }
    )
    if rng.random() < 0.3:
        events.append(
            {"at": later(1, 30), "kind": "internal_note", "author_email": agent, "body": _body(rng)}
        )
    if rng.random() < 0.3:
        events.append({"at": later(1, 10), "kind": "status", "author_email": agent, "to": "pending"})
        events.append(
            {"at": later(30, 3000), "kind": "public_reply", "author_email": customer, "body": _body(rng)}
        )
    if rng.random() < 0.8:
        events.append({"at": later(10, 600), "kind": "status", "author_email": agent, "to": "solved"})
        if rng.random() < 0.3:
            events.append({"at": later(1440, 10080), "kind": "status", "to": "closed"})
    return events[:6]


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()


def _body(rng: random.Random) -> str:
    return _sentence(rng, 5, 60) + "."


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, count: int, seed: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for ticket in tickets(count, seed):
            out.write(json.dumps(ticket, separators=(",", ":")) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="tickets (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("history.jsonl"))
    args = parser.parse_args(argv)
    write(args.out, args.count, args.seed)
    print(f"{args.count} tickets written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
