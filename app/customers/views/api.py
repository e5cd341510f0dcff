"""REST endpoints of the customers room: profiles, lookup, duplicates, merge, timeline, fields, imports."""

from __future__ import annotations

from app.accounts.access import Permission, current_agent, requires
from app.customers import schemas, services
from app.customers.privacy import services as privacy
from app.extensions import ApiBlueprint
from app.pagination import SelectPage

bp = ApiBlueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customer profiles.")
fields_bp = ApiBlueprint(
    "customer_fields",
    __name__,
    url_prefix="/api/v1/customers/fields",
    description="Custom field definitions.",
)
imports_bp = ApiBlueprint(
    "customer_imports",
    __name__,
    url_prefix="/api/v1/customers/imports",
    description="CSV imports of customers.",
)

blueprints = (bp, fields_bp, imports_bp)


@bp.get("")
@requires(Permission.CUSTOMERS_READ)
@bp.arguments(schemas.CustomerQuerySchema, location="query")
@bp.response(200, schemas.CustomerSchema(many=True))
@bp.paginate(SelectPage)
def list_customers(query):
    """Search customers by name, e-mail, phone, organization or tag (all case-insensitive); newest first
    unless `sort=name`. Deleted customers only with `include_deleted=true`, which only supervisors and
    admins may ask for (403 for agents)."""
    return services.search_customers(**query, viewer=current_agent())


@bp.post("")
@requires(Permission.CUSTOMERS_WRITE)
@bp.arguments(schemas.CustomerCreateSchema)
@bp.response(201, schemas.CustomerSchema)
@bp.alt_response(409, description="An e-mail or phone already belongs to another customer (named).")
def create_customer(data):
    """Create a customer. E-mails are validated and lowercased, phones stored in E.164."""
    return services.create_customer(**data, actor=current_agent())


@bp.get("/lookup")
@requires(Permission.CUSTOMERS_READ)
@bp.arguments(schemas.LookupQuerySchema, location="query")
@bp.response(200, schemas.CustomerSchema)
@bp.alt_response(404, description="No live customer has this phone or e-mail.")
def lookup_customer(query):
    """The customer owning a phone (any format) or an e-mail: give exactly one. The most recently
    updated wins when several share it."""
    return services.lookup_customer(**query)


@bp.get("/<int:customer_id>")
@requires(Permission.CUSTOMERS_READ)
@bp.response(200, schemas.CustomerSchema)
@bp.alt_response(
    404,
    description="Missing, or deleted (to agents; supervisors and admins see deleted customers); "
    "for a merged customer the message names the survivor.",
)
def get_customer(customer_id):
    """One customer's profile. The reading is recorded in the customer's access log."""
    return privacy.open_profile(customer_id, viewer=current_agent())


@bp.patch("/<int:customer_id>")
@requires(Permission.CUSTOMERS_WRITE)
@bp.arguments(schemas.CustomerUpdateSchema)
@bp.response(200, schemas.CustomerSchema)
@bp.alt_response(409, description="An e-mail or phone already belongs to another customer (named).")
def update_customer(data, customer_id):
    """Change the given fields; `emails`, `phones` and `tags` replace the lists, `custom_fields` keys
    are set (null removes one). The change is recorded on the customer's timeline."""
    return services.update_customer(customer_id, data, actor=current_agent())


@bp.delete("/<int:customer_id>")
@requires(Permission.CUSTOMERS_DELETE)
@bp.response(204)
def delete_customer(customer_id):
    """Soft-delete a customer: gone from reads, searches and lookups; its history is kept."""
    services.delete_customer(customer_id, actor=current_agent())


@bp.post("/<int:customer_id>/merge")
@requires(Permission.CUSTOMERS_MERGE)
@bp.arguments(schemas.MergeSchema)
@bp.response(200, schemas.CustomerSchema)
@bp.alt_response(409, description="The customer was already merged into another one.")
def merge_customer(data, customer_id):
    """Merge the customer in the path INTO the customer `into`, and return the survivor.

    The path's customer disappears (a read of it answers 404 naming the survivor); its contact points,
    tags, missing custom fields, notes and revenue move over. Repeating a merge changes nothing.
    """
    return services.merge_customers(customer_id, data["into"], actor=current_agent())


@bp.get("/<int:customer_id>/timeline")
@requires(Permission.CUSTOMERS_READ)
@bp.arguments(schemas.TimelineQuerySchema, location="query")
@bp.response(200, schemas.TimelineSchema)
def customer_timeline(query, customer_id):
    """Everything that happened with this customer, newest first; follow `next_before` for older entries.
    The reading is recorded in the customer's access log."""
    return privacy.open_timeline(customer_id, **query, viewer=current_agent())


@bp.get("/<int:customer_id>/duplicates")
@requires(Permission.CUSTOMERS_READ)
@bp.response(200, schemas.CustomerSchema(many=True))
def customer_duplicates(customer_id):
    """Other customers sharing an e-mail or phone with this one, or its name in the same organization."""
    return services.find_duplicates(customer_id)


@fields_bp.get("")
@requires(Permission.CUSTOMERS_READ)
@fields_bp.response(200, schemas.FieldDefinitionSchema(many=True))
def list_fields():
    """The custom fields customers may carry."""
    return services.list_field_definitions()


@fields_bp.post("")
@requires(Permission.CUSTOMER_FIELDS_MANAGE)
@fields_bp.arguments(schemas.FieldDefinitionSchema)
@fields_bp.response(201, schemas.FieldDefinitionSchema)
@fields_bp.alt_response(409, description="The key is already in use.")
def create_field(data):
    """Define a custom field (supervisors and admins)."""
    return services.create_field_definition(**data, actor=current_agent())


@imports_bp.post("")
@requires(Permission.CUSTOMERS_IMPORT)
@imports_bp.arguments(schemas.ImportUploadSchema, location="files")
@imports_bp.response(202, schemas.CustomerImportSchema)
def create_import(files):
    """Upload a CSV file of customers (form field `file`); it is imported in the background. Poll the
    returned import for its status, counts and per-row errors."""
    upload = files["file"]
    content = upload.read()
    return services.create_import(filename=upload.filename or "", content=content, actor=current_agent())


@imports_bp.get("/<int:import_id>")
@requires(Permission.CUSTOMERS_IMPORT)
@imports_bp.response(200, schemas.CustomerImportSchema)
def get_import(import_id):
    return services.get_import(import_id)
