"""Failed jobs: RQ's failed-job registry of every queue, read and tended through RQ's own API.

A job lands there when it raised on its last allowed run, or when its worker died on its last one
(`AbandonedJobError`, see `app.queue`); RQ keeps it a year (`failure_ttl`), the periodic jobs a day.
Running one again puts it back on its queue as it was (its arguments, a fresh retry budget spent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from app.errors import NotFound
from app.queue import QUEUE_NAMES, redis_connection

# The newest failures shown; older ones stay in Redis until RQ drops them.
LISTED = 200
# RQ's times are aware UTC ones; a job without any sorts last.
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str | None
    args: list[Any]
    kwargs: dict[str, Any]
    enqueued_at: datetime | None
    failed_at: datetime | None
    error: str | None

    @property
    def last_error_line(self) -> str:
        """The exception's own line (the traceback's last non-empty one)."""
        lines = [line for line in (self.error or "").splitlines() if line.strip()]
        return lines[-1] if lines else ""


def list_failed_jobs(limit: int = LISTED) -> list[FailedJob]:
    """Failed jobs of every queue, the newest failure first."""
    found = []
    for name in QUEUE_NAMES:
        registry = _registry(name)
        ids = registry.get_job_ids(0, limit - 1, desc=True)
        for job in Job.fetch_many(ids, connection=registry.connection):
            if job is not None:
                found.append(_described(job, name))
    found.sort(key=lambda job: job.failed_at or _LONG_AGO, reverse=True)
    return found[:limit]


def retry_failed_job(job_id: str) -> FailedJob:
    """Put a failed job back on its queue; 404 for an id no failed job has."""
    job, registry = _failed(job_id)
    try:
        registry.requeue(job)
    except InvalidJobOperation as error:  # gone from the registry meanwhile
        raise NotFound(_l("Failed job %(job_id)s not found.", job_id=job_id)) from error
    return _described(job, registry.name)


def delete_failed_job(job_id: str) -> None:
    """Drop a failed job for good; 404 for an id no failed job has."""
    job, registry = _failed(job_id)
    registry.remove(job, delete_job=True)


def _failed(job_id: str) -> tuple[Job, FailedJobRegistry]:
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError as error:
        raise NotFound(_l("Failed job %(job_id)s not found.", job_id=job_id)) from error
    if job.origin not in QUEUE_NAMES or job.id not in (registry := _registry(job.origin)):
        raise NotFound(_l("Failed job %(job_id)s not found.", job_id=job_id))
    return job, registry


def _registry(queue: str) -> FailedJobRegistry:
    return FailedJobRegistry(queue, connection=redis_connection())


def _described(job: Job, queue: str) -> FailedJob:
    result = job.latest_result()
    failed = result is not None and result.type == result.Type.FAILED
    try:
        args, kwargs = list(job.args), dict(job.kwargs)
    except Exception:  # a job whose function or arguments no longer load
        args, kwargs = [], {}
    return FailedJob(
        id=job.id,
        queue=queue,
        function=job.func_name,
        args=args,
        kwargs=kwargs,
        enqueued_at=job.enqueued_at,
        failed_at=(result.created_at if failed else None) or job.ended_at,
        error=result.exc_string if failed else None,
    )
