"""The 360° timeline: this room's profile events plus whatever other rooms contribute by signal.

Each entry has an English `title` (the API's) and may have a `text`: the same sentence as a lazy
translatable string, which the pages render in their own language. The title is the text rendered in
English, so each sentence is written once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.customers.models import Customer, CustomerEvent
from app.customers.services.profiles import get_customer
from app.customers.signals import timeline_requested
from app.errors import Invalid
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import Agent

SOURCE = "customers"


def customer_timeline(
    customer_id: int, *, before: datetime | None = None, limit: int = 50, viewer: Agent | None = None
) -> dict[str, Any]:
    """Up to `limit` entries older than `before`, newest first, and `next_before` for the next page.
    A deleted customer's timeline is shown only to a `viewer` who may see deleted customers.

    Entries come from the profile's events (including those of customers merged into it) and from every
    receiver of `timeline_requested` (see `app.customers.signals` for the contract).
    """
    before = _utc(before)
    customer = get_customer(customer_id, viewer=viewer)
    absorbed = dict(
        db.session.execute(
            select(Customer.id, Customer.name).where(Customer.merged_into_id == customer.id)
        ).all()
    )
    ids = [customer.id, *absorbed]
    query = (
        select(CustomerEvent)
        .where(
            CustomerEvent.customer_id.in_(ids),
            # A merge is told once, by the survivor's "merged" event; the absorbed profile's own
            # "merged_into" record would say the same again.
            or_(CustomerEvent.customer_id == customer.id, CustomerEvent.kind != "merged_into"),
        )
        .order_by(CustomerEvent.occurred_at.desc(), CustomerEvent.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(CustomerEvent.occurred_at < before)
    names = {customer.id: customer.name, **absorbed}
    entries = [_event_entry(event, names) for event in db.session.scalars(query)]
    maybe_more = len(entries) > limit
    for _receiver, contributed in timeline_requested.send(
        customer.id, before=before, limit=limit, customer_ids=ids, viewer=viewer
    ):
        contributed = [_entry(raw) for raw in contributed or ()]
        # A source that filled its quota may hold older entries than it returned.
        maybe_more = maybe_more or len(contributed) >= limit
        entries += [e for e in contributed if before is None or e["occurred_at"] < before]
    entries.sort(key=lambda e: e["occurred_at"], reverse=True)
    page = _cut(entries, limit)
    more = bool(page) and (maybe_more or len(entries) > len(page))
    return {"items": page, "next_before": page[-1]["occurred_at"] if more else None}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+14:00 is a valid ISO time with no UTC equivalent.
        raise Invalid(_l("The time is out of range."), {"before": [_l("Out of range.")]}) from None


def _cut(entries: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first `limit` entries, stopping short of a group that shares the cut's timestamp.

    The next page asks for entries strictly before the last one shown, so splitting entries of the same
    instant across pages would lose the rest of them.
    """
    if len(entries) <= limit:
        return entries
    boundary = entries[limit]["occurred_at"]
    cut = limit
    while cut > 0 and entries[cut - 1]["occurred_at"] == boundary:
        cut -= 1
    return entries[: cut or limit]


def _entry(raw: dict[str, Any]) -> dict[str, Any]:
    occurred_at = raw["occurred_at"]
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    text = raw.get("text")
    title = raw.get("title")
    if title is None and text is not None:
        title = in_english(text)
    return {
        "occurred_at": occurred_at,
        "kind": raw["kind"],
        "source": raw["source"],
        "title": title,
        "text": text,
        "data": raw.get("data") or {},
        "ref": raw.get("ref"),
    }


def in_english(text: Any) -> str:
    """A lazy text as the API says it, whatever the language of the request."""
    with force_locale("en"):
        return str(text)


def _event_entry(event: CustomerEvent, names: dict[int, str]) -> dict[str, Any]:
    text = event_text(event, names)
    return {
        "occurred_at": event.occurred_at,
        "kind": event.kind,
        "source": SOURCE,
        "title": in_english(text),
        "text": text,
        "data": event.data or {},
        "ref": {"type": "customer", "id": event.customer_id},
    }


def event_text(event: CustomerEvent, names: dict[int, str] | None = None) -> Any:
    """What a profile event says, as a lazy text in the language it is shown in; `names` are the
    customers' names by id, for a merge to say who was merged into whom."""
    data = event.data or {}
    if event.kind == "created":
        return _l("Profile created")
    if event.kind == "updated":
        return _l("Profile updated: %(fields)s", fields=", ".join(data))
    if event.kind == "deleted":
        return _l("Profile deleted")
    if event.kind == "exported":
        return _l("Personal data exported")
    if event.kind == "erased":
        return _l("Personal data erased on request")
    if event.kind == "merged":
        source_id = data.get("source_id")
        if names and source_id in names:
            return _l(
                "%(source)s (customer %(source_id)s) was merged into %(target)s (customer %(target_id)s)",
                source=names[source_id],
                source_id=source_id,
                target=names.get(event.customer_id, ""),
                target_id=event.customer_id,
            )
        return _l("Customer %(source)s merged into this profile", source=source_id)
    if event.kind == "merged_into":
        return _l("Merged into customer %(target)s", target=data.get("target_id"))
    if event.kind == "imported":
        if data.get("action") == "created":
            return _l("Created by a CSV import")
        return _l("Updated by a CSV import: %(fields)s", fields=", ".join(data.get("changes") or {}))
    return event.kind.replace("_", " ").capitalize()
