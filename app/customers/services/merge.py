"""Merging two profiles of the same person into one, with an audit record on both."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.customers.models import Customer, CustomerTag
from app.customers.services.profiles import record_event
from app.customers.signals import customer_merge_staged, customers_merged
from app.dbtypes import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.records import MAX_ID
from app.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent


@unit_of_work
def merge_customers(source_id: int, target_id: int, *, actor: Agent | None) -> Customer:
    """Move everything of customer `source_id` into `target_id`; the source is gone afterwards.

    Contact points move (exact duplicates of the target's are dropped), tags are united, custom fields and
    empty profile fields are filled from the source (the target's values win), notes are appended,
    revenue is added up, consents stay the target's. Both get an event saying what moved; the source is
    soft-deleted and points at the target. Other rooms re-point their rows in the same transaction
    (`customer_merge_staged`); `customers_merged` follows the commit.

    Repeating a finished merge changes nothing of the customers and returns the target (the signals go
    out again, for rows that reached the source meanwhile). 422 for a merge into itself; 404 for a
    missing source, and for a target that is missing, deleted or itself merged away; 409 for a source
    already merged elsewhere.
    """
    if source_id == target_id:
        raise Invalid(
            _l("A customer cannot be merged into itself."), {"into": [_l("Choose another customer.")]}
        )
    if not (0 < source_id <= MAX_ID and 0 < target_id <= MAX_ID):
        raise NotFound(_l("No such customer."), {"into": [_l("No such customer.")]})
    # Both rows locked in id order (PostgreSQL), so two merges racing over the same pair cannot each win
    # half, nor deadlock; SQLite serializes writers anyway.
    rows = db.session.scalars(
        select(Customer)
        .where(Customer.id.in_([source_id, target_id]))
        .order_by(Customer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {customer.id: customer for customer in rows}
    source, target = found.get(source_id), found.get(target_id)
    if source is None:
        raise NotFound(_l("Customer %(source_id)s not found.", source_id=source_id))
    if target is None or target.deleted_at is not None:
        if target is not None and target.merged_into_id:
            survivor = target.merged_into_id
            raise NotFound(
                _l(
                    "Customer %(id)s not found (merged into customer %(survivor)s).",
                    id=target_id,
                    survivor=survivor,
                ),
                {
                    "into": [
                        _l(
                            "No customer %(id)s (merged into customer %(survivor)s).",
                            id=target_id,
                            survivor=survivor,
                        )
                    ]
                },
            )
        raise NotFound(
            _l("Customer %(id)s not found.", id=target_id),
            {"into": [_l("No customer %(id)s.", id=target_id)]},
        )
    if source.merged_into_id == target.id:
        customer_merge_staged.send(target, source_id=source_id, target_id=target_id, actor=actor)
        db.session.commit()  # and let go of the row locks
        customers_merged.send(target, source_id=source_id, target_id=target_id, actor=actor)
        return target
    if source.merged_into_id is not None:
        raise Conflict(
            _l(
                "Customer %(source_id)s was already merged into customer %(merged_into_id)s.",
                source_id=source_id,
                merged_into_id=source.merged_into_id,
            ),
            {
                "into": [
                    _l(
                        "Customer %(source_id)s now lives on as customer %(merged_into_id)s.",
                        source_id=source_id,
                        merged_into_id=source.merged_into_id,
                    )
                ]
            },
        )
    if source.deleted_at is not None:
        raise NotFound(_l("Customer %(source_id)s not found.", source_id=source_id))

    moved = _move(source, target)
    now = utcnow()
    source.merged_into_id = target.id
    source.deleted_at = now
    source.updated_at = now
    target.updated_at = now
    # Customers merged into the source earlier now point at the survivor: one hop from any old id.
    repointed = db.session.scalars(select(Customer.id).where(Customer.merged_into_id == source.id)).all()
    db.session.execute(
        update(Customer).where(Customer.merged_into_id == source.id).values(merged_into_id=target.id)
    )
    record_event(target, "merged", {"source_id": source.id, **moved, "repointed": list(repointed)}, actor)
    record_event(source, "merged_into", {"target_id": target.id}, actor)
    customer_merge_staged.send(target, source_id=source_id, target_id=target_id, actor=actor)
    db.session.commit()
    customers_merged.send(target, source_id=source_id, target_id=target_id, actor=actor)
    return target


def _move(source: Customer, target: Customer) -> dict[str, Any]:
    """Carry the source's data over to the target; what moved, for the audit record."""
    moved: dict[str, Any] = {"emails": [], "phones": [], "dropped": []}
    if source.revenue_12m or source.lifetime_revenue:
        if target.currency != source.currency:
            if target.revenue_12m or target.lifetime_revenue:
                currencies = f"{source.currency} and {target.currency}"
                raise Conflict(
                    _l("The two customers' revenue is in different currencies."),
                    {
                        "into": [
                            _l(
                                "Revenue in %(currencies)s cannot be added up; align the currencies first.",
                                currencies=currencies,
                            )
                        ]
                    },
                )
            target.currency = source.currency
        moved["revenue_12m"] = str(source.revenue_12m)
        moved["lifetime_revenue"] = str(source.lifetime_revenue)
        target.revenue_12m += source.revenue_12m
        target.lifetime_revenue += source.lifetime_revenue
        # Zeroed on the source, so totals over every row (deleted ones included) do not count it twice.
        source.revenue_12m = source.lifetime_revenue = Decimal("0.00")

    owned = {(cp.kind, cp.value) for cp in target.contact_points}
    with_primary = {cp.kind for cp in target.contact_points if cp.is_primary}
    for point in list(source.contact_points):
        if (point.kind, point.value) in owned:
            moved["dropped"].append(point.value)
            source.contact_points.remove(point)
            continue
        moved["emails" if point.kind == "email" else "phones"].append(point.value)
        point.is_primary = point.is_primary and point.kind not in with_primary
        point.customer = target

    target_tags = set(target.tag_names)
    moved["tags"] = [tag for tag in source.tag_names if tag not in target_tags]
    target.tags.extend(CustomerTag(tag=tag) for tag in moved["tags"])
    source.tags = []

    filled = {key: value for key, value in source.custom_fields.items() if key not in target.custom_fields}
    if filled:
        target.custom_fields = {**target.custom_fields, **filled}
    moved["custom_fields"] = sorted(filled)

    for field in ("organization_id", "preferred_language", "timezone", "preferred_channel"):
        if getattr(target, field) is None and getattr(source, field) is not None:
            setattr(target, field, getattr(source, field))
            moved[field] = getattr(source, field)

    if source.notes.strip():
        separator = "\n\n" if target.notes.strip() else ""
        target.notes = (
            f"{target.notes.rstrip()}{separator}[From customer {source.id}]\n{source.notes.strip()}"
        )
        moved["notes"] = True
    return moved
