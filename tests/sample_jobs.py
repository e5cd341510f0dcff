"""Jobs used by the queue tests (RQ imports jobs by dotted path, so they live in a module)."""

import time

from rq import get_current_job
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from app.accounts.models import Agent
from app.callcenter.services import AGENTS_NAMESPACE, agent_room
from app.extensions import db, socketio


def count_agents() -> int:
    """Needs an app context and a database session, as every real job does."""
    return db.session.scalar(select(func.count(Agent.id)))


def emit_to_agent(agent_id: int, event: str, data: dict) -> None:
    """Emit to one agent's consoles from the process running the job (a worker: through Redis)."""
    socketio.emit(event, data, to=agent_room(agent_id), namespace=AGENTS_NAMESPACE)


def outlive_heartbeats(seconds: float) -> bool:
    """Run longer than a worker's missed heartbeats allow, then have the registries cleaned as a
    maintenance pass would: is this job still counted as running (not taken for abandoned)?"""
    job = get_current_job()
    time.sleep(seconds)
    registry = StartedJobRegistry(job.origin, connection=job.connection)
    registry.cleanup()
    return job.id in registry.get_job_ids(cleanup=False)


def fail_always(reason: str, **about: int) -> None:
    """A job that fails on every run (for the failed-job registry)."""
    raise RuntimeError(reason)
