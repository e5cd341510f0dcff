"""The agent console's page (`/console`): the shell its script fills from the snapshot API and the
`/agents` namespace."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.accounts.access import signed_in
from app.callcenter.console import services

bp = Blueprint("console_pages", __name__, template_folder="templates")


@bp.get("/console")
@signed_in
def console():
    return render_template("console/console.html", renew_seconds=services.VIEWER_RENEW_SECONDS)
