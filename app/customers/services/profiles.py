"""Profiles: create, read, change, soft-delete, search, look up by contact point, find duplicates.

Writing goes through two steps shared with the CSV import: `clean_profile` checks and normalizes every
field at once (so a caller sees all its mistakes together) without touching the database, and
`apply_profile` writes the cleaned values onto a customer and returns what changed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.access import Permission, has_permission
from app.customers.contacts import normalize_email, normalize_phone, phone_or_none
from app.customers.models import (
    CURRENCY,
    LANGUAGE,
    MAX_CONTACTS,
    MAX_MONEY,
    MAX_TAGS,
    NAME_MAX,
    NOTES_MAX,
    TAG_MAX,
    Channel,
    ContactKind,
    ContactLabel,
    ContactPoint,
    Customer,
    CustomerEvent,
    CustomerTag,
    CustomFieldDefinition,
    Organization,
)
from app.customers.services.fields import clean_custom_fields, definitions_by_key
from app.dbtypes import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.i18n import LANGUAGES, normalize_language, valid_timezone
from app.records import get_or_404

if TYPE_CHECKING:
    from app.accounts.models import Agent

CENT = Decimal("0.01")
DUPLICATES_LIMIT = 50

NUL_MESSAGE = _l("Must not contain NUL characters.")
CONSENTS = ("email", "sms", "phone", "marketing")
# Fields a PATCH may change, in the order their changes are reported.
EDITABLE = (
    "name",
    "organization",
    "emails",
    "phones",
    "tags",
    "preferred_language",
    "timezone",
    "preferred_channel",
    "custom_fields",
    "consent",
    "revenue_12m",
    "lifetime_revenue",
    "currency",
    "notes",
)
_CONTACT_FIELDS = {"emails": ContactKind.EMAIL, "phones": ContactKind.PHONE}


class CustomerMerged(NotFound):
    """The customer is gone because it was merged; the message and `target_id` say where to."""

    def __init__(self, customer_id: int, target_id: int):
        super().__init__(
            _l("Customer %(id)s was merged into customer %(target)s.", id=customer_id, target=target_id),
            {"merged_into_id": target_id},
        )
        self.target_id = target_id


def _with_profile(query: Select) -> Select:
    """Load what `CustomerSchema` shows, in as few statements as the query shape allows."""
    return query.options(
        joinedload(Customer.organization), selectinload(Customer.contact_points), selectinload(Customer.tags)
    )


def actor_id(actor: Agent | None) -> int | None:
    return actor.id if actor is not None else None


def record_event(customer: Customer, kind: str, data: dict[str, Any], actor: Agent | None) -> CustomerEvent:
    event = CustomerEvent(customer_id=customer.id, kind=kind, data=data, actor_id=actor_id(actor))
    db.session.add(event)
    return event


# -- reading -----------------------------------------------------------------------------------------


def sees_deleted(viewer: Agent | None) -> bool:
    """Whether `viewer` may see soft-deleted customers (supervisors and admins); agents never do."""
    return has_permission(viewer, Permission.CUSTOMERS_READ_DELETED)


def get_customer(customer_id: int, *, viewer: Agent | None = None) -> Customer:
    """A live customer by id; deleted ones are 404 too (merged ones say where they went), except to a
    `viewer` who may see deleted customers."""
    customer = get_or_404(Customer, customer_id, what=_l("Customer"))
    if customer.deleted_at is not None and (customer.merged_into_id is not None or not sees_deleted(viewer)):
        if customer.merged_into_id is not None:
            raise CustomerMerged(customer_id, customer.merged_into_id)
        raise NotFound(_l("Customer %(customer_id)s not found.", customer_id=customer_id))
    return customer


def search_customers(
    *,
    q: str | None = None,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    organization: str | None = None,
    tag: str | None = None,
    include_deleted: bool = False,
    sort: str = "newest",
    viewer: Agent | None = None,
) -> Select:
    """Customers matching every given criterion (case-insensitive), newest first or by name.

    `q` matches a name, an e-mail, a phone or an organization name. Phones match exactly when the text
    parses as a number, and by their digits otherwise (`555-01` finds `+12015550123`). Deleted customers
    are left out unless `include_deleted`, which only a `viewer` who may see them can ask for (403).
    """
    if include_deleted and not sees_deleted(viewer):
        raise Forbidden(
            _l("Only supervisors and admins see deleted customers."),
            {"include_deleted": [_l("Only supervisors and admins see deleted customers.")]},
        )
    q, name, email, phone, organization, tag = map(_searchable, (q, name, email, phone, organization, tag))
    query = select(Customer)
    if not include_deleted:
        query = query.where(Customer.deleted_at.is_(None))
    if q:
        query = query.where(
            or_(
                Customer.name.icontains(q, autoescape=True),
                Customer.organization.has(Organization.name.icontains(q, autoescape=True)),
                Customer.contact_points.any(
                    and_(
                        ContactPoint.kind == ContactKind.EMAIL,
                        ContactPoint.value.contains(q.lower(), autoescape=True),
                    )
                ),
                _phone_matches(q),
            )
        )
    if name:
        query = query.where(Customer.name.icontains(name, autoescape=True))
    if email := email.lower():
        query = query.where(
            Customer.contact_points.any(
                and_(
                    ContactPoint.kind == ContactKind.EMAIL,
                    ContactPoint.value.contains(email, autoescape=True),
                )
            )
        )
    if phone:
        query = query.where(_phone_matches(phone))
    if organization:
        query = query.where(
            Customer.organization.has(Organization.name.icontains(organization, autoescape=True))
        )
    if tag := tag.lower():
        query = query.where(Customer.tags.any(CustomerTag.tag == tag))
    if sort == "name":
        query = query.order_by(func.lower(Customer.name), Customer.id)
    else:
        query = query.order_by(Customer.created_at.desc(), Customer.id.desc())
    return _with_profile(query)


def _phone_matches(text: str):
    if e164 := phone_or_none(text):
        condition = ContactPoint.value == e164
    else:
        digits = re.sub(r"\D", "", text)
        if len(digits) < 3:
            return false()  # too few digits to mean a phone
        condition = ContactPoint.value.contains(digits, autoescape=True)
    return Customer.contact_points.any(and_(ContactPoint.kind == ContactKind.PHONE, condition))


def lookup_customer(*, phone: str | None = None, email: str | None = None) -> Customer:
    """The live customer owning this phone or e-mail (the most recently updated if several), in one query.

    This is the screen pop: one indexed statement finds the customer and loads everything its profile
    shows, because it runs on every ringing phone.
    """
    if (phone is None) == (email is None):
        raise Invalid(
            _l("Give exactly one of phone or e-mail."),
            {"_schema": [_l("Give exactly one of phone or email.")]},
        )
    if phone is not None:
        kind, value = ContactKind.PHONE, normalize_phone(phone, "phone")
    else:
        kind, value = ContactKind.EMAIL, normalize_email(email or "", "email")
    query = (
        select(Customer)
        .join(ContactPoint, ContactPoint.customer_id == Customer.id)
        .where(ContactPoint.kind == kind, ContactPoint.value == value, Customer.deleted_at.is_(None))
        .order_by(Customer.updated_at.desc(), Customer.id.desc())
        .limit(1)
        .options(
            joinedload(Customer.organization), joinedload(Customer.contact_points), joinedload(Customer.tags)
        )
    )
    customer = db.session.scalars(query).unique().first()
    if customer is None:
        raise NotFound(
            _l("No customer with this phone number.")
            if phone is not None
            else _l("No customer with this e-mail address.")
        )
    return customer


def find_duplicates(customer_id: int) -> list[Customer]:
    """Other live customers sharing a contact point with this one, or its name within its organization
    (customers without one count as one organization)."""
    customer = get_customer(customer_id)
    same_org = (
        Customer.organization_id.is_(None)
        if customer.organization_id is None
        else Customer.organization_id == customer.organization_id
    )
    matches = [and_(func.lower(Customer.name) == customer.name.lower(), same_org)]
    matches += [
        Customer.contact_points.any(and_(ContactPoint.kind == cp.kind, ContactPoint.value == cp.value))
        for cp in customer.contact_points
    ]
    query = (
        select(Customer)
        .where(Customer.id != customer.id, Customer.deleted_at.is_(None), or_(*matches))
        .order_by(Customer.updated_at.desc(), Customer.id.desc())
        .limit(DUPLICATES_LIMIT)
    )
    return list(db.session.scalars(_with_profile(query)).unique())


def contact_owners(
    pairs: Iterable[tuple[str, str]], *, exclude_id: int | None = None
) -> dict[tuple[str, str], set[int]]:
    """Which live customers own each `(kind, value)`."""
    values = _values_by_kind(pairs)
    if not values:
        return {}
    query = select(ContactPoint.kind, ContactPoint.value, ContactPoint.customer_id)
    query = query.where(*_owning(tuple(values)))
    if exclude_id is not None:
        query = query.where(ContactPoint.customer_id != exclude_id)
    owners: dict[tuple[str, str], set[int]] = {}
    for kind, value, owner in db.session.execute(query, values):
        owners.setdefault((kind, value), set()).add(owner)
    return owners


def _owners(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
    """The live customer owning each `(kind, value)` (the newest, if several do), loaded in one query."""
    values = _values_by_kind(pairs)
    if not values:
        return {}
    owners: dict[tuple[str, str], Customer] = {}
    for kind, value, customer in db.session.execute(_owners_query(tuple(values)), values):
        if (kind, value) not in owners or owners[kind, value].id < customer.id:
            owners[kind, value] = customer
    return owners


def _values_by_kind(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """`(kind, value)` pairs as the parameters of `_owning`: each kind's values, kinds in order."""
    values: dict[str, set[str]] = {}
    for kind, value in pairs:
        values.setdefault(str(kind), set()).add(value)
    return {kind: sorted(values[kind]) for kind in sorted(values)}


