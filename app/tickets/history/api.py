"""REST endpoints of the ticket history import: upload a JSON Lines file, then poll its outcome.

Supervisors and admins only (`Permission.TICKETS_IMPORT`). The upload may be larger than the app's
general request limit: up to `TICKET_IMPORT_MAX_BYTES` (50 MiB unless configured).
"""

from __future__ import annotations

from flask import request

from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint, ErrorSchema
from app.tickets.history import schemas, services

imports_bp = ApiBlueprint(
    "ticket_imports",
    __name__,
    url_prefix="/api/v1/tickets/imports",
    description=(
        "History imports: tickets from another helpdesk, one JSON object per line, replayed with their "
        "own timestamps, comments and status changes. Lines whose reference exists are skipped; bad lines "
        "are reported by line number and leave nothing behind."
    ),
)

blueprints = (imports_bp,)


@imports_bp.before_request
def _allow_large_uploads():
    # Before the body is parsed (the access hook, registered on the app, has already run): this
    # endpoint's own limit replaces MAX_CONTENT_LENGTH, which is sized for ordinary requests.
    request.max_content_length = services.max_upload_bytes() + 64 * 1024


@imports_bp.post("")
@requires(Permission.TICKETS_IMPORT)
@imports_bp.arguments(schemas.HistoryUploadSchema, location="files")
@imports_bp.response(202, schemas.TicketImportSchema)
@imports_bp.alt_response(422, schema=ErrorSchema, description="Not a UTF-8 JSON Lines file, or too large.")
def create_import(files):
    """Upload a JSON Lines file of tickets (form field `file`); it is imported in the background. Poll
    the returned import for its progress, counts and per-line errors."""
    upload = files["file"]
    return services.create_history_import(
        filename=upload.filename or "", content=upload.read(), actor=current_agent()
    )


@imports_bp.get("/<int:import_id>")
@requires(Permission.TICKETS_IMPORT)
@imports_bp.response(200, schemas.TicketImportSchema)
def get_import(import_id):
    """An import's status, progress (`processed` of `lines`), counts and errors."""
    return services.get_history_import(import_id)
