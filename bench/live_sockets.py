"""Benchmark: delivery latency of Socket.IO events emitted in one process to consoles on another.

Serves production mode as `make run` does (scripts/serve.py: nginx in front, the web workers, the
real-time process of gunicorn_realtime.conf.py) on a fresh PostgreSQL database, makes agents with API
tokens, connects consoles to `/agents` through the front (each with an agent's token, so each is in
that agent's room), then has a publisher process emit to the agents' rooms through the Redis message
queue, as web requests and RQ jobs do (`live.publish(..., rooms=[agent_room(id)])`: numbered, kept, emitted),
each event carrying its send time. Consoles note each event's delivery latency (receive time minus send
time, one machine, one clock) for a measured window after a warm-up; the figures are p50, p99 and the
events lost (sent in the window, never received).

    make bench-live       # (a) 200 consoles, 10 events/s each (2,000 deliveries/s); target p99 <= 100 ms
    make bench-capacity   # (b) consoles stepped up at 5,000 deliveries/s in all; p99 <= 250 ms
    .venv/bin/python bench/live_sockets.py --consoles 200 --rate 10
    .venv/bin/python bench/live_sockets.py --consoles 250 500 1000 2000 --total-rate 5000 --agents 100

Consoles are `socketio.AsyncClient`s (asyncio, aiohttp) spread over `--client-processes` processes, on
the WebSocket transport from the start (a browser's first long-polling requests are left out: they
happen once per connection, not per event). With `--agents` fewer than consoles, consoles share agents
(several tabs of one agent): an event to an agent's room is one delivery per console in it. The same
file is the publisher (`publish`) and a console process (`consoles`), started by the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

# bench/ is on the path when this runs as a script
from servers import ROOT, cpu_seconds, fresh_server_env, server_arguments, serving, settings_line

HERE = Path(__file__)
EVENT = "bench"
NAMESPACE = "/agents"


# --- the run ---------------------------------------------------------------------------------------


def make_agents(env: dict, count: int) -> list[dict]:
    """`count` agents with an API token each, made by the accounts services in one process."""
    script = f"""
