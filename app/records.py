"""Loading one row by the id a caller named: the row, or 404.

Every resource answers an id that names no row alike, whatever the id: unknown, zero, negative, or
beyond what the column stores (a database asked for 2**63 raises instead of finding nothing).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l

from app.errors import NotFound
from app.extensions import db
from app.inputs import MAX_ID

Row = TypeVar("Row")


def is_storable_id(value: Any) -> bool:
    """Whether `value` could be the id of a stored row."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def get_or_404(model: type[Row], row_id: Any, *, what: Any = None, for_update: bool = False) -> Row:
    """The `model` row with `row_id`, or NotFound ("<what> <id> not found."; `what`, best a lazy text
    so a page says it in its reader's language, defaults to the class name). `for_update` locks the row
    until the commit (PostgreSQL; SQLite serializes writers)."""
    row = db.session.get(model, row_id, with_for_update=for_update) if is_storable_id(row_id) else None
    if row is None:
        raise NotFound(_l("%(what)s %(id)s not found.", what=what or model.__name__, id=row_id))
    return row
