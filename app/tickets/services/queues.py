"""Queues: lines of work, each served by a team and needing skills; changes go to the settings trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Agent, SettingKind, Skill
from app.errors import Invalid, NotFound
from app.named_settings import NamedSettings
from app.tickets.models import OutsiderAccess, Queue


def _apply(queue: Queue, values: Mapping[str, Any]) -> None:
    if "description" in values:
        queue.description = values["description"]
    if "team_id" in values:
        team_id = values["team_id"]
        if team_id is not None:
            try:
                accounts.get_team(team_id)
            except NotFound as missing:
                raise Invalid("Unknown team.", {"team_id": [missing.message]}) from missing
        queue.team_id = team_id
    if "skills" in values:
        queue.skills = _skills(values["skills"])
    if "outsider_access" in values:
        access = values["outsider_access"]
        if access not in {choice.value for choice in OutsiderAccess}:
            raise Invalid("Unknown access.", {"outsider_access": ["Choose read or none."]})
        queue.outsider_access = str(access)


def _values(queue: Queue) -> dict[str, Any]:
    return {
        "name": queue.name,
        "description": queue.description,
        "team_id": queue.team_id,
        "outsider_access": queue.outsider_access,
        "skills": [skill.name for skill in queue.skills],
    }


def _skills(names: Iterable[str]) -> list[Skill]:
    return accounts.skills_named(names)


QUEUES = NamedSettings(
    SettingKind.QUEUE, Queue, "a queue", apply=_apply, values=_values, record=accounts.record_setting_change
)


def list_queues():
    return select(Queue).order_by(Queue.name)


def get_queue(queue_id: int) -> Queue:
    return QUEUES.get(queue_id)


def create_queue(
    *,
    name: str,
    description: str = "",
    team_id: int | None = None,
    skills: Iterable[str] = (),
    outsider_access: str = OutsiderAccess.NONE,
    actor: Agent | None,
) -> Queue:
    """Create a queue, recorded in the settings trail. `outsider_access` (`read` or `none`) says what
    agents outside its team may do with its tickets (`access`)."""
    values = {
        "name": name,
        "description": description,
        "team_id": team_id,
        "skills": skills,
        "outsider_access": outsider_access,
    }
    return QUEUES.create(values, actor=actor)


def update_queue(
    queue_id: int, changes: dict[str, Any], *, actor: Agent | None, expected_version: int | None = None
) -> Queue:
    """Rename the version of a queue the caller read, or change its description, team, skills or what
    outsiders may do; recorded in the settings trail."""
    return QUEUES.update(queue_id, changes, actor=actor, expected_version=expected_version)