import json
from app import create_app
from app.accounts import services
app = create_app()
with app.app_context():
    made = []
    for n in range({count}):
        agent = services.create_agent(
            email=f"console{{n}}@bench.example", password="bench-password", name=f"Console {{n}}"
        )
        _token, raw = services.create_api_token(agent.id, name="bench")
        made.append({{"id": agent.id, "token": raw}})
    print(json.dumps(made))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def step(
    env: dict, args: argparse.Namespace, agents: list[dict], consoles: int, per_console: float, realtime: int
) -> dict:
    """One measurement: `consoles` connected consoles, each receiving `per_console` events/s; `realtime`
    is the real-time process's group, whose CPU time is measured while the publisher runs."""
    per_room = consoles / len(agents)  # consoles per agent room (on average)
    rooms_rate = per_console * len(agents)  # emits/s in all, over every agent's room
    shards = [list(range(i, consoles, args.client_processes)) for i in range(args.client_processes)]
    clients = []
    for shard in shards:
        tokens = [agents[n % len(agents)]["token"] for n in shard]
        child = subprocess.Popen(
            [sys.executable, str(HERE), "consoles", f"http://127.0.0.1:{args.port}"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        child.stdin.write(json.dumps(tokens) + "\n")
        child.stdin.flush()
        clients.append(child)
    connect_began = time.perf_counter()
    for child in clients:
        line = child.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit(f"a console process failed: {line!r}")
    connect_seconds = time.perf_counter() - connect_began
    load_before = os.getloadavg()[0]
    cpu_before, began = cpu_seconds([realtime]), time.perf_counter()
    publisher = subprocess.run(
        [
            sys.executable,
            str(HERE),
            "publish",
            "--rate",
            str(rooms_rate),
            "--warmup",
            str(args.warmup),
            "--seconds",
            str(args.seconds),
            "--rooms",
            ",".join(str(agent["id"]) for agent in agents),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    sent = json.loads(publisher.stdout.strip().splitlines()[-1])
    time.sleep(0.5)  # the last events' way through
    cpu, elapsed = cpu_seconds([realtime]) - cpu_before, time.perf_counter() - began
    window_from, window_to = sent["window"]
    time.sleep(0.5)
    latencies: list[float] = []
    received_in_window = 0
    for child in clients:
        child.stdin.write(f"{window_from} {window_to}\n")
        child.stdin.flush()
        result = json.loads(child.stdout.readline())
        latencies.extend(result["latencies"])
        received_in_window += result["received"]
        child.stdin.close()
        child.wait()
    latencies.sort()
    # Deliveries the window's emits should have made: emits sent in it times consoles in their room.
    in_window = sent["in_window"]
    expected = round(in_window * per_room)
    return {
        "consoles": consoles,
        "agents": len(agents),
        "events_per_console_s": round(per_console, 2),
        "deliveries_per_s": round(in_window * per_room / args.seconds),
        "connect_s": round(connect_seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000, 1) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "received": received_in_window,
        "lost": max(expected - received_in_window, 0),
        "load_1min": round(load_before, 2),
        "publisher_late_ms_p99": sent["late_p99_ms"],
        # The real-time process's CPU while the publisher ran (its start-up included): per 1,000
        # deliveries, and as a share of one core.
        "realtime_cpu_ms_per_1000": round(cpu * 1000 / max(sent["sent"] * per_room, 1) * 1000, 1),
        "realtime_cpu_percent": round(100 * cpu / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_arguments(parser, database="switchboard_bench_live", redis_db=13, port=5097, workers=4, threads=2)
    parser.add_argument("--consoles", type=int, nargs="+", default=[200])
    parser.add_argument("--rate", type=float, default=10.0, help="events/s each console receives")
    parser.add_argument("--total-rate", type=float, help="deliveries/s in all (instead of --rate)")
    parser.add_argument("--agents", type=int, help="agents (rooms) the consoles share; default one each")
    parser.add_argument("--seconds", type=float, default=10.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()

    run_dir = str(ROOT / "instance" / "bench-live")
    env = fresh_server_env(args, ACCESS_LOG="off", RUN_DIR=run_dir, SOCKETIO_CHANNEL="switchboard-bench-live")
    agents = make_agents(env, args.agents or max(args.consoles))
    with serving(env, ready_path="/socket.io/?EIO=4&transport=polling") as groups:
        print(settings_line(args.workers, args.threads, ", nginx + 1 gevent real-time process"), flush=True)
        for consoles in args.consoles:
            per_console = args.total_rate / consoles if args.total_rate else args.rate
            figures = step(env, args, agents, consoles, per_console, groups["realtime"])
            print(json.dumps(figures), flush=True)


# --- a console process: `live_sockets.py consoles URL`, tokens on standard input ------------------------


async def run_consoles(url: str) -> None:
    import socketio

    tokens = json.loads(sys.stdin.readline())
    latencies: list[tuple[float, float]] = []  # (send time, latency)

    def on_event(data) -> None:
        now = time.time()
        latencies.append((data["t"], now - data["t"]))

    clients = []
    gate = asyncio.Semaphore(50)  # connections opened at once

    async def connect(token: str) -> None:
        client = socketio.AsyncClient(reconnection=False)
        client.on(EVENT, on_event, namespace=NAMESPACE)
        async with gate:
            await client.connect(
                url, namespaces=[NAMESPACE], auth={"token": token}, transports=["websocket"], wait_timeout=30
            )
        clients.append(client)

    await asyncio.gather(*(connect(token) for token in tokens))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    window = await loop.run_in_executor(None, sys.stdin.readline)
    window_from, window_to = map(float, window.split())
    measured = [latency for sent, latency in latencies if window_from <= sent < window_to]
    print(json.dumps({"latencies": measured, "received": len(measured)}), flush=True)
    await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)


# --- the publisher: `live_sockets.py publish --rate R --until T --rooms 1,2,3` -------------------------


def publish(rate: float, warmup: float, seconds: float, rooms: list[int]) -> None:
    """Emit to the rooms in turn, `rate` events/s in all, for `warmup` seconds then the measured window
    of `seconds` (and a little more), as another process of the install would: through the Redis
    message queue. Prints the window (wall clock) and the events sent in it."""
    from app import create_app
    from app.callcenter import live
    from app.callcenter.services import agent_room

    create_app().app_context().push()
    interval = 1.0 / rate
    window_from = time.time() + warmup
    window_to = window_from + seconds
    until = window_to + 0.2
    in_window = 0
    lateness: list[float] = []
    began = time.perf_counter()
    n = 0
    while True:
        due = began + n * interval
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        else:
            lateness.append(now - due)
        sent = time.time()
        if sent >= until:
            break
        # As every piece of news goes out: numbered in its room and kept for resync, then emitted.
        live.publish(EVENT, {"t": sent}, rooms=[agent_room(rooms[n % len(rooms)])], namespace=NAMESPACE)
        in_window += window_from <= sent < window_to
        n += 1
    lateness.sort()
    late_p99 = lateness[max(int(len(lateness) * 0.99) - 1, 0)] * 1000 if lateness else 0.0
    summary = {
        "window": [window_from, window_to],
        "in_window": in_window,
        "sent": n,
        "late_p99_ms": round(late_p99, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) > 1 and sys.argv[1] == "consoles":
        asyncio.run(run_consoles(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "publish":
        options = argparse.ArgumentParser()
        options.add_argument("publish")
        options.add_argument("--rate", type=float, required=True)
        options.add_argument("--warmup", type=float, required=True)
        options.add_argument("--seconds", type=float, required=True)
        options.add_argument("--rooms", required=True)
        given = options.parse_args()
        publish(given.rate, given.warmup, given.seconds, [int(room) for room in given.rooms.split(",")])
    else:
        main()
