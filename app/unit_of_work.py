"""A use case's changes land whole or not at all: when it refuses, the session is left as it was.

A use case stages objects, checks rules as it goes and commits once. When a rule refuses halfway (an
illegal status after a field was already set, a name already taken after the row was changed), what it
staged must not stay in the session: the page that shows the refusal would render it, and a later commit
in the same session would write it. `@unit_of_work` on the use case undoes it before the exception leaves:

- **The outermost use case rolls the session back.** An adapter calls one use case with nothing
  uncommitted in the session (adapters never write), so the rollback undoes only that use case's work.
- **A use case called inside another one's open transaction works in a savepoint** taken when it begins,
  and rolls back to it when it refuses: the outer use case's earlier work stays, and the outer decides
  whether to refuse too or to carry on. Inside another use case but outside a transaction (the outer one
  committed before calling it), nothing of the outer's is at stake and no savepoint is taken.

A successful use case commits itself, as before; a savepoint it did not commit away is released into the
outer transaction. Steps that join their caller's transaction (`stage_ticket`, `find_or_add_customer`, the
SLA clock steps) are not units of work: the use case around them is. The error handlers of `app.errors`
still roll back, a safety net for errors raised outside any use case.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

# The savepoints of the use cases running in a session, innermost last (None: nothing to protect).
_RUNNING = "unit_of_work"


def unit_of_work(use_case: F) -> F:
    """Run `use_case` as a unit of work: if it raises, its changes are rolled back first (see above)."""

    @functools.wraps(use_case)
    def run(*args: Any, **kwargs: Any) -> Any:
        session = db.session()
        running = session.info.setdefault(_RUNNING, [])
        running.append(session.begin_nested() if running and session.in_transaction() else None)
        try:
            result = use_case(*args, **kwargs)
        except BaseException:
            _undo(session, running[-1])
            raise
        finally:
            savepoint = running.pop()
        if savepoint is not None and savepoint.is_active:
            savepoint.commit()
        return result

    return run  # type: ignore[return-value]


def roll_back() -> None:
    """Undo the running use case's changes now, and go on: for a use case that must read the stored
    state after a failed write (a lost race, answered with the current values or tried again).

    Inside another use case's transaction this returns to the use case's savepoint and takes a new one,
    so that a refusal later still undoes only its own changes; otherwise it rolls the session back.
    """
    session = db.session()
    running = session.info.get(_RUNNING)
    savepoint = running[-1] if running else None
    if savepoint is not None and savepoint.is_active:
        savepoint.rollback()
        running[-1] = session.begin_nested()
    else:
        session.rollback()


def _undo(session: Session, savepoint: SessionTransaction | None) -> None:
    if savepoint is not None and savepoint.is_active:
        savepoint.rollback()
    else:
        # No savepoint, or the use case committed past it: everything uncommitted is its own.
        session.rollback()
