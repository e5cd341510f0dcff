"""Named settings (teams, queues, macros, business-hours calendars, SLA policies): created, changed and
deleted in one shape, every change recorded in the settings trail.

The room owning a kind's table describes it once as `NamedSettings`: the model, the kind's name in the
trail and in messages, how given values are applied to a row (its rules refuse with `Invalid`), which
values the trail records, and the kind's own steps around an update or a delete (SLA policies re-time
their tickets' targets). Its use cases are then one line each.

Each operation is one use case (`app.unit_of_work`): the name is trimmed, 1 to `NAME_MAX` characters and
unique regardless of case (`app.naming`), the row is written, a record of who changed what from which
value to which is added, and one commit writes both; a refusal leaves neither. The trail is the accounts
room's table, which the kernel cannot import: each kind is handed the step that adds a record
(`accounts.services.record_setting_change`).

Every kind's model is `app.versions.Versioned`, and a change or a deletion follows the tickets' rule: it
names the version the caller read, and a setting someone else has changed (or deleted) since is refused
with a 409 carrying the setting as it is now (`StaleVersion`), before anything is written or when the
write loses its race, so no one's change is overwritten unseen and the trail records only the winner's.
Callers that read nothing first (the demo loader, the command line) name no version: only a lost race
refuses them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

from flask_babel import lazy_gettext as _l

from app.errors import Invalid
from app.extensions import db
from app.naming import unique_name
from app.records import get_or_404
from app.unit_of_work import unit_of_work
from app.versions import StaleVersion, bump, check, lost_race_is_stale

# Every named setting's `name` column is a String(80).
NAME_MAX = 80

Row = TypeVar("Row")


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class Recorder(Protocol):
    """Adds one record of the trail to the session (the caller commits it with the change).

    `changes` is `{field: [old, new]}`: old is None for a creation, new None for a deletion. `actor` is the
    agent who made the change, or None (the command line, the demo loader).
    """

    def __call__(
        self,
        kind: str,
        setting_id: int,
        name: str,
        action: Action,
        changes: dict[str, list[Any]],
        *,
        actor: Any,
    ) -> None: ...


@dataclass(frozen=True)
class NamedSettings(Generic[Row]):
    """One kind of named setting and its use cases. `what` names it in messages, with its article."""

    kind: str
    model: type[Row]
    what: str
    # Writes the given values (a creation's all, an update's changes; never `name`) onto a row.
    apply: Callable[[Row, Mapping[str, Any]], None]
    # The values the trail records, as JSON: `{field: value}`, `name` included.
    values: Callable[[Row], dict[str, Any]]
    record: Recorder
    # Run after an update's values are applied, before the commit (the rows that depend on the setting).
    after_update: Callable[[Row, Mapping[str, Any]], None] | None = None
    # Run before a delete; may refuse (a setting still in use).
    before_delete: Callable[[Row], None] | None = None

    def get(self, setting_id: int) -> Row:
        """The row, or 404 ("Queue 7 not found.")."""
        return get_or_404(self.model, setting_id, what=self._title)

    @property
    def _title(self) -> str:
        """The kind as messages start with it: Queue (for "a queue"), SLA policy (for "an SLA policy")."""
        title = self.what.split(" ", 1)[1]
        return title[0].upper() + title[1:]

    def _stale(self, row: Any) -> StaleVersion:
        return StaleVersion(row, f"{self._title} {row.id}")

    @unit_of_work
    def create(self, values: Mapping[str, Any], *, actor: Any, **columns: Any) -> Row:
        """A new row named `values["name"]` with the other values applied; `columns` are set as they are
        (a macro's author)."""
        row = self.model(name=self._name(values["name"]), **columns)
        self.apply(row, values)
        db.session.add(row)
        db.session.flush()  # the id the record names
        created = {field: [None, new] for field, new in self.values(row).items()}
        self._record(row, Action.CREATED, created, actor)
        db.session.commit()
        return row

    @unit_of_work
    def update(
        self,
        setting_id: int,
        changes: Mapping[str, Any],
        *,
        actor: Any,
        expected_version: int | None = None,
    ) -> Row:
        """Apply the given changes to the version the caller read; the record names each field that
        changed (none changed: no record, no new version)."""
        row = self.get(setting_id)
        check(row, expected_version, self._stale)
        read = row.version
        with lost_race_is_stale(partial(self.get, setting_id), self._stale):
            # A copy: a JSON value changed in place would otherwise change the "before" with it.
            before = copy.deepcopy(self.values(row))
            # One flush at most before the commit: each flush of a changed row bumps its version.
            with db.session.no_autoflush:
                if "name" in changes:
                    row.name = self._name(changes["name"], current_id=row.id)
                self.apply(row, changes)
            if self.after_update is not None:
                self.after_update(row, changes)
            after = self.values(row)
            changed = {
                field: [before.get(field), new] for field, new in after.items() if new != before.get(field)
            }
            if changed:
                bump(row, read)
                self._record(row, Action.UPDATED, changed, actor)
            db.session.commit()
        return row

    @unit_of_work
    def delete(self, setting_id: int, *, actor: Any, expected_version: int | None = None) -> None:
        """Delete the version the caller read; the record keeps the values it had."""
        row = self.get(setting_id)
        check(row, expected_version, self._stale)
        with lost_race_is_stale(partial(self.get, setting_id), self._stale):
            if self.before_delete is not None:
                self.before_delete(row)
            deleted = {field: [old, None] for field, old in self.values(row).items()}
            self._record(row, Action.DELETED, deleted, actor)
            db.session.delete(row)
            db.session.commit()

    def _name(self, name: str, *, current_id: int | None = None) -> str:
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise Invalid(
                _l("Invalid name."),
                {"name": [_l("Give a name of 1 to %(name_max)s characters.", name_max=NAME_MAX)]},
            )
        return unique_name(self.model, name, current_id=current_id, what=self.what)

    def _record(self, row: Any, action: Action, changes: dict[str, list[Any]], actor: Any) -> None:
        self.record(self.kind, row.id, row.name, action, changes, actor=actor)
