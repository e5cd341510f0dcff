"""Finding tickets: filters, full-text search and sorting; the built-in views and the agents' saved ones.

`search_tickets` turns filters (as `TicketQuerySchema` loads them from a query string, or as it dumps them
into a saved view) into a `select(Ticket)` for the API to page through. The full-text part lives in
`app.tickets.search.index`, next to the database structures it relies on.

The built-in views are filters computed for the caller (`me`, the queues of the caller's teams, the
configured breaching window); a saved view is an agent's own named filters, visible to nobody else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import team_members
from app.dbtypes import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.records import is_storable_id
from app.tickets.models import Priority, Queue, Status, Ticket, TicketTag
from app.tickets.models.vocabulary import UNSOLVED
from app.tickets.search import index as search_index
from app.tickets.search.models import SavedView
from app.tickets.services.access import visible_to
from app.tickets.sla.models import SlaTarget

if TYPE_CHECKING:
    from app.accounts.models import Agent

Q_MAX = 200
VIEW_NAME_MAX = 80
MAX_SAVED_VIEWS = 100
MAX_BREACHING_WINDOW_SECONDS = 366 * 24 * 3600
DEFAULT_BREACHING_SOON_SECONDS = 2 * 3600
DATE_FILTERS = ("created", "updated", "solved")
SORT_KEYS = ("created_at", "updated_at", "priority", "status", "due")
# Workflow order, so the built-in views list the states the way the console shows them.
UNSOLVED_STATUSES = [status.value for status in Status if status in UNSOLVED]
_PRIORITY_RANK = {priority.value: rank for rank, priority in enumerate(Priority, start=1)}
# Descending puts the furthest along first (closed), ascending the newest (new), as the workflow runs.
_STATUS_RANK = {status.value: rank for rank, status in enumerate(Status, start=1)}


# -- searching ---------------------------------------------------------------------------------------


def search_tickets(filters: Mapping[str, Any], *, actor: Agent) -> Select:
    """The tickets matching every given filter, newest first unless `sort`/`order` say otherwise.

    List filters match any of their values, except `tag`: a ticket must carry every tag given. Date
    ranges are half-open, `[x_from, x_to)`. `assignee_id` takes `me` and `none`, `queue_id` takes
    `mine` (the queues of the actor's teams) and `none`. `q` is a full-text query (see
    `search_index`). `breaching_within_seconds` keeps tickets with a running SLA target due within that
    many seconds from now, or overdue. Ties in the order are broken by id, in the same direction.
    Only tickets the actor may see are found (`access.visible_to`): lists, saved and built-in views, and
    full-text search all come through here.
    """
    conditions: list[ColumnElement[bool]] = [visible_to(actor)]
    for name in ("status", "priority", "type", "channel"):
        if values := _values(filters, name):
            conditions.append(getattr(Ticket, name).in_([str(value) for value in values]))
    if values := _values(filters, "queue_id"):
        conditions.append(_queue_condition(values, actor))
    if values := _values(filters, "assignee_id"):
        conditions.append(_assignee_condition(values, actor))
    if values := _values(filters, "customer_id"):
        conditions.append(Ticket.customer_id.in_([int(value) for value in values]))
    for tag in _values(filters, "tag"):
        conditions.append(Ticket.tag_rows.any(TicketTag.tag == str(tag).strip().lower()))
    for name in DATE_FILTERS:
        column = getattr(Ticket, f"{name}_at")
        if (start := filters.get(f"{name}_from")) is not None:
            conditions.append(column >= _instant(start, f"{name}_from"))
        if (end := filters.get(f"{name}_to")) is not None:
            conditions.append(column < _instant(end, f"{name}_to"))
    if q := (filters.get("q") or "").strip():
        conditions.append(search_index.matches(q, db.session.get_bind().dialect.name))
    if (window := filters.get("breaching_within_seconds")) is not None:
        conditions.append(_breaching_within(int(window)))
    return (
        select(Ticket)
        .where(*conditions)
        .order_by(*_ordering(filters.get("sort") or "created_at", filters.get("order")))
        .options(joinedload(Ticket.customer), joinedload(Ticket.assignee), selectinload(Ticket.complaint))
    )


def customer_tickets(customer_id: int, *, actor: Agent) -> Select:
    """A customer's tickets as their profile lists them: unsolved ones first, then the latest changed.

    Built on `search_tickets`, so whatever it keeps from the actor keeps from this list too."""
    unsolved_first = case((Ticket.status.in_(UNSOLVED_STATUSES), 0), else_=1)
    return (
        search_tickets({"customer_id": [customer_id]}, actor=actor)
        .order_by(None)
        .order_by(unsolved_first, Ticket.updated_at.desc(), Ticket.id.desc())
    )


def _values(filters: Mapping[str, Any], name: str) -> list[Any]:
    """A list filter's values; a lone value counts as a list of one (hand-written saved filters)."""
    value = filters.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _instant(value: datetime | str, name: str) -> datetime:
    """Saved views hold their dates as ISO strings; loaded filters hold datetimes."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as bad:
            raise Invalid(
                _l("A saved date filter is unreadable."), {name: [_l("Not a valid datetime.")]}
            ) from bad
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _references(values: list[Any]) -> tuple[list[int], set[str]]:
    ids, keywords = [], set()
    for value in values:
        if isinstance(value, str) and not value.isdigit():
            keywords.add(value)
        else:
            ids.append(int(value))
    return ids, keywords


def _queue_condition(values: list[Any], actor: Agent) -> ColumnElement[bool]:
    ids, keywords = _references(values)
    alternatives: list[ColumnElement[bool]] = []
    if ids:
        alternatives.append(Ticket.queue_id.in_(ids))
    if "mine" in keywords:
        alternatives.append(Ticket.queue_id.in_(_queues_of_teams_of(actor)))
    if "none" in keywords:
        alternatives.append(Ticket.queue_id.is_(None))
    return or_(*alternatives) if alternatives else false()


def _queues_of_teams_of(actor: Agent) -> Select:
    my_teams = select(team_members.c.team_id).where(team_members.c.agent_id == actor.id)
    return select(Queue.id).where(Queue.team_id.in_(my_teams))


def _assignee_condition(values: list[Any], actor: Agent) -> ColumnElement[bool]:
    ids, keywords = _references(values)
    if "me" in keywords:
        ids.append(actor.id)
    alternatives: list[ColumnElement[bool]] = []
    if ids:
        alternatives.append(Ticket.assignee_id.in_(ids))
    if "none" in keywords:
        alternatives.append(Ticket.assignee_id.is_(None))
    return or_(*alternatives) if alternatives else false()


def _running_target() -> ColumnElement[bool]:
    """A target whose clock still counts: neither met nor cancelled, with a due time (a paused target
    that was not yet due has none). Breached ones stay in: they are overdue and still unmet."""
    return and_(SlaTarget.met_at.is_(None), SlaTarget.cancelled_at.is_(None), SlaTarget.due_at.is_not(None))


def _breaching_within(seconds: int) -> ColumnElement[bool]:
    horizon = utcnow() + timedelta(seconds=seconds)
    return Ticket.id.in_(select(SlaTarget.ticket_id).where(_running_target(), SlaTarget.due_at <= horizon))


def _ordering(sort: str, order: str | None) -> list[ColumnElement]:
    descending = order == "desc" if order else sort != "due"
    if sort == "priority":
        key = case(_PRIORITY_RANK, value=Ticket.priority, else_=0)
    elif sort == "status":
        key = case(_STATUS_RANK, value=Ticket.status, else_=0)
    elif sort == "due":
        key = (
            select(func.min(SlaTarget.due_at))
            .where(SlaTarget.ticket_id == Ticket.id, _running_target())
            .scalar_subquery()
        )
    elif sort == "updated_at":
        key = Ticket.updated_at
    else:
        key = Ticket.created_at
    key = key.desc() if descending else key.asc()
    tie = Ticket.id.desc() if descending else Ticket.id.asc()
    # Tickets without a running target have no due time: last either way, not first when descending.
    return [key.nulls_last() if sort == "due" else key, tie]


# -- views -------------------------------------------------------------------------------------------


def _my_open() -> dict[str, Any]:
    return {"assignee_id": ["me"], "status": UNSOLVED_STATUSES}


def _unassigned_in_my_queues() -> dict[str, Any]:
    return {"assignee_id": ["none"], "queue_id": ["mine"], "status": UNSOLVED_STATUSES}


def _breaching_soon() -> dict[str, Any]:
    return {
        "status": UNSOLVED_STATUSES,
        "breaching_within_seconds": breaching_soon_seconds(),
        "sort": "due",
        "order": "asc",
    }


@dataclass(frozen=True)
class _BuiltInView:
    id: str
    name: str
    description: str
    # Computed on each use: the window is a setting, and the filters are shown to clients as they apply.
    filters: Callable[[], dict[str, Any]]


BUILT_IN_VIEWS = {
    view.id: view
    for view in (
        _BuiltInView("my-open", "My open", "Unsolved tickets assigned to you.", _my_open),
        _BuiltInView(
            "unassigned-in-my-queues",
            "Unassigned in my queues",
            "Unsolved tickets nobody has taken, in the queues your teams serve.",
            _unassigned_in_my_queues,
        ),
        _BuiltInView(
            "breaching-soon",
            "Breaching soon",
            "Unsolved tickets with an SLA target due soon or already overdue, soonest first.",
            _breaching_soon,
        ),
    )
}


def breaching_soon_seconds() -> int:
    """How far ahead "Breaching soon" looks (setting `SLA_BREACHING_SOON_SECONDS`, 7200 unless set)."""
    return int(current_app.config.get("SLA_BREACHING_SOON_SECONDS", DEFAULT_BREACHING_SOON_SECONDS))


def _describe_built_in(view: _BuiltInView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "built_in": True,
        "description": view.description,
        "filters": view.filters(),
        "created_at": None,
    }


def _describe(view: SavedView) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "built_in": False,
        "description": "",
        "filters": view.filters,
        "created_at": view.created_at,
    }


def _own_views(actor: Agent) -> list[SavedView]:
    query = select(SavedView).where(SavedView.agent_id == actor.id).order_by(SavedView.name, SavedView.id)
    return list(db.session.scalars(query))


def _own_view(view_id: str, actor: Agent) -> SavedView:
    """The actor's own stored view; another agent's is as missing as one that never existed."""
    view = None
    if view_id.isascii() and view_id.isdigit():  # the built-in views are named, saved ones numbered
        view = db.session.get(SavedView, int(view_id)) if is_storable_id(int(view_id)) else None
    if view is None or view.agent_id != actor.id:
        raise NotFound(_l("View %(view_id)s not found.", view_id=view_id))
    return view


def list_views(*, actor: Agent) -> list[dict[str, Any]]:
    """The built-in views, then the actor's own saved views by name."""
    return [_describe_built_in(view) for view in BUILT_IN_VIEWS.values()] + [
        _describe(view) for view in _own_views(actor)
    ]


