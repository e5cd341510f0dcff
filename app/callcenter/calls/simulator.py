"""A telephone exchange in a box: callers arriving at random, simulated agents answering them, all told
to the desk through its real, signed webhook (`POST /api/v1/callcenter/events`), for demos and load.

The shift is simulated first (a discrete-event simulation: Poisson arrivals at `rate` a minute, talk
times exponential with mean `aht` seconds, callers who give up after an exponential patience when no
agent is free, `agents` agents answering first come first served), then played: each event is posted
when its moment comes, `speed` times faster than real time (`speed` 60: an hour in a minute). Events
carry the time they are sent, so the desk's figures run at the played speed.

With no simulated agents (`play_for_the_desk`), the desk's own agents answer: the simulator only offers
the calls, watches each one's record until an agent accepts its offer in the console (the call is then
talking), ends it after an exponential talk time counted from that answer, and hangs up for a caller
whom nobody answered within their patience (`call.abandoned`, which leaves the desk a callback to make).
"""

from __future__ import annotations

import heapq
import json
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.callcenter.calls.webhooks import signed_headers

# Seconds from a call's offer to an agent's answer when an agent is free (the ring).
RING_SECONDS = 3.0
# What "answered in time" means for the summary's service level.
SERVICE_LEVEL_SECONDS = 20.0


@dataclass(order=True)
class PlannedEvent:
    at: float  # seconds into the shift
    order: int
    kind: str = field(compare=False)
    call: int = field(compare=False)
    fields: dict = field(compare=False, default_factory=dict)


@dataclass
class Summary:
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_in_time: int = 0
    total_wait: float = 0.0
    total_talk: float = 0.0
    events_sent: int = 0
    failures: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def lines(self) -> list[str]:
        answered = max(self.answered, 1)
        rate = self.events_sent / self.elapsed if self.elapsed > 0 else 0.0
        return [
            f"calls offered: {self.calls}",
            f"answered: {self.answered}, abandoned: {self.abandoned}",
            f"service level ({SERVICE_LEVEL_SECONDS:.0f} s): "
            f"{100 * self.answered_in_time / max(self.calls, 1):.1f}%",
            f"average wait of answered calls: {self.total_wait / answered:.1f} s, "
            f"average talk: {self.total_talk / answered:.1f} s",
            f"events sent: {self.events_sent} in {self.elapsed:.1f} s ({rate:.1f}/s), "
            f"failed: {self.failures}",
            "answers: " + ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items())),
        ]


def plan_shift(
    *,
    rate: float,
    aht: float,
    agents: int,
    minutes: float,
    patience: float,
    rng: random.Random,
) -> tuple[list[PlannedEvent], Summary]:
    """The shift's events in time order, and its summary so far (before anything is sent)."""
    summary = Summary()
    events: list[PlannedEvent] = []
    order = 0

    def add(at: float, kind: str, call: int, **fields) -> None:
        nonlocal order
        order += 1
        events.append(PlannedEvent(at, order, kind, call, fields))

    horizon = minutes * 60.0
    arrivals = []
    moment = 0.0
    while rate > 0:
        moment += rng.expovariate(rate / 60.0)
        if moment >= horizon:
            break
        arrivals.append(moment)
    free = deque(range(agents))
    waiting: deque[tuple[int, float, float]] = deque()  # (call, arrived, gives up at)
    # (time, sequence, what, call or agent)
    happenings: list[tuple[float, int, str, int]] = []
    sequence = 0
    for number, at in enumerate(arrivals):
        sequence += 1
        heapq.heappush(happenings, (at, sequence, "arrive", number))
    arrived: dict[int, float] = {}
    gives_up: dict[int, float] = {}

    def answer(call: int, agent: int, at: float) -> None:
        nonlocal sequence
        add(at, "call.answered", call, agent=agent)
        wait = at - arrived[call]
        summary.answered += 1
        summary.total_wait += wait
        summary.answered_in_time += wait <= SERVICE_LEVEL_SECONDS
        talk = rng.expovariate(1.0 / aht) if aht > 0 else 0.0
        summary.total_talk += talk
        add(at + talk, "call.ended", call)
        sequence += 1
        heapq.heappush(happenings, (at + talk, sequence, "free", agent))

    while happenings:
        at, _sequence, what, subject = heapq.heappop(happenings)
        if what == "arrive":
            summary.calls += 1
            arrived[subject] = at
            add(at, "call.offered", subject)
            if free:
                answer(subject, free.popleft(), at + RING_SECONDS)
            else:
                gives_up[subject] = at + (rng.expovariate(1.0 / patience) if patience > 0 else 0.0)
                waiting.append((subject, at, gives_up[subject]))
                sequence += 1
                heapq.heappush(happenings, (gives_up[subject], sequence, "give up", subject))
        elif what == "give up":
            if any(call == subject for call, _a, _g in waiting):
                waiting.remove(next(item for item in waiting if item[0] == subject))
                summary.abandoned += 1
                add(at, "call.abandoned", subject)
        elif what == "free":
            if waiting:
                call, _arrived, _gives_up = waiting.popleft()
                answer(call, subject, at)
            else:
                free.append(subject)
    events.sort()
    return events, summary


