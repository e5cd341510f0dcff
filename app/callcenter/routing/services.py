"""Use cases of routing.

Other parts of the call center (calls, callbacks) and the tickets receivers hand work to routing with
`stage_work`, a step that joins the caller's transaction; after their commit, `route_soon` asks for the
queue to be routed (a job, so the request that created the work does not wait for the decision).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.callcenter.routing.models import WorkItem, WorkKind, WorkStatus
from app.dbtypes import utcnow
from app.extensions import db


def stage_work(
    kind: WorkKind,
    subject_id: int,
    *,
    queue_id: int | None,
    customer_id: int | None = None,
    priority: int = 0,
    not_before: datetime | None = None,
    waiting_since: datetime | None = None,
) -> WorkItem:
    """Put a ticket, call or callback request in line for routing, in the caller's transaction.

    A subject already in line keeps its row (and its place, unless it was done or cancelled, when it
    waits again from now).
    """
    item = db.session.scalars(
        select(WorkItem).where(WorkItem.kind == kind, WorkItem.subject_id == subject_id)
    ).one_or_none()
    if item is None:
        item = WorkItem(kind=kind, subject_id=subject_id)
        db.session.add(item)
    if item.status in (None, WorkStatus.ASSIGNED, WorkStatus.CANCELLED):
        item.status = WorkStatus.WAITING
        item.waiting_since = waiting_since or utcnow()
        item.agent_id = None
        item.offer_expires_at = None
    item.queue_id = queue_id
    item.customer_id = customer_id
    item.priority = priority
    item.not_before = not_before
    return item
