"""REST endpoints for the files attached to tickets: upload, list, download.

Downloads are always attachments (`Content-Disposition: attachment`), typed with the content type
sniffed at upload, with `X-Content-Type-Options: nosniff` and a CSP that forbids everything and
sandboxes the response: even a file that got through as something else cannot run in our origin if a
browser were to show it.
"""

from __future__ import annotations

from flask import send_file, url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint
from app.inputs import Id
from app.tickets.attachments import services as attachments

bp = ApiBlueprint(
    "ticket_attachments",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Files attached to tickets: checked by content, served only as downloads.",
)

blueprints = (bp,)

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    # Customers' documents: no shared cache may keep them, and the browser need not either.
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class AttachmentSchema(Schema):
    id = fields.Int()
    ticket_id = fields.Int()
    comment_id = fields.Int(allow_none=True)
    filename = fields.Str(metadata={"description": "Display name; the extension fits the content."})
    content_type = fields.Str(metadata={"description": "Sniffed from the content, not the client's claim."})
    size = fields.Int(metadata={"description": "Bytes."})
    sha256 = fields.Str()
    uploaded_by_id = fields.Int(
        allow_none=True, metadata={"description": "Empty when the customer uploaded."}
    )
    created_at = fields.DateTime()
    download_url = fields.Method("_download_url")

    def _download_url(self, attachment) -> str:
        return url_for(
            "ticket_attachments.download_attachment",
            ticket_id=attachment.ticket_id,
            attachment_id=attachment.id,
        )


class AttachmentFilesSchema(Schema):
    files = fields.List(Upload(), load_default=list, metadata={"description": "One or more files."})
    file = Upload(load_default=None, metadata={"description": "A single file (instead of `files`)."})


class AttachmentQuerySchema(Schema):
    comment_id = Id(
        load_default=None,
        metadata={"description": "Attach the files to this comment of the ticket."},
    )


@bp.post("/<int:ticket_id>/attachments")
@requires(Permission.TICKETS_WRITE)
@bp.arguments(AttachmentQuerySchema, location="query", arg_name="query")
@bp.arguments(AttachmentFilesSchema, location="files", arg_name="uploads")
@bp.response(201, AttachmentSchema(many=True))
@bp.alt_response(404, description="No such ticket.")
@bp.alt_response(409, description="The ticket is closed, and closed is final.")
def add_attachments(ticket_id, query, uploads):
    """Attach files (multipart form field `files`, repeated, or `file`). All are stored or none: a file
    that is too large, of a type not accepted, or with a name that runs when opened is a 422 naming it.
    Accepted: PNG, JPEG, GIF, WebP, PDF, UTF-8 text and CSV, ZIP, docx, xlsx, pptx, odt, ods, MP3,
    WAV, Ogg, M4A, MP4."""
    files = [*uploads["files"], *([uploads["file"]] if uploads["file"] is not None else [])]
    return attachments.add_attachments(
        ticket_id, files, actor=current_agent(), comment_id=query["comment_id"]
    )


@bp.get("/<int:ticket_id>/attachments")
@requires(Permission.TICKETS_READ)
@bp.response(200, AttachmentSchema(many=True))
@bp.alt_response(404, description="No such ticket.")
def list_attachments(ticket_id):
    """A ticket's attachments, oldest first."""
    return attachments.list_attachments(ticket_id, viewer=current_agent())


@bp.get("/<int:ticket_id>/attachments/<int:attachment_id>")
@requires(Permission.TICKETS_READ)
@bp.doc(
    responses={
        "200": {
            "description": "The file, always as a download.",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
@bp.alt_response(404, description="No such ticket, or no such attachment on it.")
def download_attachment(ticket_id, attachment_id):
    """Download one attachment, with the content type it was stored with."""
    attachment = attachments.get_attachment(ticket_id, attachment_id, viewer=current_agent())
    path = attachments.open_attachment(attachment)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        etag=attachment.sha256,
    )
    response.headers.update(DOWNLOAD_HEADERS)
    return response
