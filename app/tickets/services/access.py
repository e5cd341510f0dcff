"""Who may see and work which tickets: the one rule every path that reads or changes tickets applies.

A queue is served by a team. Members of that team work its tickets (read them and change them: claim,
assign, reply, change fields, macros, files). Agents outside the team read them or do not see them at
all, as the queue's `outsider_access` says (`none` unless a supervisor opens it with `read`, as a group
in Zammad is its members' alone). A queue without a team and a ticket without a queue are everyone's.
Supervisors and admins (`TICKETS_EVERY_QUEUE`) see and change every ticket, and so does the desk itself
(no actor: jobs, imports, the customer writing).

What a caller may not see answers 404, as a ticket that does not exist does; what they may see but
not change answers 403 saying why. Lists filter with `visible_to`, single tickets are loaded with
`readable_ticket` / `workable_ticket` (or checked with `check_may_see` / `check_may_work` once loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select, true

from app.accounts.access import Permission, has_permission
from app.accounts.models import team_members
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.records import get_or_404
from app.tickets.models import OutsiderAccess, Queue, Ticket

if TYPE_CHECKING:
    from app.accounts.models import Agent


def sees_every_queue(agent: Agent | None) -> bool:
    """Supervisors, admins and the desk itself (no agent) see and change every ticket."""
    return agent is None or has_permission(agent, Permission.TICKETS_EVERY_QUEUE)


def _teams_of(agent: Agent):
    return select(team_members.c.team_id).where(team_members.c.agent_id == agent.id)


def visible_to(agent: Agent | None) -> ColumnElement[bool]:
    """A condition on `Ticket` keeping the tickets `agent` may see, for every query that lists them."""
    if sees_every_queue(agent):
        return true()
    open_queues = select(Queue.id).where(
        or_(
            Queue.team_id.is_(None),
            Queue.outsider_access == OutsiderAccess.READ.value,
            Queue.team_id.in_(_teams_of(agent)),
        )
    )
    return or_(Ticket.queue_id.is_(None), Ticket.queue_id.in_(open_queues))


def _member(agent: Agent, queue: Queue) -> bool:
    return any(team.id == queue.team_id for team in agent.teams)


def _queue_of(ticket: Ticket) -> Queue | None:
    # By id rather than `ticket.queue`: a change moving the ticket has set `queue_id`, and the
    # relationship is not loaded again before the flush. The identity map answers without a query.
    return db.session.get(Queue, ticket.queue_id) if ticket.queue_id is not None else None


def may_see(agent: Agent | None, ticket: Ticket) -> bool:
    queue = _queue_of(ticket)
    if sees_every_queue(agent) or queue is None or queue.team_id is None:
        return True
    return queue.outsider_access == OutsiderAccess.READ or _member(agent, queue)


def may_work(agent: Agent | None, ticket: Ticket) -> bool:
    queue = _queue_of(ticket)
    if sees_every_queue(agent) or queue is None or queue.team_id is None:
        return True
    return _member(agent, queue)


def check_may_see(ticket: Ticket, agent: Agent | None) -> Ticket:
    """The ticket, or the 404 a missing one gets: the caller cannot tell a hidden ticket from none."""
    if not may_see(agent, ticket):
        # The very words of a missing ticket's 404 (`records.get_or_404`).
        raise NotFound(_l("%(what)s %(id)s not found.", what=_l("Ticket"), id=ticket.id))
    return ticket


def check_may_work(ticket: Ticket, agent: Agent | None) -> Ticket:
    """The ticket, or 404 if `agent` may not see it, or 403 naming the team that works it."""
    check_may_see(ticket, agent)
    if not may_work(agent, ticket):
        queue = _queue_of(ticket)
        raise Forbidden(
            _l(
                "Ticket %(reference)s is in the %(queue)s queue, which the %(team)s team works; "
                "you may read it but not change it.",
                reference=ticket.reference,
                queue=queue.name,
                team=queue.team.name,
            ),
            {"ticket": [_l("Read-only: not one of your teams' queues.")]},
        )
    return ticket


def readable_ticket(ticket_id: int, *, viewer: Agent | None) -> Ticket:
    """The ticket `viewer` asked for, or 404 (missing or hidden alike)."""
    return check_may_see(get_or_404(Ticket, ticket_id, what=_l("Ticket")), viewer)


def workable_ticket(ticket_id: int, *, actor: Agent | None, for_update: bool = False) -> Ticket:
    """The ticket `actor` is about to change: 404 missing or hidden, 403 read-only."""
    return check_may_work(get_or_404(Ticket, ticket_id, what=_l("Ticket"), for_update=for_update), actor)
