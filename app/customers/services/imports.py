"""CSV import: each row creates or updates one customer completely, or is reported and leaves no trace.

Columns (header names, any order, case-insensitive): `name, email, phone, organization, tags,
preferred_language, preferred_channel, revenue_12m, lifetime_revenue, currency, notes`, plus `cf_<key>`
for each custom field. Several e-mails, phones or tags in one cell are separated by `;`. Empty cells
leave a field as it is.

A row belongs to the live customer owning one of its e-mails or phones; a row without any belongs to the
customer with the same name in the same organization. Otherwise it creates one. Contact points and tags
are added to what the customer has, other non-empty cells replace their field: so importing the same file
twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.customers.models import (
    ContactKind,
    Customer,
    CustomerImport,
    CustomFieldDefinition,
    Organization,
)
from app.customers.services.fields import definitions_by_key
from app.customers.services.profiles import (
    apply_profile,
    clean_profile,
    contact_owners,
    record_event,
)
from app.dbtypes import utcnow
from app.errors import AppError, Invalid, in_english
from app.extensions import db
from app.imports import BackgroundImport, ImportReport

if TYPE_CHECKING:
    from app.accounts.models import Agent

COLUMNS = (
    "name",
    "email",
    "phone",
    "organization",
    "tags",
    "preferred_language",
    "preferred_channel",
    "revenue_12m",
    "lifetime_revenue",
    "currency",
    "notes",
)
CUSTOM_PREFIX = "cf_"
LIST_SEPARATOR = ";"

# CSV column -> profile field, and back for error messages.
_FIELD_OF = {"email": "emails", "phone": "phones", "tags": "tags"}
_COLUMN_OF = {value: key for key, value in _FIELD_OF.items()}

ProgressCallback = Callable[[int, int], None]


@dataclass
class CustomerImportReport(ImportReport):
    """Rows created, updated, unchanged and failed; a failure is `{"row": <n>, "errors": {column: [...]}}`."""

    updated: int = 0

    whole_file: ClassVar[dict[str, Any]] = {"row": 0}

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    def fail(self, row: int, errors: dict[str, Any]) -> None:
        self.add_failure(errors, row=row)

    def counts(self) -> dict[str, int]:
        return {**super().counts(), "updated_count": self.updated}


class _CsvImport(BackgroundImport):
    """Customer CSV files uploaded through the API (`CUSTOMER_IMPORT_MAX_BYTES`), imported by a job.

    Commits twice on purpose: `running` must be visible to whoever polls the import while its rows are
    processed, and the rows land together with the final counts.
    """

    model = CustomerImport
    report = CustomerImportReport
    job = "app.customers.jobs.run_customer_import"
    file_type = "CSV"
    suffixes = (".csv",)
    max_bytes_setting = "CUSTOMER_IMPORT_MAX_BYTES"

    def check(self, text: str) -> dict[str, Any]:
        _read(text, definitions_by_key())
        return {}

    def process(self, record: CustomerImport) -> CustomerImportReport:
        return _import(record.content, actor=record.created_by, on_progress=None, import_id=record.id)


CSV_IMPORT = _CsvImport()


def import_customers_csv(
    text: str, *, actor: Agent | None, on_progress: ProgressCallback | None = None
) -> CustomerImportReport:
    """Import customers from CSV text, committing once; `on_progress(done, total)` after each row.

    A file that cannot be read as a whole (no header, unknown columns) raises `Invalid`; a bad row is
    counted in `failed`, listed in `errors` as `{"row": <1-based data row>, "errors": {column: [...]}}`,
    and leaves nothing behind.
    """
    report = _import(text, actor=actor, on_progress=on_progress, import_id=None)
    db.session.commit()
    return report


def create_import(*, filename: str, content: bytes, actor: Agent) -> CustomerImport:
    """Store an uploaded CSV file and queue its import; 422 for a file that is no readable CSV."""
    return CSV_IMPORT.create(filename=filename, content=content, actor=actor)


def get_import(import_id: int) -> CustomerImport:
    """An import with its status, counts and per-row errors."""
    return CSV_IMPORT.get(import_id)


def run_import(import_id: int) -> CustomerImport:
    """Process a stored import (the job). A finished import is left alone, so running it twice is safe."""
    return CSV_IMPORT.run(import_id)


# -- reading the file --------------------------------------------------------------------------------


def _read(text: str, definitions: Mapping[str, CustomFieldDefinition]) -> tuple[list[str], list[list[str]]]:
    """The header (lowercased) and the data rows; `Invalid` for a file that is not usable as a whole."""
    if "\x00" in text:
        raise Invalid(_l("The file is not a CSV text file."), {"file": [_l("It contains NUL characters.")]})
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise Invalid(_l("The file is not valid CSV."), {"file": [str(exc)]}) from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise Invalid(_l("The file is empty."), {"file": [_l("The first line must name the columns.")]})
    header = [cell.strip().lower() for cell in rows[0]]
    problems = []
    if unknown := [
        name
        for name in header
        if name not in COLUMNS
        and not (name.startswith(CUSTOM_PREFIX) and name[len(CUSTOM_PREFIX) :] in definitions)
    ]:
        problems.append(_l("Unknown columns: %(unknown)s.", unknown=", ".join(unknown)))
    if duplicated := sorted({name for name in header if header.count(name) > 1}):
        problems.append(_l("Columns given twice: %(duplicated)s.", duplicated=", ".join(duplicated)))
    if problems:
        raise Invalid(_l("The file's columns are not usable."), {"file": problems})
    return header, rows[1:]


def _import(
    text: str, *, actor: Agent | None, on_progress: ProgressCallback | None, import_id: int | None
) -> CustomerImportReport:
    definitions = definitions_by_key()
    header, rows = _read(text, definitions)
    # Numbered as in the file, so a reported row can be found; spreadsheets trail empty lines, skipped.
    numbered = [
        (number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)
    ]
    report = CustomerImportReport()
    for done, (number, row) in enumerate(numbered, start=1):
        try:
            # A savepoint per row: a row that fails halfway rolls back alone.
            with db.session.begin_nested():
                outcome = _import_row(
                    header, row, definitions, actor=actor, number=number, import_id=import_id
                )
        except AppError as error:
            report.fail(number, _by_column(error.errors or {"row": [error.message]}))
        except IntegrityError:
            report.fail(number, {"row": ["Conflicts with data written at the same time; import it again."]})
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
        if on_progress is not None:
            on_progress(done, len(numbered))
    return report


def _import_row(
    header: list[str],
    row: list[str],
    definitions: Mapping[str, CustomFieldDefinition],
    *,
    actor: Agent | None,
    number: int,
    import_id: int | None,
) -> str:
    if len(row) > len(header):
        raise Invalid(
            _l("Too many cells."),
            {"row": [_l("%(row)s cells for %(header)s columns.", row=len(row), header=len(header))]},
        )
    cells = {name: value.strip() for name, value in zip(header, row, strict=False) if value.strip()}
    data: dict[str, Any] = {}
    custom: dict[str, str] = {}
    for name, value in cells.items():
        if name.startswith(CUSTOM_PREFIX):
            custom[name[len(CUSTOM_PREFIX) :]] = value
        elif name in _FIELD_OF:
            data[_FIELD_OF[name]] = [part for part in value.split(LIST_SEPARATOR) if part.strip()]
        else:
            data[name] = value
    if custom:
        data["custom_fields"] = custom

    # Every bad cell of the row at once, before knowing whether it creates or updates a customer.
    probe = clean_profile(data, definitions=definitions, from_text=True, check_required=False)
    customer = _match(probe, data.get("name"), data.get("organization"))
    if customer is None:
        if "name" not in data:
            raise Invalid(_l("A new customer needs a name."), {"name": [_l("Required for a new customer.")]})
        cleaned = clean_profile(data, creating=True, definitions=definitions, from_text=True)
        customer = Customer(custom_fields={})
        apply_profile(customer, cleaned)
        db.session.add(customer)
        db.session.flush()
        record_event(
            customer, "imported", {"action": "created", "row": number, "import_id": import_id}, actor
        )
        return "created"
    cleaned = clean_profile(data, customer=customer, definitions=definitions, from_text=True)
    diff = apply_profile(customer, cleaned, additive=True)
    if not diff:
        return "unchanged"
    customer.updated_at = utcnow()
    record_event(
        customer,
        "imported",
        {"action": "updated", "row": number, "import_id": import_id, "changes": diff},
        actor,
    )
    return "updated"


def _match(probe: Mapping[str, Any], name: str | None, organization: str | None) -> Customer | None:
    pairs = [(ContactKind.EMAIL, e["value"]) for e in probe.get("emails", ())]
    pairs += [(ContactKind.PHONE, p["value"]) for p in probe.get("phones", ())]
    if pairs:
        owners = sorted(set().union(*contact_owners(pairs).values()))
        column = "email" if probe.get("emails") else "phone"
    elif name:
        query = select(Customer.id).where(
            Customer.deleted_at.is_(None), func.lower(Customer.name) == name.strip().lower()
        )
        if organization:
            query = query.where(
                Customer.organization.has(func.lower(Organization.name) == organization.strip().lower())
            )
        else:
            query = query.where(Customer.organization_id.is_(None))
        owners = list(db.session.scalars(query))
        column = "name"
    else:
        raise Invalid(
            _l("Nothing identifies the customer."), {"name": [_l("Give a name, an e-mail or a phone.")]}
        )
    if len(owners) > 1:
        raise Invalid(
            _l("The row matches several customers."),
            {
                column: [
                    _l("Matches customers %(value)s; merge them first.", value=", ".join(map(str, owners)))
                ]
            },
        )
    return db.session.get(Customer, owners[0]) if owners else None


def _by_column(errors: Mapping[str, Any]) -> dict[str, Any]:
    """Profile field names in error messages, turned back into the CSV's column names."""
    result: dict[str, Any] = {}
    for key, messages in errors.items():
        if key == "custom_fields" and isinstance(messages, Mapping):
            result.update({f"{CUSTOM_PREFIX}{k}": v for k, v in messages.items()})
        elif key in _COLUMN_OF and isinstance(messages, Mapping):
            # Per-item messages: "email": ["2: not valid ..."] reads better in a spreadsheet's terms.
            result[_COLUMN_OF[key]] = [
                f"Item {int(index) + 1}: {' '.join(map(str, in_english(texts)))}"
                for index, texts in messages.items()
            ]
        else:
            result[_COLUMN_OF.get(key, key)] = messages
    return result