@functools.cache
def _owners_query(kinds: tuple[str, ...]) -> Select:
    # Every customer writing in runs this: built once per combination of kinds, it costs only its execution.
    return select(ContactPoint.kind, ContactPoint.value, Customer).where(*_owning(kinds))


@functools.cache
def _owning(kinds: tuple[str, ...]) -> tuple:
    """Live customers' contact points of these kinds whose value is among the parameter of its kind."""
    by_kind = (
        and_(ContactPoint.kind == kind, ContactPoint.value.in_(bindparam(kind, expanding=True)))
        for kind in kinds
    )
    return (Customer.id == ContactPoint.customer_id, Customer.deleted_at.is_(None), or_(*by_kind))


# -- writing -----------------------------------------------------------------------------------------


def create_customer(*, actor: Agent | None, **fields: Any) -> Customer:
    """Create a profile. Contact points are normalized; one already owned by a live customer is a 409.

    Accepts the fields of `EDITABLE`: `emails`/`phones` as strings or `{value, label, is_primary}`,
    `organization` as a name (found regardless of case, or created), `consent` as `{email, sms, ...}`.
    """
    customer = stage_customer(actor=actor, **fields)
    db.session.commit()
    return customer


def stage_customer(*, actor: Agent | None, **fields: Any) -> Customer:
    """`create_customer`'s profile, flushed but not committed: for a use case of a room above that
    creates the customer with its own rows (a ticket opened for a new customer), all or nothing. The
    caller commits, or rolls back when it refuses (`app.unit_of_work`)."""
    cleaned = clean_profile(fields, creating=True)
    _refuse_taken_contacts(cleaned)
    customer = Customer(custom_fields={})
    # Added only once filled in: finding the organization autoflushes the session.
    apply_profile(customer, cleaned)
    db.session.add(customer)
    db.session.flush()
    record_event(customer, "created", {}, actor)
    return customer


