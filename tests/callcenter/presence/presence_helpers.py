"""What the presence tests share: consoles over Flask-SocketIO's test client, the jobs presence books,
and the recorded history."""

from __future__ import annotations

from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app.accounts import services as accounts
from app.callcenter.live import AGENTS_NAMESPACE
from app.callcenter.presence.models import PresencePeriod
from app.extensions import db, socketio
from app.queue import get_queue


def console(app, agent, **kwargs):
    """A console of `agent` on `/agents`, connected with a new API token of theirs (or as `kwargs` say)."""
    if "auth" not in kwargs and "flask_test_client" not in kwargs:
        kwargs["auth"] = {"token": accounts.create_api_token(agent.id, name="console")[1]}
    # In an app context of its own, as a connection is on a server: the test's own would hand the
    # connection the agent Flask-Login found for an earlier one (it keeps them in `g`).
    with app.app_context():
        return socketio.test_client(app, namespace=AGENTS_NAMESPACE, **kwargs)


def received(client, event: str) -> list[dict]:
    """The payloads of `event` the console received (also once it was disconnected)."""
    return [item["args"][0] for item in client.queue if item["name"] == event]


def connected(client) -> bool:
    return client.is_connected(AGENTS_NAMESPACE)


def booked(function: str) -> list[Job]:
    """The delayed jobs of `app.callcenter.presence.jobs.<function>` waiting for their time."""
    registry = ScheduledJobRegistry(queue=get_queue())
    jobs = [Job.fetch(job_id, connection=registry.connection) for job_id in registry.get_job_ids()]
    return [job for job in jobs if job.func_name == f"app.callcenter.presence.jobs.{function}"]


def run(job: Job) -> None:
    """Run a booked job now, as a worker would once its time has come."""
    job.func(*job.args, **job.kwargs)


def periods(agent_id: int) -> list[tuple]:
    """The agent's recorded history: (state, reason_id, started_at, ended_at, set_by_id), oldest first."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(PresencePeriod).where(PresencePeriod.agent_id == agent_id).order_by(PresencePeriod.id)
    )
    return [(p.state, p.reason_id, p.started_at, p.ended_at, p.set_by_id) for p in rows]
