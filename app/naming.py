"""Names people give things (teams, queues, macros, calendars, SLA policies) must not collide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.errors import Conflict
from app.extensions import db


def unique_name(model: type, name: str, *, current_id: int | None = None, what: str) -> str:
    """`name` trimmed, if no other row of `model` carries it in any case; else a 409 on `name`.

    `what` names the thing for the message, with its article ("a queue", "an SLA policy").
    """
    name = name.strip()
    clash = db.session.scalar(select(model).where(func.lower(model.name) == name.lower()))
    if clash is not None and clash.id != current_id:
        raise Conflict(
            _l("The name “%(name)s” is already taken.", name=name), {"name": [_l("Already in use.")]}
        )
    return name
