"""`flask --app wsgi callcenter ...`: the call history import and the call simulator."""

from __future__ import annotations

import random
import urllib.error
import urllib.request
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import Agent
from app.callcenter.calls import services as calls
from app.callcenter.calls import simulator
from app.callcenter.calls.models import Call
from app.extensions import db
from app.imports import import_json_lines_file

callcenter_cli = AppGroup("callcenter", help="The call center: call history, the call simulator.")

EVENTS_PATH = "/api/v1/callcenter/events"


@callcenter_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_calls(path: Path) -> None:
    """Import past calls from a UTF-8 JSON Lines file, for the KPIs; exits with 1 if any line failed.

    One call per line: id, queue (a name), caller, offered_at, answered_at, ended_at, abandoned_at,
    agent_email, hold_seconds, wrap_up_seconds, disposition. A call keeps its id, so running the same
    file again is harmless.
    """
    import_json_lines_file(
        path,
        label="Importing calls",
        run=lambda lines, progress, total: calls.import_call_history(
            lines, on_progress=progress, total=total
        ),
    )


@callcenter_cli.command("simulate")
@click.option("--rate", type=click.FloatRange(min=0), default=6.0, show_default=True, help="Calls a minute.")
@click.option("--aht", type=click.FloatRange(min=0), default=180.0, show_default=True, help="Mean talk, s.")
@click.option(
    "--agents",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Simulated agents answering; 0: the desk's agents answer in their consoles.",
)
@click.option(
    "--minutes", type=click.FloatRange(min=0), default=10.0, show_default=True, help="Shift length."
)
@click.option("--patience", type=click.FloatRange(min=0), default=60.0, show_default=True, help="Mean s.")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="The desk's address.")
@click.option("--queue", default=None, help="The queue's name (default: none; routing's default).")
@click.option(
    "--agent-emails",
    default=None,
    help="Comma-separated e-mails of the agents who answer (default: the first active agents).",
)
@click.option(
    "--speed", type=float, default=1.0, show_default=True, help="Times faster than real time; 0: flat out."
)
@click.option("--seed", type=int, default=None, help="Random seed, for a shift that repeats.")
def simulate(rate, aht, agents, minutes, patience, url, queue, agent_emails, speed, seed) -> None:
    """Play a shift of calls against the desk's telephony endpoint, signed with TELEPHONY_WEBHOOK_SECRET:
    Poisson arrivals, exponential talk times, simulated agents answering first come first served and
    callers abandoning when nobody is free in time; then print a summary.

    With --agents 0 the simulator only offers the calls: routing offers them to the desk's available
    agents, who accept in their consoles; each answered call ends after its talk time, and a caller
    nobody answered within their patience hangs up (leaving a callback request)."""
    secret = current_app.config.get("TELEPHONY_WEBHOOK_SECRET")
    if not secret:
        raise click.ClickException("Set TELEPHONY_WEBHOOK_SECRET (the desk and the simulator share it).")
    if agents == 0:
        _simulate_for_the_desk(rate, aht, minutes, patience, url, queue, speed, seed, secret)
        return
    names = _agents(agent_emails, agents)
    events, summary = simulator.plan_shift(
        rate=rate, aht=aht, agents=agents, minutes=minutes, patience=patience, rng=random.Random(seed)
    )
    click.echo(f"{summary.calls} calls, {len(events)} events to {url}{EVENTS_PATH} at {speed}x ...")
    summary = simulator.play(
        events,
        summary,
        send=_poster(url.rstrip("/") + EVENTS_PATH),
        secret=secret,
        agent_names=names,
        queue=queue,
        speed=speed,
    )
    for line in summary.lines():
        click.echo(line)


def _simulate_for_the_desk(rate, aht, minutes, patience, url, queue, speed, seed, secret) -> None:
    if speed <= 0:
        raise click.BadParameter("must be above 0 when the desk's agents answer.", param_hint="--speed")
    callers = simulator.plan_desk_calls(
        rate=rate, aht=aht, minutes=minutes, patience=patience, rng=random.Random(seed)
    )
    click.echo(
        f"{len(callers)} calls to {url}{EVENTS_PATH} at {speed}x, answered by the desk's agents "
        "in their consoles ..."
    )
    summary = simulator.play_for_the_desk(
        callers,
        send=_poster(url.rstrip("/") + EVENTS_PATH),
        secret=secret,
        status_of=_status_on_the_desk,
        queue=queue,
        speed=speed,
    )
    for line in summary.lines():
        click.echo(line)


def _status_on_the_desk(external_id: str) -> str | None:
    """The status of a call the simulator offered, as the desk has it now (read only)."""
    status = db.session.scalar(
        select(Call.status).where(Call.provider == calls.Provider.PBX, Call.external_id == external_id)
    )
    db.session.rollback()  # end the read, so the next look sees what the desk committed since
    return status


def _agents(emails: str | None, count: int) -> list[str]:
    if emails:
        return [email.strip() for email in emails.split(",") if email.strip()]
    query = select(Agent.email).where(Agent.active.is_(True)).order_by(Agent.id).limit(count)
    found = list(db.session.scalars(query))
    if not found:
        click.echo("No active agents: calls are answered by nobody in particular.", err=True)
    return found


def _poster(url: str):
    def send(body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0

    return send
