"""The web form's routing map: read it, replace it (versioned, recorded in the settings trail), and route a
submission by it.

A submission of the complaint form goes to its category's queue, the support form's to the `request`
route's; a form without a queue of its own goes to the default queue (none set: no queue). A complaint
gets its category's severity (medium unless set), and its priority follows the severity
(`PRIORITY_OF_SEVERITY`): the SLA policy chosen by queue and priority then applies from the submission on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import versions
from app.accounts import services as accounts
from app.accounts.models import SettingKind
from app.dbtypes import utcnow
from app.errors import Invalid, NotFound
from app.extensions import db
from app.named_settings import Action
from app.portal.routing.models import FORMS, MAP_ID, REQUEST_FORM, WebFormRoute, WebFormRouting
from app.tickets.models import Priority, Severity
from app.tickets.services import get_queue
from app.unit_of_work import roll_back, unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent

# The name the settings trail gives the map.
TRAIL_NAME = "Web form routes"
# A complaint's priority by its severity: the scales have four steps each, in the same order.
PRIORITY_OF_SEVERITY = {
    Severity.LOW: Priority.LOW,
    Severity.MEDIUM: Priority.NORMAL,
    Severity.HIGH: Priority.HIGH,
    Severity.CRITICAL: Priority.URGENT,
}


class StaleRouting(versions.StaleVersion):
    """Someone changed the map since the caller read it; `current` is the map as it is now."""

    def __init__(self, routing: WebFormRouting):
        super().__init__(routing, "The map of web form routes")


@dataclass(frozen=True)
class Route:
    """Where one submission goes: its queue (or none) and, for a complaint, its severity and priority."""

    queue_id: int | None
    severity: str | None
    priority: str


def get_routing() -> WebFormRouting:
    """The map, with every form's route (`all_routes`)."""
    routing = db.session.get(WebFormRouting, MAP_ID)
    if routing is None:
        # Only a database whose tables were emptied gets here (creating the table adds the row).
        db.session.add(WebFormRouting(id=MAP_ID, version=1))
        try:
            db.session.commit()
        except IntegrityError:
            roll_back()  # another request added it first
        routing = db.session.get(WebFormRouting, MAP_ID)
    return routing


def route_for(form: str) -> Route:
    """Where a submission of `form` (a complaint category, or `request`) goes; one query."""
    row = db.session.execute(
        select(WebFormRouting.default_queue_id, WebFormRoute.queue_id, WebFormRoute.severity)
        .select_from(WebFormRouting)
        .outerjoin(WebFormRoute, (WebFormRoute.routing_id == WebFormRouting.id) & (WebFormRoute.form == form))
        .where(WebFormRouting.id == MAP_ID)
    ).first()
    default_queue_id, queue_id, severity = row if row is not None else (None, None, None)
    if form == REQUEST_FORM:
        return Route(queue_id or default_queue_id, None, Priority.NORMAL.value)
    severity = severity or Severity.MEDIUM.value
    return Route(queue_id or default_queue_id, severity, PRIORITY_OF_SEVERITY[Severity(severity)].value)


@unit_of_work
def replace_routing(
    *,
    default_queue_id: int | None,
    routes: Iterable[Mapping[str, Any]],
    actor: Agent | None,
    expected_version: int | None = None,
) -> WebFormRouting:
    """Replace the whole map with the version the caller read: forms not named go to the default queue
    (complaints of medium severity). The change is one new version and one record of the settings trail
    (`{field: [old, new]}`: `default_queue_id`, and each form whose route changed); a map given as it
    is changes nothing."""
    routing = get_routing()
    versions.check(routing, expected_version, StaleRouting)
    wanted = _checked(default_queue_id, list(routes))
    before = {route["form"]: _shown(route) for route in routing.all_routes}
    changes: dict[str, list[Any]] = {}
    if routing.default_queue_id != default_queue_id:
        changes["default_queue_id"] = [routing.default_queue_id, default_queue_id]
    stored = {route.form: route for route in routing.routes}
    kept = []
    for form in FORMS:
        queue_id, severity = wanted.get(form, (None, None))
        after = _shown({"form": form, "queue_id": queue_id, "severity": severity})
        if after != before[form]:
            changes[form] = [before[form], after]
        if queue_id is None and severity in (None, Severity.MEDIUM.value):
            continue  # as a form never set: no row
        route = stored.get(form) or WebFormRoute(form=form)
        route.queue_id, route.severity = queue_id, severity
        kept.append(route)
    if not changes:
        return routing
    read = routing.version
    routing.default_queue_id = default_queue_id
    routing.routes = kept
    routing.updated_at = utcnow()
    versions.bump(routing, read)
    accounts.record_setting_change(
        SettingKind.WEB_FORM_ROUTES, routing.id, TRAIL_NAME, Action.UPDATED, changes, actor=actor
    )
    with versions.lost_race_is_stale(get_routing, StaleRouting):
        db.session.commit()
    return routing


def _checked(
    default_queue_id: int | None, routes: list[Mapping[str, Any]]
) -> dict[str, tuple[int | None, str | None]]:
    """The routes by form, or `Invalid` naming every field at fault (`routes.<index>.<field>`)."""
    errors: dict[str, Any] = {}
    if default_queue_id is not None and not _queue_exists(default_queue_id):
        errors["default_queue_id"] = [_l("Unknown queue.")]
    wanted: dict[str, tuple[int | None, str | None]] = {}
    route_errors: dict[str, dict[str, list[str]]] = {}
    for index, route in enumerate(routes):
        problems: dict[str, list[str]] = {}
        form, queue_id, severity = route.get("form"), route.get("queue_id"), route.get("severity")
        if form not in FORMS:
            problems["form"] = [_l("Must be one of: %(choices)s.", choices=", ".join(FORMS))]
        elif form in wanted:
            problems["form"] = [_l("Named twice: give each form one route.")]
        if queue_id is not None and not _queue_exists(queue_id):
            problems["queue_id"] = [_l("Unknown queue.")]
        if form == REQUEST_FORM and severity is not None:
            problems["severity"] = [_l("Only complaint categories have a severity.")]
        elif severity is not None and severity not in set(Severity):
            problems["severity"] = [_l("Must be one of: %(choices)s.", choices=", ".join(Severity))]
        if problems:
            route_errors[str(index)] = problems
        elif form is not None:
            wanted[form] = (queue_id, severity)
    if route_errors:
        errors["routes"] = route_errors
    if errors:
        raise Invalid(_l("The web form routes have invalid fields; nothing was changed."), errors)
    return wanted


def _queue_exists(queue_id: int) -> bool:
    try:
        get_queue(queue_id)
    except NotFound:
        return False
    return True


def _shown(route: Mapping[str, Any]) -> dict[str, Any]:
    """A route as the trail records it: its queue, and a complaint category's severity (medium unless set)."""
    if route["form"] == REQUEST_FORM:
        return {"queue_id": route["queue_id"]}
    return {"queue_id": route["queue_id"], "severity": route["severity"] or Severity.MEDIUM.value}