def find_or_add_customer(
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    verified: bool = True,
    actor: Agent | None,
) -> Customer:
    """The live customer owning this e-mail (else this phone), or a new one; joins the caller's transaction.

    For other rooms' use cases (a ticket from the web form, an imported ticket): it flushes but never
    commits, so the customer and what the caller writes land together or not at all. A contact point
    the found customer lacks is added to it when nobody else owns it. `language` is the one the
    customer wrote in (the web form's): it becomes the preferred language of a profile that has none,
    so the replies about their case are written in it.

    `verified=False` is for details typed by someone nobody has checked (the public web form): they
    find a customer but never add to a found profile, or anyone could attach their own address to
    another person's profile and have that person's tracking links mailed to them. Agents merge
    profiles that turn out to be one person.
    """
    cleaned, wanted = _contact_details(name, email, phone, definitions=None)
    spoken = {"preferred_language": language} if language in LANGUAGES else {}
    owners = _owners(wanted)
    for pair in wanted:
        if pair in owners:
            customer = owners[pair]
            free = {
                k: [c for c in cleaned[k] if (_CONTACT_FIELDS[k], c["value"]) not in owners]
                for k in _CONTACT_FIELDS
            }
            if not verified:
                free = {}
            if customer.preferred_language is None:
                free.update(spoken)
            if any(free.values()) and (diff := apply_profile(customer, free, additive=True)):
                record_event(customer, "updated", diff, actor)
            return customer
    customer = Customer(custom_fields={})
    apply_profile(customer, {**cleaned, **spoken})
    db.session.add(customer)
    db.session.flush()
    record_event(customer, "created", {}, actor)
    return customer


