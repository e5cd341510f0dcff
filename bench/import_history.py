"""Benchmark of the ticket history import on PostgreSQL: `flask tickets import` on N generated tickets.

    make bench-import        # or: .venv/bin/python bench/import_history.py --count 100000

Drops and recreates a dedicated database (`switchboard_bench` unless `--database-url` says otherwise),
creates the schema, the agents and the queues the generated file names, writes the file
(`bench/generate_history.py`, deterministic for `--seed`), then runs the real command line,
`flask --app wsgi tickets import FILE`, in a child process and times it from start to exit (app start-up
included; CPU counts the command and its worker processes). It checks that every ticket landed, runs the
same file again (everything `unchanged`), and prints both timings in tickets per second. Not part of the
test suite: `make bench-import` runs it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

try:
    from bench.databases import recreate_database
    from bench.generate_history import AGENTS, QUEUES, write
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from databases import recreate_database
    from generate_history import AGENTS, QUEUES, write

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/switchboard_bench"
# Agents never sign in here: any well-formed hash will do, and Argon2 on 50 passwords would cost seconds.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hiZW5jaA$YmVuY2hiZW5jaGJlbmNoYmVuY2g"


def prepare(url: str) -> None:
    """Schema, agents and queues, the way a fresh install would have them."""
    from app import create_app
    from app.accounts.models import Agent
    from app.extensions import db
    from app.tickets.services import create_queue

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": ""})
    with app.app_context():
        db.create_all()
        db.session.add_all(
            Agent(email=email, name=email.split("@")[0], password_hash=PASSWORD_HASH) for email in AGENTS
        )
        db.session.commit()
        for name in QUEUES:
            create_queue(name=name, actor=None)
        db.engine.dispose()


def run_import(url: str, path: Path) -> tuple[float, float, str]:
    """Wall-clock seconds, the command's own CPU seconds (user + system) and its summary line."""
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": ""}
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "tickets", "import", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    summary = [line for line in result.stdout.splitlines() if " lines: " in line]
    if result.returncode != 0 or not summary:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-4000:])
        raise SystemExit(f"the import failed (exit code {result.returncode})")
    return seconds, cpu, summary[-1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def row_counts(url: str) -> dict[str, int]:
    from app.tickets.models import Comment, Ticket, TicketEvent
    from app.tickets.sla.models import SlaTarget

    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {
            model.__tablename__: conn.scalar(select(func.count()).select_from(model))
            for model in (Ticket, Comment, TicketEvent, SlaTarget)
        }
    engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="tickets to import (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--file", type=Path, help="keep the generated file here (default: a temporary file)")
    args = parser.parse_args(argv)

    recreate_database(args.database_url)
    prepare(args.database_url)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.file or Path(scratch) / "history.jsonl"
        write(path, args.count, args.seed)
        size = path.stat().st_size
        print(f"{args.count} tickets, {size / 1e6:.1f} MB, PostgreSQL at {make_url(args.database_url).host}")

        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs, {started}")
        seconds, cpu, summary = run_import(args.database_url, path)
        print(
            f"import: {seconds:8.1f} s  {args.count / seconds:6.0f} tickets/s  CPU {cpu:.1f} s "
            f"({cpu / args.count * 1000:.2f} ms a ticket, all processes)  ({summary})"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        counts = row_counts(args.database_url)
        print("rows:   " + ", ".join(f"{name} {count}" for name, count in counts.items()))
        if counts["tickets"] < args.count:
            raise SystemExit(f"only {counts['tickets']} of {args.count} tickets landed")

        seconds, cpu, summary = run_import(args.database_url, path)
        print(
            f"again:  {seconds:8.1f} s  {args.count / seconds:6.0f} tickets/s  CPU {cpu:.1f} s  ({summary})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
