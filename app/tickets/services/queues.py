"""Use cases of the tickets room."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Agent, Skill
from app.errors import Invalid, NotFound
from app.extensions import db
from app.naming import unique_name
from app.records import get_or_404
from app.tickets.models import Queue


def list_queues():
    return select(Queue).order_by(Queue.name)


def get_queue(queue_id: int) -> Queue:
    return get_or_404(Queue, queue_id)


def create_queue(
    *,
    name: str,
    description: str = "",
    team_id: int | None = None,
    skills: Iterable[str] = (),
    actor: Agent | None,
) -> Queue:
    queue = Queue(name=unique_name(Queue, name, what="a queue"), description=description)
    _apply(queue, {"team_id": team_id, "skills": skills})
    db.session.add(queue)
    db.session.commit()
    return queue


def update_queue(queue_id: int, changes: dict[str, Any], *, actor: Agent) -> Queue:
    queue = get_queue(queue_id)
    if "name" in changes:
        queue.name = unique_name(Queue, changes["name"], current_id=queue.id, what="a queue")
    if "description" in changes:
        queue.description = changes["description"]
    _apply(queue, changes)
    db.session.commit()
    return queue


def _apply(queue: Queue, changes: dict[str, Any]) -> None:
    if "team_id" in changes:
        team_id = changes["team_id"]
        if team_id is not None:
            try:
                accounts.get_team(team_id)
            except NotFound as missing:
                raise Invalid("Unknown team.", {"team_id": [missing.message]}) from missing
        queue.team_id = team_id
    if "skills" in changes:
        queue.skills = _skills(changes["skills"])


def _skills(names: Iterable[str]) -> list[Skill]:
    return accounts.skills_named(names)
