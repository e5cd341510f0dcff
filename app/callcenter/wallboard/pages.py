"""The wallboard's page: its script loads the snapshot (`GET /api/v1/callcenter/wallboard`), then listens
on the `/wallboard` namespace; the page itself carries only the words and the choices of its actions."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.accounts.access import Permission, requires
from app.callcenter import services as callcenter
from app.extensions import db

bp = Blueprint("wallboard_pages", __name__, template_folder="templates")


@bp.get("/wallboard")
@requires(Permission.WALLBOARD_VIEW)
def wallboard():
    break_reasons = list(db.session.scalars(callcenter.list_break_reasons()))
    return render_template("wallboard/wallboard.html", break_reasons=break_reasons)