def find_or_add_customers(
    contacts: Sequence[Mapping[str, str | None]], *, actor: Agent | None
) -> list[Customer | Invalid]:
    """`find_or_add_customer` for many `{name, email, phone}` at once, with the same outcome as calling
    it for each in turn (a later entry finds the customer an earlier one added), but in a few queries:
    the owners of every contact point in one, the new customers written in one flush.

    Returns, for each entry, its customer or the `Invalid` the single call would have raised (nothing
    is written for that entry). Flushes, never commits.
    """
    definitions = definitions_by_key()
    entries: list[tuple[dict[str, Any], list[tuple[str, str]]] | Invalid] = []
    for contact in contacts:
        try:
            entries.append(
                _contact_details(contact.get("name"), contact.get("email"), contact.get("phone"), definitions)
            )
        except Invalid as error:
            entries.append(error)
    owners = _owners(pair for entry in entries if not isinstance(entry, Invalid) for pair in entry[1])
    results: list[Customer | Invalid] = []
    events: list[tuple[Customer, str, dict[str, Any]]] = []
    for entry in entries:
        if isinstance(entry, Invalid):
            results.append(entry)
            continue
        cleaned, wanted = entry
        customer = next((owners[pair] for pair in wanted if pair in owners), None)
        if customer is not None:
            free = {
                k: [c for c in cleaned[k] if (_CONTACT_FIELDS[k], c["value"]) not in owners]
                for k in _CONTACT_FIELDS
            }
            if any(free.values()) and (diff := apply_profile(customer, free, additive=True)):
                events.append((customer, "updated", diff))
        else:
            customer = Customer(custom_fields={})
            apply_profile(customer, cleaned)
            db.session.add(customer)
            events.append((customer, "created", {}))
        owners.update((pair, customer) for pair in wanted if pair not in owners)
        results.append(customer)
    db.session.flush()
    for customer, kind, data in events:
        record_event(customer, kind, data, actor)
    return results


