"""Use cases for customers' personal data: the log of who opened a profile, the data subject's export,
and erasure on request.

- **Access log.** Reading a profile (its page, `GET /api/v1/customers/<id>`, its timeline through the
  API) is a use case that records who read it: one INSERT of ids and a time, and one commit.
- **Export.** Everything we hold about one person, as one JSON document: the profile (and the profiles
  merged into it), its history, and the sections other rooms answer to `personal_data_requested`
  (tickets with every message, internal notes included, attachments' names, web form answers, surveys,
  mails; calls once they exist). Who exported it and when is recorded on the profile (`exported`).
- **Erasure.** The person's values are overwritten in every room in one transaction
  (`customer_erase_staged`), while every row and every value KPIs count stays (KPI.md: tickets with their
  times, statuses, queues and SLA data, survey scores, messages with their times and authors' kinds,
  revenue). The profile's history keeps its kinds, times and actors but loses its values, and an
  `erased` event records who erased it and when, with no value of the person in it. Irreversible.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, insert, select
from sqlalchemy.orm import joinedload

from app.customers.models import Customer, CustomerEvent, CustomerImport
from app.customers.privacy.models import AccessChannel, CustomerAccess
from app.customers.services.fields import definitions_by_key
from app.customers.services.profiles import get_customer, record_event
from app.customers.services.timeline import customer_timeline
from app.customers.signals import customer_erase_staged, personal_data_requested
from app.dbtypes import utcnow
from app.errors import Conflict
from app.extensions import db
from app.records import get_or_404
from app.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent

EXPORT_FORMAT = "switchboard.customer-export/1"
ERASED_NAME = "Erased customer"
# Values of profile events that say what kind of change it was, never whose data: kept by an erasure
# (with numbers, which name customers, imports and rows) so the timeline still reads the same.
_NEUTRAL_EVENT_VALUES = frozenset({"action"})


# -- the access log ----------------------------------------------------------------------------------


def open_profile(customer_id: int, *, viewer: Agent, via: str = AccessChannel.API) -> Customer:
    """The customer `viewer` may see (deleted ones only to supervisors and admins), with the reading
    recorded in the access log."""
    customer = get_customer(customer_id, viewer=viewer)
    _record_access(customer.id, viewer, via)
    return customer


def open_timeline(
    customer_id: int, *, viewer: Agent, before: datetime | None = None, limit: int = 50
) -> dict[str, Any]:
    """The customer's timeline (see `customers.services.customer_timeline`), its reading recorded."""
    timeline = customer_timeline(customer_id, before=before, limit=limit, viewer=viewer)
    _record_access(customer_id, viewer, AccessChannel.TIMELINE)
    return timeline


def _record_access(customer_id: int, viewer: Agent, via: str) -> None:
    # Every profile read pays for this: one INSERT without the unit of work's bookkeeping.
    db.session.execute(
        insert(CustomerAccess).values(customer_id=customer_id, agent_id=viewer.id, via=via, at=utcnow())
    )
    db.session.commit()


def list_accesses(customer_id: int) -> Select:
    """Who opened the customer's profile, newest first (any customer, deleted and erased ones too)."""
    get_or_404(Customer, customer_id, what=_l("Customer"))
    return (
        select(CustomerAccess)
        .where(CustomerAccess.customer_id == customer_id)
        .order_by(CustomerAccess.at.desc(), CustomerAccess.id.desc())
        .options(joinedload(CustomerAccess.agent))
    )


def erased_at(customer_id: int) -> datetime | None:
    """When the customer's data was erased (its `erased` event), or None."""
    return db.session.scalar(
        select(CustomerEvent.occurred_at)
        .where(CustomerEvent.customer_id == customer_id, CustomerEvent.kind == "erased")
        .limit(1)
    )


def list_data_requests(customer_id: int) -> list[CustomerEvent]:
    """The exports and the erasure of the customer's data, newest first."""
    return list(
        db.session.scalars(
            select(CustomerEvent)
            .where(CustomerEvent.customer_id == customer_id, CustomerEvent.kind.in_(("exported", "erased")))
            .order_by(CustomerEvent.occurred_at.desc(), CustomerEvent.id.desc())
            .options(joinedload(CustomerEvent.actor))
        )
    )


# -- export ------------------------------------------------------------------------------------------


def export_customer(customer_id: int, *, actor: Agent) -> dict[str, Any]:
    """Everything held about the customer, as a JSON-ready document; the export is recorded.

    Internal notes are included: they are personal data about the person as much as the replies they
    read (GDPR art. 15, PIPL art. 45 give access to all of it). Agents appear by their kind only. The
    supervisor handing the file over checks it for what the law lets them hold back (other people's
    data, trade secrets).
    """
    customer = get_customer(customer_id, viewer=actor)
    ids = _merged_ids(customer)
    customers = _customers(ids)
    exported_at = utcnow()
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(exported_at),
        "customer": {**_profile(customer), "erased_at": _iso(erased_at(customer.id))},
        "merged_customers": [_profile(other) for other in customers if other.id != customer.id],
        "profile_history": _history(ids),
    }
    for _receiver, sections in personal_data_requested.send(customer.id, customer_ids=ids):
        document.update(sections or {})
    event = record_event(customer, "exported", {}, actor)
    event.occurred_at = exported_at
    db.session.commit()
    return document


