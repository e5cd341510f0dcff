"""Queues: lines of work, each served by a team and needing skills; changes go to the settings trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Agent, SettingKind, Skill
from app.errors import Invalid, NotFound
from app.extensions import db
from app.named_settings import NamedSettings
from app.tickets.models import OutsiderAccess, Queue
from app.tickets.sla.models import Calendar
from app.tickets.words import label


def _apply(queue: Queue, values: Mapping[str, Any]) -> None:
    if "description" in values:
        queue.description = values["description"]
    if "team_id" in values:
        team_id = values["team_id"]
        if team_id is not None:
            try:
                accounts.get_team(team_id)
            except NotFound as missing:
                raise Invalid(_l("Unknown team."), {"team_id": [missing.message]}) from missing
        queue.team_id = team_id
    if "skills" in values:
        queue.skills = _skills(values["skills"])
    if "outsider_access" in values:
        access = values["outsider_access"]
        if access not in {choice.value for choice in OutsiderAccess}:
            raise Invalid(_l("Unknown access."), {"outsider_access": [_l("Choose read or none.")]})
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


def setting_names(values: Mapping[str, Iterable[Any]]) -> dict[str, dict[Any, str]]:
    """Names for the settings trail's stored values this room owns: queues and business-hours calendars
    by id, priorities and ticket types by the words agents read (read-only)."""
    names: dict[str, dict[Any, str]] = {}
    queue_ids = [v for v in values.get("queue_id", ()) if isinstance(v, int)]
    calendar_ids = [v for v in values.get("calendar_id", ()) if isinstance(v, int)]
    if queue_ids:
        queues = select(Queue.id, Queue.name).where(Queue.id.in_(queue_ids))
        names["queue_id"] = dict(db.session.execute(queues).all())
    if calendar_ids:
        names["calendar_id"] = dict(
            db.session.execute(select(Calendar.id, Calendar.name).where(Calendar.id.in_(calendar_ids))).all()
        )
    for field in ("priority", "ticket_type"):
        names[field] = {value: label(value) for value in values.get(field, ()) if isinstance(value, str)}
    return names
