"""The SLA as people read it: "First response due in 10 minutes (at 16:00)", "Resolution overdue by
2 hours (due at 14:00)", in the viewer's language and time zone (`app.moments`), for the ticket page's
SLA card and the history lines of warnings and breaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app import moments
from app.tickets.words import label


def due_phrase(
    due_at: datetime, *, at: datetime | None = None, kind: str | None = None, overdue: bool | None = None
) -> Markup:
    """How `due_at` stands as seen at `at` (default: now): due in some time, or overdue by some time
    (`overdue` says which when the caller knows better than the clock), with the due moment on the
    viewer's clock; led by the target's name when `kind` is given."""
    at = at or datetime.now(UTC)
    values = {"time": moments.moment_element(due_at, "clock", now=at)}
    if kind is not None:
        values["target"] = label(kind)
    if not (due_at < at if overdue is None else overdue):
        values["relative"] = moments.format_relative(due_at, now=at)
        text = (
            _("%(target)s due %(relative)s (at %(time)s)")
            if kind is not None
            else _("due %(relative)s (at %(time)s)")
        )
    else:
        values["duration"] = moments.format_duration(max(at - due_at, timedelta()))
        text = (
            _("%(target)s overdue by %(duration)s (due at %(time)s)")
            if kind is not None
            else _("overdue by %(duration)s (due at %(time)s)")
        )
    # Markup's `%` escapes every value but the <time> element.
    return Markup(escape(text)) % values


def event_phrase(event: Any) -> Markup | None:
    """The history line of an `sla_warning` or `sla_breached` audit event (which store the target's
    kind as `field` and its due moment as `new_value`), as seen when it was recorded; None for other
    events, or one whose due moment cannot be read."""
    if event.kind not in ("sla_warning", "sla_breached") or not isinstance(event.new_value, str):
        return None
    try:
        due_at = datetime.fromisoformat(event.new_value)
    except ValueError:
        return None
    # A breach may be recorded the very moment it falls due (a replayed history): overdue all the same.
    return due_phrase(due_at, at=event.at, kind=event.field, overdue=event.kind == "sla_breached")
