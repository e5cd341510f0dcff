"""How the settings trail reads to people: a recorded value in words rather than as stored.

The trail keeps values as the services hold them (`member_ids: [3, 7]`, `first_response_seconds: 3600`,
weekly hours as `{"mon": [["09:00", "17:00"]]}`); the page shows names, durations and hours. Agents and
teams are this room's; the rooms above name their own settings' values (a queue's, a calendar's, the
tickets' words) when asked with `setting_names_requested`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from babel.dates import format_timedelta, get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Agent, SettingChange, Team
from app.accounts.signals import setting_names_requested
from app.extensions import db
from app.moments import format_date

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The fields that hold ids of this room's rows.
_AGENT_FIELDS = frozenset({"member_ids"})
_TEAM_FIELDS = frozenset({"team_id"})


def _values(changes: Iterable[SettingChange]) -> dict[str, set[Any]]:
    """Every single value each field of `changes` records (list items one by one)."""
    found: dict[str, set[Any]] = {}
    for change in changes:
        for field, pair in (change.changes or {}).items():
            for value in pair or ():
                items = value if isinstance(value, list) else [value]
                found.setdefault(field, set()).update(
                    item for item in items if isinstance(item, str | int) and not isinstance(item, bool)
                )
    return found


def names_for(changes: Iterable[SettingChange]) -> dict[str, dict[Any, str]]:
    """Per field, the name of each stored value the trail's page shows (ids of agents, teams, queues,
    calendars; words of the tickets' vocabulary). One query per kind of row."""
    values = _values(changes)
    names: dict[str, dict[Any, str]] = {}
    agent_ids = {v for f in _AGENT_FIELDS for v in values.get(f, ()) if isinstance(v, int)}
    team_ids = {v for f in _TEAM_FIELDS for v in values.get(f, ()) if isinstance(v, int)}
    if agent_ids:
        agents = dict(db.session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids))).all())
        names.update({field: agents for field in _AGENT_FIELDS})
    if team_ids:
        teams = dict(db.session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())
        names.update({field: teams for field in _TEAM_FIELDS})
    for _receiver, answer in setting_names_requested.send(None, values=values):
        for field, named in (answer or {}).items():
            names.setdefault(field, {}).update(named)
    return names


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return str(seconds)
    if seconds == 0:
        return _("none")
    return format_timedelta(
        timedelta(seconds=seconds), threshold=1, granularity="minute", format="long", locale=get_locale()
    )


def _weekly_hours(hours: Any) -> str:
    if not isinstance(hours, Mapping):
        return json.dumps(hours, ensure_ascii=False)
    day_names = get_day_names("abbreviated", locale=get_locale())
    days = []
    for index, day in enumerate(WEEKDAYS):
        intervals = hours.get(day) or hours.get(str(index)) or []
        if intervals:
            spans = ", ".join("\u2013".join(str(end) for end in interval) for interval in intervals)
            days.append(f"{day_names[index]} {spans}")
    return "; ".join(days) or _("closed every day")


def _holiday(value: Any) -> str:
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def shown_value(field: str, value: Any, names: Mapping[str, Mapping[Any, str]]) -> str:
    """A recorded value as people read it; "—" for none."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if field.endswith("_seconds"):
        return _duration(value)
    if field == "weekly_hours":
        return _weekly_hours(value)
    if field == "holidays" and isinstance(value, list):
        return ", ".join(_holiday(day) for day in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    named = names.get(field, {})
    if field in _AGENT_FIELDS | _TEAM_FIELDS or field.endswith("_id"):
        items = value if isinstance(value, list) else [value]
        return ", ".join(named.get(item) or _("#%(id)s (deleted)", id=item) for item in items)
    if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
        return ", ".join(named.get(item) or str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return named.get(value) or str(value)
