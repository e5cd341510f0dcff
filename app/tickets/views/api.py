"""REST endpoints of the tickets room: tickets, their conversation and audit trail, queues."""

from __future__ import annotations

from app import versions
from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint
from app.pagination import SelectPage
from app.tickets import schemas, services

tickets_bp = ApiBlueprint(
    "tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets and complaints."
)
queues_bp = ApiBlueprint("queues", __name__, url_prefix="/api/v1/queues", description="Ticket queues.")
macros_bp = ApiBlueprint("macros", __name__, url_prefix="/api/v1/macros", description="Canned responses.")

blueprints = (tickets_bp, queues_bp, macros_bp)


@tickets_bp.post("")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.arguments(schemas.TicketCreateSchema)
@tickets_bp.response(201, schemas.TicketSchema)
def open_ticket(data):
    """Open a ticket (or a complaint, with `type: complaint` and `complaint.category`) for a customer,
    given by `customer_id` or found/created from `customer: {name, email, phone}`."""
    return services.open_ticket(**data, actor=current_agent())


@tickets_bp.get("/<int:ticket_id>")
@requires(Permission.TICKETS_READ)
@versions.conditional_read(tickets_bp, schemas.TicketSchema)
@tickets_bp.alt_response(404, description="No such ticket, or one of a queue closed to you.")
def get_ticket(ticket_id):
    """A ticket with its complaint record and SLA targets; `ETag` carries its version, and
    `If-None-Match` with the current one gets 304. Agents see the tickets of their teams' queues, of
    queues open to outsiders for reading, and of no queue or a queue without a team."""
    return services.readable_ticket(ticket_id, viewer=current_agent())


@tickets_bp.patch("/<int:ticket_id>")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.arguments(schemas.TicketUpdateSchema)
@versions.response(tickets_bp, schemas.TicketSchema)
@versions.changes_version(
    tickets_bp, schemas.TicketSchema, what="the ticket", conflicts="the ticket is closed (closed is final)"
)
@tickets_bp.alt_response(404, description="No such ticket.")
def update_ticket(data, ticket_id):
    """Change fields, status or complaint details of the version you read. Illegal status changes get
    422 naming the allowed ones."""
    version = versions.expected_version(data)
    return services.update_ticket(ticket_id, data, expected_version=version, actor=current_agent())


@tickets_bp.post("/<int:ticket_id>/claim")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.response(200, schemas.TicketSchema)
@tickets_bp.alt_response(409, description="Someone else has it already.")
@tickets_bp.alt_response(404, description="No such ticket.")
def claim_ticket(ticket_id):
    """Take an unassigned ticket. Of many agents claiming at once, exactly one gets 200."""
    return services.claim_ticket(ticket_id, actor=current_agent())


@tickets_bp.post("/<int:ticket_id>/assign")
@requires(Permission.TICKETS_ASSIGN)
@tickets_bp.arguments(schemas.AssignSchema)
@tickets_bp.response(200, schemas.TicketSchema)
@tickets_bp.alt_response(403, description="Only supervisors assign tickets.")
@tickets_bp.alt_response(404, description="No such ticket.")
@tickets_bp.alt_response(409, description="The ticket is closed, and closed is final.")
def assign_ticket(data, ticket_id):
    """Give the ticket to an agent, or `assignee_id: null` to put it back (supervisors)."""
    return services.assign_ticket(
        ticket_id, data["assignee_id"], expected_version=data.get("version"), actor=current_agent()
    )


@tickets_bp.get("/<int:ticket_id>/comments")
@requires(Permission.TICKETS_READ)
@tickets_bp.response(200, schemas.CommentSchema(many=True))
@tickets_bp.paginate(SelectPage, page_size=50)
@tickets_bp.alt_response(404, description="No such ticket.")
def list_comments(ticket_id):
    """The conversation, oldest first: public replies, the customer's messages and internal notes."""
    return services.list_comments(ticket_id, viewer=current_agent())


@tickets_bp.post("/<int:ticket_id>/comments")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.arguments(schemas.CommentCreateSchema)
@tickets_bp.response(201, schemas.CommentSchema)
@tickets_bp.alt_response(404, description="No such ticket.")
@tickets_bp.alt_response(
    409, description="The ticket is closed, and closed is final (a customer writing again opens a follow-up)."
)
def add_comment(data, ticket_id):
    """Reply to the customer (`public: true`) or leave an internal note; HTML is sanitized. Mention
    agents with `mention_ids`; move the ticket along with `status`."""
    return services.add_comment(ticket_id, **data, actor=current_agent())


@tickets_bp.get("/<int:ticket_id>/events")
@requires(Permission.TICKETS_READ)
@tickets_bp.response(200, schemas.TicketEventSchema(many=True))
@tickets_bp.paginate(SelectPage, page_size=100)
@tickets_bp.alt_response(404, description="No such ticket.")
def list_events(ticket_id):
    """The audit trail: who changed what, when, from which value to which. Append-only."""
    return services.list_events(ticket_id, viewer=current_agent())


@tickets_bp.post("/<int:ticket_id>/merge")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.arguments(schemas.TicketMergeSchema)
@tickets_bp.response(200, schemas.TicketSchema)
@tickets_bp.alt_response(404, description="No such ticket.")
@tickets_bp.alt_response(409, description="Either ticket is closed or already merged.")
def merge_ticket(data, ticket_id):
    """Merge this ticket INTO `into` (same customer): the conversation moves over, this one closes."""
    return services.merge_tickets(ticket_id, data["into"], actor=current_agent())


