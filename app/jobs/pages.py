"""Admins' page of the failed-job registry: what failed and why, each job with buttons to run it again
or drop it (the API's use cases, as forms)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.accounts.access import Permission, requires
from app.jobs import services

bp = Blueprint("jobs_pages", __name__, template_folder="templates")


@bp.get("/admin/jobs/failed")
@requires(Permission.JOBS_MANAGE)
def failed_jobs():
    return render_template("jobs/failed.html", jobs=services.list_failed_jobs())


@bp.post("/admin/jobs/failed/<job_id>/retry")
@requires(Permission.JOBS_MANAGE)
def retry_failed_job(job_id):
    job = services.retry_failed_job(job_id)
    flash(_("Job %(id)s is back on queue %(queue)s.", id=job.id, queue=job.queue), "success")
    return redirect(url_for(".failed_jobs"))


@bp.post("/admin/jobs/failed/<job_id>/delete")
@requires(Permission.JOBS_MANAGE)
def delete_failed_job(job_id):
    services.delete_failed_job(job_id)
    flash(_("Job %(id)s was dropped.", id=job_id), "success")
    return redirect(url_for(".failed_jobs"))
