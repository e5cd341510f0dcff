"""Macros: canned responses that change fields and add a reply to a ticket in one step. Creating,
changing and deleting them is recorded in the settings trail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import SettingKind
from app.errors import Invalid
from app.named_settings import NamedSettings
from app.tickets.models import Macro
from app.tickets.services.tickets import (
    Change,
    apply_changes,
    check_assignee,
    check_open,
    check_queue,
    check_version,
    commit_ticket,
    reply,
    workable_ticket,
)
from app.tickets.signals import ticket_commented
from app.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent
    from app.tickets.models import Ticket

SETTABLE = ("status", "priority", "type", "queue_id", "assignee_id")


def _apply(macro: Macro, values: Mapping[str, Any]) -> None:
    if "description" in values:
        macro.description = values["description"]
    if "actions" in values:
        macro.actions = _clean_actions(values["actions"])


def _values(macro: Macro) -> dict[str, Any]:
    return {"name": macro.name, "description": macro.description, "actions": macro.actions}


MACROS = NamedSettings(
    SettingKind.MACRO, Macro, "a macro", apply=_apply, values=_values, record=accounts.record_setting_change
)


def list_macros():
    return select(Macro).order_by(Macro.name)


def get_macro(macro_id: int) -> Macro:
    return MACROS.get(macro_id)


def create_macro(*, name: str, description: str = "", actions: Mapping[str, Any], actor: Agent) -> Macro:
    """Create a macro (its author is `actor`), recorded in the settings trail."""
    values = {"name": name, "description": description, "actions": actions}
    return MACROS.create(values, actor=actor, created_by_id=actor.id)


def update_macro(
    macro_id: int, changes: Mapping[str, Any], *, actor: Agent, expected_version: int | None = None
) -> Macro:
    """Rename the version of a macro the caller read, or change its description or actions; recorded in
    the settings trail."""
    return MACROS.update(macro_id, changes, actor=actor, expected_version=expected_version)


def delete_macro(macro_id: int, *, actor: Agent, expected_version: int | None = None) -> None:
    """Delete the version of a macro the caller read; recorded in the settings trail."""
    MACROS.delete(macro_id, actor=actor, expected_version=expected_version)


@unit_of_work
def apply_macro(ticket_id: int, macro_id: int, *, expected_version: int, actor: Agent) -> Ticket:
    """Apply a macro's field changes and reply to the version of the ticket the agent is looking at.

    All of it lands in one commit, or nothing does (an illegal status change refuses the whole macro).
    """
    ticket = workable_ticket(ticket_id, actor=actor)
    macro = get_macro(macro_id)
    check_version(ticket, expected_version)
    actions = macro.actions
    check_open(ticket, actions.get("set") or {})
    change = Change(ticket, actor)
    changes: dict[str, Any] = {k: v for k, v in (actions.get("set") or {}).items() if k != "status"}
    if actions.get("add_tags") or actions.get("remove_tags"):
        tags = [t for t in ticket.tags if t not in set(actions.get("remove_tags") or ())]
        changes["tags"] = tags + [t for t in actions.get("add_tags") or () if t not in tags]
    apply_changes(change, changes, actor=actor)
    comment = None
    status = (actions.get("set") or {}).get("status")
    if actions.get("reply"):
        comment = reply(
            change, body=actions["reply"]["body"], public=actions["reply"].get("public", True), status=status
        )
    elif status is not None:
        apply_changes(change, {"status": status}, actor=actor)
    commit_ticket(ticket)
    if comment is not None:
        ticket_commented.send(ticket, actor=actor, comment=comment)
    change.send()
    return ticket


def _clean_actions(actions: Mapping[str, Any]) -> dict[str, Any]:
    """The schema checked the shapes; here: at least one action, and the reply must say something."""
    cleaned = {key: value for key, value in actions.items() if value not in (None, [], {})}
    if not cleaned:
        raise Invalid(
            _l("A macro must do something."), {"actions": [_l("Set a field, change tags or add a reply.")]}
        )
    unknown = set(cleaned.get("set") or {}) - set(SETTABLE)
    if unknown:
        raise Invalid(_l("A macro cannot set these fields."), {"actions": {"set": sorted(unknown)}})
    unusable = _unusable_references(cleaned.get("set") or {})
    if unusable:
        raise Invalid(_l("A macro names a queue or agent it cannot use."), {"actions": {"set": unusable}})
    return cleaned


def _unusable_references(values: Mapping[str, Any]) -> dict[str, list[str]]:
    # Checked when the macro is saved, by the rules applying it will meet, so that it cannot fail on
    # every ticket it is applied to later.
    problems: dict[str, list[str]] = {}
    for name, check in (("queue_id", check_queue), ("assignee_id", check_assignee)):
        if values.get(name) is not None:
            try:
                check(values[name])
            except Invalid as refused:
                problems.update(refused.errors)
    return problems