@tickets_bp.get("/<int:ticket_id>/links")
@requires(Permission.TICKETS_READ)
@tickets_bp.response(200, schemas.LinkSchema(many=True))
@tickets_bp.alt_response(404, description="No such ticket.")
def list_links(ticket_id):
    """The tickets linked to this one, those you may see."""
    return services.list_links(ticket_id, viewer=current_agent())


@tickets_bp.post("/<int:ticket_id>/links")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.arguments(schemas.LinkCreateSchema)
@tickets_bp.response(201, schemas.LinkSchema(many=True))
@tickets_bp.alt_response(404, description="No such ticket.")
def link_ticket(data, ticket_id):
    """Link another ticket to this one; returns this ticket's links."""
    actor = current_agent()
    services.link_tickets(ticket_id, data["ticket_id"], kind=data["kind"], actor=actor)
    return services.list_links(ticket_id, viewer=actor)


@tickets_bp.post("/bulk")
@requires(Permission.TICKETS_BULK)
@tickets_bp.arguments(schemas.BulkUpdateSchema)
@tickets_bp.response(200, schemas.TicketSchema(many=True))
@tickets_bp.alt_response(403, description="Only supervisors change tickets in bulk.")
@tickets_bp.alt_response(409, description="Some of the tickets changed meanwhile; none were changed.")
def bulk_update(data):
    """Apply one change to many tickets: all or none (supervisors)."""
    return services.bulk_update(data["ticket_ids"], data["changes"], actor=current_agent())


@tickets_bp.post("/<int:ticket_id>/macro")
@requires(Permission.TICKETS_WRITE)
@tickets_bp.arguments(schemas.MacroApplySchema)
@versions.response(tickets_bp, schemas.TicketSchema)
@versions.changes_version(
    tickets_bp, schemas.TicketSchema, what="the ticket", conflicts="the ticket is closed (closed is final)"
)
@tickets_bp.alt_response(404, description="No such ticket or macro.")
def apply_macro(data, ticket_id):
    """Apply a macro to the version you read (If-Match header or `version`): its field changes and
    reply land together, or not at all."""
    version = versions.expected_version(data)
    return services.apply_macro(ticket_id, data["macro_id"], expected_version=version, actor=current_agent())


@macros_bp.get("")
@requires(Permission.TICKETS_READ)
@macros_bp.response(200, schemas.MacroSchema(many=True))
@macros_bp.paginate(SelectPage, page_size=50)
def list_macros():
    return services.list_macros()


@macros_bp.post("")
@requires(Permission.MACROS_MANAGE)
@macros_bp.arguments(schemas.MacroSchema)
@macros_bp.response(201, schemas.MacroSchema)
@macros_bp.alt_response(409, description="The name is already in use.")
def create_macro(data):
    """Create a macro (supervisors and admins): `actions` may `set` status, priority, type, queue_id
    and assignee_id, `add_tags`/`remove_tags`, and add a `reply` {body, public}."""
    return services.create_macro(**data, actor=current_agent())


@macros_bp.get("/<int:macro_id>")
@requires(Permission.TICKETS_READ)
@versions.response(macros_bp, schemas.MacroSchema)
def get_macro(macro_id):
    """A macro; `ETag` carries its version."""
    return services.get_macro(macro_id)


@macros_bp.patch("/<int:macro_id>")
@requires(Permission.MACROS_MANAGE)
@macros_bp.arguments(schemas.MacroUpdateSchema)
@versions.response(macros_bp, schemas.MacroSchema)
@versions.changes_version(
    macros_bp, schemas.MacroSchema, what="the macro", conflicts="the name is already in use"
)
def update_macro(data, macro_id):
    """Change the version of the macro you read (If-Match header or `version`)."""
    version = versions.expected_version(data)
    return services.update_macro(macro_id, data, expected_version=version, actor=current_agent())


@macros_bp.delete("/<int:macro_id>")
@requires(Permission.MACROS_MANAGE)
@macros_bp.response(204)
@versions.changes_version(macros_bp, schemas.MacroSchema, what="the macro")
def delete_macro(macro_id):
    """Delete the version of the macro you read (If-Match header): a macro changed since is kept."""
    version = versions.expected_version()
    services.delete_macro(macro_id, expected_version=version, actor=current_agent())


@queues_bp.get("")
@requires(Permission.DIRECTORY_READ)
@queues_bp.response(200, schemas.QueueSchema(many=True))
@queues_bp.paginate(SelectPage)
def list_queues():
    return services.list_queues()


@queues_bp.post("")
@requires(Permission.QUEUES_MANAGE)
@queues_bp.arguments(schemas.QueueCreateSchema)
@queues_bp.response(201, schemas.QueueSchema)
@queues_bp.alt_response(409, description="The name is already in use.")
def create_queue(data):
    """Create a queue (supervisors and admins)."""
    return services.create_queue(**data, actor=current_agent())


@queues_bp.get("/<int:queue_id>")
@requires(Permission.DIRECTORY_READ)
@versions.response(queues_bp, schemas.QueueSchema)
def get_queue(queue_id):
    """A queue; `ETag` carries its version."""
    return services.get_queue(queue_id)


@queues_bp.patch("/<int:queue_id>")
@requires(Permission.QUEUES_MANAGE)
@queues_bp.arguments(schemas.QueueUpdateSchema)
@versions.response(queues_bp, schemas.QueueSchema)
@versions.changes_version(
    queues_bp, schemas.QueueSchema, what="the queue", conflicts="the name is already in use"
)
def update_queue(data, queue_id):
    """Change the version of the queue you read (If-Match header or `version`)."""
    version = versions.expected_version(data)
    return services.update_queue(queue_id, data, expected_version=version, actor=current_agent())