def _body(run: str, call: int, kind: str) -> dict:
    return {
        "id": f"sim-{run}-{call}-{kind.removeprefix('call.')}",
        "type": kind,
        "call_id": f"sim-{run}-{call}",
        "timestamp": datetime.now(UTC).isoformat(),
    }


def _offer_fields(call: int, queue: str | None) -> dict:
    fields = {"caller": f"+1555{call % 10_000_000:07d}", "dialed": "+15550000000"}
    if queue:
        fields["queue"] = queue
    return fields


def _post(body: dict, summary: Summary, send: Callable[[bytes, dict[str, str]], int], secret: str) -> None:
    raw = json.dumps(body).encode()
    status = send(raw, signed_headers(secret, raw))
    summary.events_sent += 1
    summary.statuses[status] = summary.statuses.get(status, 0) + 1
    if status != 200:
        summary.failures += 1


@dataclass
class DeskCall:
    """A call of a shift the desk's agents answer: what the caller will do, and what happened so far."""

    number: int
    arrives: float  # seconds into the shift
    patience: float  # seconds the caller waits for an answer
    talk: float  # seconds of conversation once answered
    answered: float | None = None
    over: bool = False


def plan_desk_calls(
    *, rate: float, aht: float, minutes: float, patience: float, rng: random.Random
) -> list[DeskCall]:
    """The callers of a shift answered by the desk's agents: Poisson arrivals, and each caller's
    exponential patience and talk time drawn up front (the same seed gives the same callers)."""
    calls = []
    moment, horizon = 0.0, minutes * 60.0
    while rate > 0:
        moment += rng.expovariate(rate / 60.0)
        if moment >= horizon:
            break
        waits = rng.expovariate(1.0 / patience) if patience > 0 else 0.0
        talk = rng.expovariate(1.0 / aht) if aht > 0 else 0.0
        calls.append(DeskCall(len(calls), moment, waits, talk))
    return calls


def play_for_the_desk(
    calls: Sequence[DeskCall],
    *,
    send: Callable[[bytes, dict[str, str]], int],
    secret: str,
    status_of: Callable[[str], str | None],
    queue: str | None,
    speed: float,
    poll: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    run: str | None = None,
) -> Summary:
    """Offer each call when its moment comes and let the desk answer it: every `poll` real seconds, look
    at each waiting call's status on the desk (`status_of(call id)`, "talking" once an agent took it),
    end answered calls `talk` seconds after their answer, and hang up for callers out of patience.
    `speed` times faster than real time (it must be above 0: people answer in real time)."""
    if speed <= 0:
        raise ValueError("The desk's agents answer in real time: speed must be above 0.")
    run = run or secrets.token_hex(4)
    summary = Summary(calls=len(calls))
    started = clock()
    offered: list[DeskCall] = []
    upcoming = deque(sorted(calls, key=lambda call: call.arrives))
    while upcoming or any(not call.over for call in offered):
        now = (clock() - started) * speed
        while upcoming and upcoming[0].arrives <= now:
            call = upcoming.popleft()
            _post(
                {**_body(run, call.number, "call.offered"), **_offer_fields(call.number, queue)},
                summary,
                send,
                secret,
            )
            offered.append(call)
        for call in offered:
            if not call.over:
                _follow(call, now, run, summary, send=send, secret=secret, status_of=status_of)
        sleep(poll)
    summary.elapsed = clock() - started
    return summary


def _follow(call: DeskCall, now: float, run: str, summary: Summary, *, send, secret, status_of) -> None:
    """One look at a call in progress: answered by the desk, over on the desk, or for the caller to end."""
    if call.answered is None:
        status = status_of(f"sim-{run}-{call.number}")
        if status == "talking":
            call.answered = now
            wait = now - call.arrives
            summary.answered += 1
            summary.total_wait += wait
            summary.answered_in_time += wait <= SERVICE_LEVEL_SECONDS
            summary.total_talk += call.talk
        elif status in ("ended", "abandoned"):  # over on the desk's side already
            call.over = True
        elif now >= call.arrives + call.patience:
            _post(_body(run, call.number, "call.abandoned"), summary, send, secret)
            summary.abandoned += 1
            call.over = True
    if call.answered is not None and not call.over and now >= call.answered + call.talk:
        _post(_body(run, call.number, "call.ended"), summary, send, secret)
        call.over = True


def play(
    events: Sequence[PlannedEvent],
    summary: Summary,
    *,
    send: Callable[[bytes, dict[str, str]], int],
    secret: str,
    agent_names: Sequence[str | int],
    queue: str | None,
    speed: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    run: str | None = None,
) -> Summary:
    """Post each event, signed, when its moment comes (`speed` times faster than real time; 0 or less:
    as fast as the endpoint answers). `send(body, headers)` returns the HTTP status."""
    run = run or secrets.token_hex(4)
    started = clock()
    for event in events:
        if speed > 0:
            delay = event.at / speed - (clock() - started)
            if delay > 0:
                sleep(delay)
        body = _body(run, event.call, event.kind)
        if event.kind == "call.offered":
            body.update(_offer_fields(event.call, queue))
        if event.kind == "call.answered" and agent_names:
            body["agent"] = agent_names[event.fields["agent"] % len(agent_names)]
        _post(body, summary, send, secret)
    summary.elapsed = clock() - started
    return summary