def _contact_details(
    name: str | None,
    email: str | None,
    phone: str | None,
    definitions: Mapping[str, CustomFieldDefinition] | None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A writing-in customer's details, cleaned, and the contact points to look them up by."""
    cleaned = clean_profile(
        {
            "name": (name or "").strip() or _name_from(email, phone),
            "emails": [email] if email else [],
            "phones": [phone] if phone else [],
        },
        creating=True,
        definitions=definitions,
        # A customer who writes in gives contact details, not the desk's own required profile fields.
        check_required=False,
    )
    wanted = [(ContactKind.EMAIL, e["value"]) for e in cleaned["emails"]]
    wanted += [(ContactKind.PHONE, p["value"]) for p in cleaned["phones"]]
    if not wanted:
        raise Invalid(
            _l("Give the customer's e-mail or phone."), {"email": [_l("Give an e-mail or a phone.")]}
        )
    return cleaned, wanted


def _name_from(email: str | None, phone: str | None) -> str:
    """A stand-in name when the customer gave none: the e-mail's local part, else the phone number."""
    if email and "@" in email:
        return email.split("@", 1)[0][:NAME_MAX] or email
    return (phone or "Unknown customer")[:NAME_MAX]


def update_customer(customer_id: int, changes: Mapping[str, Any], *, actor: Agent | None) -> Customer:
    """Change any editable fields (lists are replaced; `custom_fields` keys are set, or removed by null).

    Records an `updated` event with `{field: [old, new]}` in the same commit; a change that changes
    nothing writes nothing.
    """
    customer = get_customer(customer_id)
    cleaned = clean_profile(changes, customer=customer)
    _refuse_taken_contacts(cleaned, customer_id=customer.id)
    diff = apply_profile(customer, cleaned)
    if diff:
        customer.updated_at = utcnow()
        record_event(customer, "updated", diff, actor)
        db.session.commit()
    return customer


def delete_customer(customer_id: int, *, actor: Agent | None) -> None:
    """Soft-delete: the profile disappears from reads, lookups and searches; its history stays."""
    customer = get_customer(customer_id)
    customer.deleted_at = utcnow()
    record_event(customer, "deleted", {}, actor)
    db.session.commit()


def _refuse_taken_contacts(cleaned: Mapping[str, Any], *, customer_id: int | None = None) -> None:
    pairs = [
        (kind, entry["value"])
        for field, kind in _CONTACT_FIELDS.items()
        for entry in cleaned.get(field) or ()
    ]
    owners = contact_owners(pairs, exclude_id=customer_id)
    errors: dict[str, list[str]] = {}
    for field, kind in _CONTACT_FIELDS.items():
        for entry in cleaned.get(field) or ():
            for owner in sorted(owners.get((kind, entry["value"]), ())):
                errors.setdefault(field, []).append(
                    _l("%(entry)s already belongs to customer %(owner)s.", entry=entry["value"], owner=owner)
                )
    if errors:
        first_owner = min(min(ids) for ids in owners.values())
        raise Conflict(
            _l("A contact point already belongs to customer %(first_owner)s.", first_owner=first_owner),
            errors,
        )


# -- cleaning and applying ---------------------------------------------------------------------------


def clean_profile(
    data: Mapping[str, Any],
    *,
    customer: Customer | None = None,
    creating: bool = False,
    definitions: Mapping[str, CustomFieldDefinition] | None = None,
    from_text: bool = False,
    check_required: bool = True,
) -> dict[str, Any]:
    """Check and normalize the given profile fields, reporting every bad field at once.

    Touches no rows. `customer` is the one being changed (its custom fields are the base the given ones
    are merged into); `creating` also demands a name and every required custom field. `check_required`
    off checks each given value alone, for callers that do not know yet which customer they change.
    """
    if unknown := set(data) - set(EDITABLE):
        raise Invalid(_l("Unknown fields."), {key: [_l("Unknown field.")] for key in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    if creating and "name" not in data:
        errors["name"] = [_l("Missing data for required field.")]
    for key, value in data.items():
        if has_nul(value):
            errors[key] = [NUL_MESSAGE]
            continue
        try:
            if key == "custom_fields" or (key == "consent" and value is None):
                continue
            cleaned[key] = _CLEANERS[key](value)
        except Invalid as error:
            errors.update(error.errors or {key: [error.message]})
    if ("custom_fields" in data or creating) and "custom_fields" not in errors:
        values = data.get("custom_fields") or {}
        if definitions is None:
            # Nothing to check against them: spare the query (a ticket's customer writing in, say).
            definitions = definitions_by_key() if values or check_required else {}
        try:
            cleaned["custom_fields"] = clean_custom_fields(
                values,
                definitions=definitions,
                existing=customer.custom_fields if customer is not None else None,
                require_all=check_required,
                from_text=from_text,
            )
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(_l("The customer has invalid fields."), errors)
    return cleaned


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in `value`: PostgreSQL refuses to store one."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def _searchable(text: str | None) -> str:
    return (text or "").replace("\x00", "").strip()


def _name(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid(_l("Name is empty."), {"name": [_l("Must not be empty.")]})
    if len(text) > NAME_MAX:
        raise Invalid(_l("Name is too long."), {"name": [_l("At most %(max)s characters.", max=NAME_MAX)]})
    return text


def _organization(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > NAME_MAX:
        raise Invalid(
            _l("Organization is too long."),
            {"organization": [_l("At most %(max)s characters.", max=NAME_MAX)]},
        )
    return text or None


def _contacts(kind: str, field: str):
    normalize = normalize_email if kind == ContactKind.EMAIL else normalize_phone

    def clean(items: Any) -> list[dict[str, Any]]:
        if not isinstance(items, list | tuple):
            raise Invalid(_l("%(field)s must be a list.", field=field), {field: [_l("Must be a list.")]})
        if len(items) > MAX_CONTACTS:
            raise Invalid(
                _l("Too many %(field)s.", field=field),
                {field: [_l("At most %(max)s.", max=MAX_CONTACTS)]},
            )
        entries: dict[str, dict[str, Any]] = {}
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(items):
            if not isinstance(item, str | Mapping):
                errors[str(index)] = [_l("Must be text or an object with a value.")]
                continue
            entry = {"value": item} if isinstance(item, str) else dict(item)
            # No label keeps an existing point's label (a new one gets "other").
            label = entry.get("label")
            if label is not None and label not in set(ContactLabel):
                errors[str(index)] = [
                    _l("Label must be one of: %(contactlabel)s.", contactlabel=", ".join(ContactLabel))
                ]
                continue
            try:
                value = normalize(str(entry.get("value", "")), str(index))
            except Invalid as error:
                errors.update(error.errors)
                continue
            # The same address written twice is one contact point; a primary flag on either wins.
            kept = entries.setdefault(value, {"value": value, "label": label, "is_primary": False})
            kept["is_primary"] = kept["is_primary"] or bool(entry.get("is_primary"))
        if errors:
            raise Invalid(_l("Some %(field)s are invalid.", field=field), {field: errors})
        primaries = [e for e in entries.values() if e["is_primary"]]
        if len(primaries) > 1:
            raise Invalid(
                _l("Several primary %(field)s.", field=field), {field: [_l("At most one can be primary.")]}
            )
        if entries and not primaries:
            next(iter(entries.values()))["is_primary"] = True
        return list(entries.values())

    return clean


def clean_tags(tags: Any, field: str = "tags") -> list[str]:
    """Tags trimmed and lowercased, each once, in the order given."""
    if not isinstance(tags, list | tuple):
        raise Invalid(_l("Tags must be a list."), {field: [_l("Must be a list.")]})
    if len(tags) > MAX_TAGS:
        raise Invalid(_l("Too many tags."), {field: [_l("At most %(max)s.", max=MAX_TAGS)]})
    result: list[str] = []
    errors: dict[str, list[str]] = {}
    for index, tag in enumerate(tags):
        text = tag.strip().lower() if isinstance(tag, str) else ""
        if not text or len(text) > TAG_MAX:
            errors[str(index)] = [_l("A tag needs 1 to %(tag_max)s characters.", tag_max=TAG_MAX)]
        elif text not in result:
            result.append(text)
    if errors:
        raise Invalid(_l("Some tags are invalid."), {field: errors})
    return result


def _language(value: Any) -> str | None:
    if value is None or value == "":
        return None
    code = normalize_language(value) if isinstance(value, str) and LANGUAGE.match(value) else None
    if code is None:
        raise Invalid(
            _l("Not a language we speak."),
            {"preferred_language": [_l("Must be one of: %(choices)s.", choices=", ".join(LANGUAGES))]},
        )
    return code


def _timezone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not valid_timezone(value):
        raise Invalid(
            _l("Unknown time zone."), {"timezone": [_l("Use an IANA time zone such as Asia/Shanghai.")]}
        )
    return value


def _channel(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in set(Channel):
        raise Invalid(
            _l("Unknown channel."),
            {"preferred_channel": [_l("Must be one of: %(choices)s.", choices=", ".join(Channel))]},
        )
    return value


def _consent(value: Any) -> dict[str, bool]:
    if not isinstance(value, Mapping) or set(value) - set(CONSENTS):
        raise Invalid(
            _l("Unknown consent."), {"consent": [_l("Only %(consents)s.", consents=", ".join(CONSENTS))]}
        )
    if any(not isinstance(flag, bool) for flag in value.values()):
        raise Invalid(_l("Consents are true or false."), {"consent": [_l("Each consent is true or false.")]})
    return dict(value)


def _money(field: str):
    def clean(value: Any) -> Decimal:
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else value)
        except (InvalidOperation, TypeError, ValueError):
            raise Invalid(_l("Not an amount."), {field: [_l("Not a valid amount.")]}) from None
        if not amount.is_finite() or not 0 <= amount <= MAX_MONEY:
            raise Invalid(
                _l("Amount out of range."),
                {field: [_l("Must be between 0 and %(max_money)s.", max_money=MAX_MONEY)]},
            )
        return amount.quantize(CENT)

    return clean


def _currency(value: Any) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not CURRENCY.match(text):
        raise Invalid(_l("Not a currency code."), {"currency": [_l("Use a three-letter code such as USD.")]})
    return text


def _notes(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > NOTES_MAX:
        raise Invalid(
            _l("Notes are too long."),
            {"notes": [_l("At most %(max)s characters.", max=NOTES_MAX)]},
        )
    return value


_CLEANERS = {
    "name": _name,
    "organization": _organization,
    "emails": _contacts(ContactKind.EMAIL, "emails"),
    "phones": _contacts(ContactKind.PHONE, "phones"),
    "tags": clean_tags,
    "preferred_language": _language,
    "timezone": _timezone,
    "preferred_channel": _channel,
    "consent": _consent,
    "revenue_12m": _money("revenue_12m"),
    "lifetime_revenue": _money("lifetime_revenue"),
    "currency": _currency,
    "notes": _notes,
}


def organization_named(name: str | None) -> Organization | None:
    """The organization with this name regardless of case, created if new."""
    if not name:
        return None
    organization = db.session.scalar(
        select(Organization).where(func.lower(Organization.name) == name.lower())
    )
    if organization is None:
        organization = Organization(name=name)
        db.session.add(organization)
    return organization


def apply_profile(
    customer: Customer, cleaned: Mapping[str, Any], *, additive: bool = False
) -> dict[str, list[Any]]:
    """Write cleaned fields onto `customer`; `{field: [old, new]}` for what really changed.

    `additive` (the CSV import) adds contact points and tags instead of replacing the lists.
    """
    diff: dict[str, list[Any]] = {}

    def note(field: str, old: Any, new: Any) -> None:
        if old != new:
            diff[field] = [old, new]

    for field in EDITABLE:
        if field not in cleaned:
            continue
        value = cleaned[field]
        if field == "organization":
            old_org = customer.organization.name if customer.organization else None
            customer.organization = organization_named(value)
            note(field, old_org, value and customer.organization.name)
        elif field in _CONTACT_FIELDS:
            old = _contact_list(customer, _CONTACT_FIELDS[field])
            _set_contacts(customer, _CONTACT_FIELDS[field], value, additive=additive)
            note(field, old, _contact_list(customer, _CONTACT_FIELDS[field]))
        elif field == "tags":
            old_tags = customer.tag_names
            wanted = old_tags + [t for t in value if t not in old_tags] if additive else value
            keep = [t for t in customer.tags if t.tag in wanted]
            customer.tags = keep + [CustomerTag(tag=t) for t in wanted if t not in old_tags]
            note(field, sorted(old_tags), sorted(wanted))
        elif field == "consent":
            for flag, granted in value.items():
                attribute = f"consent_{flag}"
                note(attribute, getattr(customer, attribute), granted)
                setattr(customer, attribute, granted)
        elif field in ("revenue_12m", "lifetime_revenue"):
            old_amount = getattr(customer, field)
            setattr(customer, field, value)
            note(field, None if old_amount is None else str(old_amount), str(value))
        else:
            note(field, getattr(customer, field), value)
            setattr(customer, field, value)
    return diff


def _contact_list(customer: Customer, kind: str) -> list[dict[str, Any]]:
    points = customer.emails if kind == ContactKind.EMAIL else customer.phones
    return [{"value": cp.value, "label": cp.label, "is_primary": cp.is_primary} for cp in points]


def _set_contacts(customer: Customer, kind: str, entries: list[dict[str, Any]], *, additive: bool) -> None:
    existing = {cp.value: cp for cp in customer.contact_points if cp.kind == kind}
    if additive:
        has_primary = any(cp.is_primary for cp in existing.values())
        for entry in entries:
            if entry["value"] not in existing:
                customer.contact_points.append(
                    ContactPoint(
                        kind=kind,
                        value=entry["value"],
                        label=entry["label"] or ContactLabel.OTHER,
                        is_primary=not has_primary,
                    )
                )
                has_primary = True
        return
    wanted = {entry["value"] for entry in entries}
    for value, point in existing.items():
        if value not in wanted:
            customer.contact_points.remove(point)
    for entry in entries:
        point = existing.get(entry["value"])
        if point is None:
            point = ContactPoint(kind=kind, value=entry["value"], label=ContactLabel.OTHER)
            customer.contact_points.append(point)
        point.label = entry["label"] or point.label
        point.is_primary = entry["is_primary"]
