"""REST endpoints of the failed-job registry: list, run again, drop. Admins only."""

from __future__ import annotations

from app.accounts.access import Permission, requires
from app.extensions import ApiBlueprint, ErrorSchema
from app.jobs import schemas, services

bp = ApiBlueprint(
    "failed_jobs",
    __name__,
    url_prefix="/api/v1/jobs/failed",
    description=(
        "Background jobs that failed on every run they were allowed (or whose worker died on the last): "
        "what each ran, when and why it failed; run one again or drop it."
    ),
)

blueprints = (bp,)


@bp.get("")
@requires(Permission.JOBS_MANAGE)
@bp.response(200, schemas.FailedJobSchema(many=True))
def list_failed_jobs():
    """Failed jobs of every queue, the newest failure first (at most 200)."""
    return services.list_failed_jobs()


@bp.post("/<job_id>/retry")
@requires(Permission.JOBS_MANAGE)
@bp.response(200, schemas.FailedJobSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No failed job has this id.")
def retry_failed_job(job_id):
    """Put a failed job back on its queue, as it was."""
    return services.retry_failed_job(job_id)


@bp.delete("/<job_id>")
@requires(Permission.JOBS_MANAGE)
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No failed job has this id.")
def delete_failed_job(job_id):
    """Drop a failed job for good."""
    services.delete_failed_job(job_id)
