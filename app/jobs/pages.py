"""Admins' page of the failed-job registry."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.accounts.access import Permission, requires
from app.jobs import services

bp = Blueprint("jobs_pages", __name__, template_folder="templates")


@bp.get("/admin/jobs/failed")
@requires(Permission.JOBS_MANAGE)
def failed_jobs():
    return render_template("jobs/failed.html", jobs=services.list_failed_jobs())
