"""REST endpoints for customers' personal data: the export, the erasure and the access log."""

from __future__ import annotations

import json

from flask import Response

from app.accounts.access import Permission, current_agent, requires
from app.customers.privacy import schemas, services
from app.customers.schemas import CustomerSchema
from app.extensions import ApiBlueprint
from app.pagination import SelectPage

bp = ApiBlueprint(
    "customer_privacy",
    __name__,
    url_prefix="/api/v1/customers",
    description="Customers' personal data: export, erasure, access log (supervisors and admins).",
)

blueprints = (bp,)


def export_file(document: dict, customer_id: int) -> Response:
    """The export as a JSON file the browser saves rather than shows."""
    day = document["exported_at"][:10]
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        # `no-store` comes with every answer (app/security_headers.py).
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}-{day}.json"'},
    )


@bp.post("/<int:customer_id>/export")
@requires(Permission.CUSTOMERS_EXPORT)
@bp.response(200, schemas.CustomerExportSchema, description="The export, as a file to download.")
@bp.alt_response(404, description="Missing; for a merged customer the message names the survivor.")
def export_customer(customer_id):
    """Everything held about one customer, as a JSON file, for a data subject's request.

    The profile, its history, tickets with every message (internal notes included), attachments'
    names, web form answers, surveys and mails. Deleted and erased customers can be exported. The
    export is recorded on the profile (who, when)."""
    return export_file(services.export_customer(customer_id, actor=current_agent()), customer_id)


@bp.post("/<int:customer_id>/erase")
@requires(Permission.CUSTOMERS_ERASE)
@bp.arguments(schemas.ErasureSchema)
@bp.response(200, CustomerSchema)
@bp.alt_response(404, description="Missing; for a merged customer the message names the survivor.")
@bp.alt_response(409, description="The customer's data was already erased.")
def erase_customer(data, customer_id):
    """Erase a customer's personal data on their request; irreversible, so `confirm` must be true.

    Names, e-mails, phones, organization link, tags, custom fields, notes, message bodies, attachments
    (files and names), survey comments, web form answers and mails' addresses and texts are overwritten
    or removed. Tickets with their times, statuses, queues and SLA data, survey scores and messages'
    times and authors' kinds stay, so KPIs do not change. The profile is deleted, and the erasure is
    recorded on it (who, when)."""
    return services.erase_customer(customer_id, actor=current_agent())


@bp.get("/<int:customer_id>/accesses")
@requires(Permission.CUSTOMER_ACCESS_LOG_READ)
@bp.response(200, schemas.CustomerAccessSchema(many=True))
@bp.alt_response(404, description="No such customer.")
@bp.paginate(SelectPage)
def list_accesses(customer_id):
    """Who opened the customer's profile (its page, its API read, its timeline), newest first."""
    return services.list_accesses(customer_id)
