"""Jobs used by the queue tests (RQ imports jobs by dotted path, so they live in a module)."""

from sqlalchemy import func, select

from app.accounts.models import Agent
from app.extensions import db


def count_agents() -> int:
    """Needs an app context and a database session, as every real job does."""
    return db.session.scalar(select(func.count(Agent.id)))