def get_view(view_id: str, *, actor: Agent) -> dict[str, Any]:
    if view_id in BUILT_IN_VIEWS:
        return _describe_built_in(BUILT_IN_VIEWS[view_id])
    return _describe(_own_view(view_id, actor))


def create_view(*, name: str, filters: Mapping[str, Any], actor: Agent) -> dict[str, Any]:
    """Save named filters for the actor. `filters` as `TicketQuerySchema` dumps them (plain JSON).

    Names are unique per agent, ignoring case, and may not repeat a built-in view's name.
    """
    name = (name or "").strip()
    if not name:
        raise Invalid(_l("A view needs a name."), {"name": [_l("Must not be empty.")]})
    taken = [view.name for view in BUILT_IN_VIEWS.values()]
    own = _own_views(actor)
    if name.casefold() in {other.casefold() for other in taken + [view.name for view in own]}:
        raise Conflict(
            _l("You already have a view called “%(name)s”.", name=name), {"name": [_l("Pick another name.")]}
        )
    if len(own) >= MAX_SAVED_VIEWS:
        raise Invalid(
            _l("At most %(max_saved_views)s saved views per agent.", max_saved_views=MAX_SAVED_VIEWS),
            {"name": [_l("Delete a view you no longer use first.")]},
        )
    view = SavedView(agent_id=actor.id, name=name, filters=dict(filters))
    db.session.add(view)
    db.session.commit()
    return _describe(view)