def _merged_ids(customer: Customer) -> list[int]:
    return [
        customer.id,
        *db.session.scalars(
            select(Customer.id).where(Customer.merged_into_id == customer.id).order_by(Customer.id)
        ),
    ]


def _customers(ids: list[int]) -> list[Customer]:
    return list(db.session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)))


def _profile(customer: Customer) -> dict[str, Any]:
    labels = {key: definition.label for key, definition in definitions_by_key().items()}
    organization = customer.organization
    return {
        "id": customer.id,
        "name": customer.name,
        "organization": {"id": organization.id, "name": organization.name} if organization else None,
        "contact_points": [
            {
                "kind": point.kind,
                "value": point.value,
                "label": point.label,
                "is_primary": point.is_primary,
                "added_at": _iso(point.created_at),
            }
            for point in customer.contact_points
        ],
        "tags": customer.tag_names,
        "custom_fields": [
            {"key": key, "label": labels.get(key, key), "value": value}
            for key, value in sorted((customer.custom_fields or {}).items())
        ],
        "preferred_language": customer.preferred_language,
        "timezone": customer.timezone,
        "preferred_channel": customer.preferred_channel,
        "consent": customer.consent,
        "revenue_12m": str(customer.revenue_12m),
        "lifetime_revenue": str(customer.lifetime_revenue),
        "currency": customer.currency,
        "lifecycle_stage": customer.lifecycle_stage,
        "value_tier": customer.value_tier,
        "churn_risk": customer.churn_risk,
        "notes": customer.notes,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "deleted_at": _iso(customer.deleted_at),
        "merged_into_id": customer.merged_into_id,
    }


def _history(ids: list[int]) -> list[dict[str, Any]]:
    events = db.session.scalars(
        select(CustomerEvent)
        .where(CustomerEvent.customer_id.in_(ids))
        .order_by(CustomerEvent.occurred_at, CustomerEvent.id)
    )
    return [
        {
            "customer_id": event.customer_id,
            "occurred_at": _iso(event.occurred_at),
            "kind": event.kind,
            "by": "agent" if event.actor_id is not None else "system",
            "changes": event.data or {},
        }
        for event in events
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# -- erasure -----------------------------------------------------------------------------------------


@unit_of_work
def erase_customer(customer_id: int, *, actor: Agent) -> Customer:
    """Erase the customer's personal data everywhere, keeping what KPIs count; irreversible.

    A deleted customer can be erased (by those who see deleted customers); a merged one answers 404
    naming the survivor, whose erasure covers it. Erasing twice is a 409.
    """
    customer = get_customer(customer_id, viewer=actor)
    if erased_at(customer.id) is not None:
        raise Conflict(_l("Customer %(customer_id)s was already erased.", customer_id=customer_id))
    ids = _merged_ids(customer)
    now = utcnow()
    for person in _customers(ids):
        _anonymize(person, now)
    events = list(db.session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id.in_(ids))))
    _forget_imported_rows(events)
    for event in events:
        event.data = _without_values(event.data or {})
    customer_erase_staged.send(customer.id, customer_ids=ids, actor=actor)
    event = record_event(customer, "erased", {}, actor)
    event.occurred_at = now
    db.session.commit()
    return customer


def _anonymize(customer: Customer, now: datetime) -> None:
    customer.name = ERASED_NAME
    customer.organization = None
    customer.contact_points = []
    customer.tags = []
    customer.custom_fields = {}
    customer.notes = ""
    customer.preferred_language = None
    customer.timezone = None
    customer.preferred_channel = None
    customer.consent_email = customer.consent_sms = False
    customer.consent_phone = customer.consent_marketing = False
    customer.updated_at = now
    # Nobody is left to look up, write to or merge: the profile leaves agents' lists and lookups.
    customer.deleted_at = customer.deleted_at or now


def _without_values(data: dict[str, Any]) -> dict[str, Any]:
    """The event's data with the names of what changed kept and every value typed in dropped (a
    changed field's old and new values come in lists, so numbers in them go too)."""
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            kept[key] = _without_values(value)
        elif key in _NEUTRAL_EVENT_VALUES or isinstance(value, int):
            kept[key] = value
        else:
            kept[key] = None
    return kept


def _forget_imported_rows(events: list[CustomerEvent]) -> None:
    """Blank the rows of stored CSV imports that created or changed the person (their `imported`
    events name the import and the row), keeping them as empty rows so the others keep their numbers."""
    rows_by_import: dict[int, set[int]] = {}
    for event in events:
        data = event.data or {}
        if (
            event.kind == "imported"
            and isinstance(data.get("import_id"), int)
            and isinstance(data.get("row"), int)
        ):
            rows_by_import.setdefault(data["import_id"], set()).add(data["row"])
    for import_id, numbers in rows_by_import.items():
        record = db.session.get(CustomerImport, import_id)
        if record is None:
            continue
        rows = list(csv.reader(io.StringIO(record.content, newline="")))
        for number in numbers:
            if 0 < number < len(rows):
                rows[number] = [""] * len(rows[number])
        content = io.StringIO()
        csv.writer(content, lineterminator="\n").writerows(rows)
        record.content = content.getvalue()
