"""Use cases of the call center: the break reason codes, and the names under which consoles are reached
in real time.

Sending news to an agent's consoles, from any process (a request, a job, a receiver), after the commit:

    live.publish("offer", payload, rooms=[agent_room(agent.id)])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Agent, SettingKind
from app.callcenter import live
from app.callcenter.live import AGENTS_NAMESPACE  # noqa: F401  (re-exported: where consoles are)
from app.callcenter.models import DESCRIPTION_MAX, MAX_BREAK_MINUTES, BreakReason
from app.errors import Invalid
from app.named_settings import NamedSettings


def agent_room(agent_id: int) -> str:
    """The room of one agent's connections in `AGENTS_NAMESPACE` (every tab, on every web process):
    `agent:<id>`. Only the server puts a connection there, after authenticating it as that agent."""
    return live.room("agent", agent_id)


# -- break reasons -----------------------------------------------------------------------------------


def _apply_break_reason(reason: BreakReason, values: Mapping[str, Any]) -> None:
    if "description" in values:
        if len(values["description"]) > DESCRIPTION_MAX:
            raise Invalid(
                _l("Invalid description."),
                {"description": [_l("Use at most %(max)s characters.", max=DESCRIPTION_MAX)]},
            )
        reason.description = values["description"]
    if "paid" in values:
        reason.paid = bool(values["paid"])
    if "max_minutes" in values:
        minutes = values["max_minutes"]
        if minutes is not None and not 1 <= minutes <= MAX_BREAK_MINUTES:
            raise Invalid(
                _l("Invalid length of break."),
                {"max_minutes": [_l("Give 1 to %(max)s minutes, or none.", max=MAX_BREAK_MINUTES)]},
            )
        reason.max_minutes = minutes


def _break_reason_values(reason: BreakReason) -> dict[str, Any]:
    return {
        "name": reason.name,
        "description": reason.description,
        "paid": reason.paid,
        "max_minutes": reason.max_minutes,
    }


BREAK_REASONS = NamedSettings(
    SettingKind.BREAK_REASON,
    BreakReason,
    "a break reason",
    apply=_apply_break_reason,
    values=_break_reason_values,
    record=accounts.record_setting_change,
)


def list_break_reasons():
    """The break reasons by name (a `select()` for paging)."""
    return select(BreakReason).order_by(BreakReason.name)


def get_break_reason(reason_id: int) -> BreakReason:
    return BREAK_REASONS.get(reason_id)


def create_break_reason(
    *,
    name: str,
    description: str = "",
    paid: bool = False,
    max_minutes: int | None = None,
    actor: Agent | None,
) -> BreakReason:
    """Create a break reason, recorded in the settings trail."""
    values = {"name": name, "description": description, "paid": paid, "max_minutes": max_minutes}
    return BREAK_REASONS.create(values, actor=actor)


def update_break_reason(
    reason_id: int, changes: dict[str, Any], *, actor: Agent | None, expected_version: int | None = None
) -> BreakReason:
    """Rename the version of a break reason the caller read, or change its description, whether it is
    paid or how long it may last; recorded in the settings trail."""
    return BREAK_REASONS.update(reason_id, changes, actor=actor, expected_version=expected_version)


def delete_break_reason(reason_id: int, *, actor: Agent | None, expected_version: int | None = None) -> None:
    """Delete the version of a break reason the caller read; recorded in the settings trail."""
    BREAK_REASONS.delete(reason_id, actor=actor, expected_version=expected_version)
