"""Use cases of the customers room: profiles, lookup, duplicates, merge, timeline, custom fields, import.

Every public function is one use case with at most one commit (the import job says why it has two);
signals go out after it. They take ids and an explicit `actor` (an `Agent`, or None for the CLI).
"""

from app.customers.contacts import normalize_email, normalize_phone
from app.customers.services.fields import create_field_definition, list_field_definitions
from app.customers.services.imports import (
    CustomerImportReport,
    create_import,
    get_import,
    import_customers_csv,
    run_import,
)
from app.customers.services.merge import merge_customers
from app.customers.services.profiles import (
    CustomerMerged,
    create_customer,
    delete_customer,
    find_duplicates,
    find_or_add_customer,
    find_or_add_customers,
    get_customer,
    lookup_customer,
    search_customers,
    stage_customer,
    update_customer,
)
from app.customers.services.timeline import customer_timeline

__all__ = [
    "CustomerImportReport",
    "CustomerMerged",
    "create_customer",
    "create_field_definition",
    "create_import",
    "customer_timeline",
    "delete_customer",
    "find_duplicates",
    "find_or_add_customer",
    "find_or_add_customers",
    "get_customer",
    "get_import",
    "import_customers_csv",
    "list_field_definitions",
    "lookup_customer",
    "merge_customers",
    "normalize_email",
    "normalize_phone",
    "run_import",
    "search_customers",
    "stage_customer",
    "update_customer",
]