def delete_view(view_id: str, *, actor: Agent) -> None:
    """Delete one of the actor's saved views; built-in views stay."""
    if view_id in BUILT_IN_VIEWS:
        raise Forbidden(_l("Built-in views cannot be deleted."))
    db.session.delete(_own_view(view_id, actor))
    db.session.commit()


def view_tickets(view_id: str, *, actor: Agent, ordering: Mapping[str, str] | None = None) -> Select:
    """The tickets a view shows the actor right now (built-in views are computed for the caller), in
    the view's order unless `ordering` (`sort` and `order`, as the search takes them) says otherwise."""
    if view_id in BUILT_IN_VIEWS:
        filters = BUILT_IN_VIEWS[view_id].filters()
    else:
        filters = _own_view(view_id, actor).filters or {}
    if ordering and ordering.get("sort"):
        filters = {**filters, "sort": ordering["sort"], "order": ordering.get("order")}
    return search_tickets(filters, actor=actor)


def count_views(*, actor: Agent) -> dict[str, int | None]:
    """How many tickets each of the actor's views (`list_views`) shows now, and all tickets (key
    `""`): the searches the views run, counted in one statement. A saved view whose filters no longer
    read (a date stored unreadable) counts None rather than failing the rest."""
    queries: dict[str, Select] = {"": search_tickets({}, actor=actor)}
    counts: dict[str, int | None] = {"": None}
    for view in list_views(actor=actor):
        counts[view["id"]] = None
        try:
            queries[view["id"]] = search_tickets(view["filters"] or {}, actor=actor)
        except Invalid:
            continue
    totals = [
        select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()
        for query in queries.values()
    ]
    counts.update(zip(queries, db.session.execute(select(*totals)).one(), strict=True))
    return counts


def forget_replaced_text() -> None:
    """After text of tickets or comments was overwritten in this transaction (a customer's erasure), leave
    no word of it in the full-text index (see `index.forget_replaced_text`)."""
    search_index.forget_replaced_text()
