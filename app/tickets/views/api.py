"""REST endpoints of the tickets room."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.accounts.access import Permission, current_agent, requires
from app.pagination import SelectPage
from app.tickets import schemas, services

queues_bp = Blueprint("queues", __name__, url_prefix="/api/v1/queues", description="Ticket queues.")

blueprints = (queues_bp,)


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
@queues_bp.response(200, schemas.QueueSchema)
def get_queue(queue_id):
    return services.get_queue(queue_id)


@queues_bp.patch("/<int:queue_id>")
@requires(Permission.QUEUES_MANAGE)
@queues_bp.arguments(schemas.QueueUpdateSchema)
@queues_bp.response(200, schemas.QueueSchema)
def update_queue(data, queue_id):
    return services.update_queue(queue_id, data, actor=current_agent())
