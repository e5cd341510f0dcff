"""The wallboard's page: the snapshot and the live events are loaded by its script."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.accounts.access import Permission, requires
from app.callcenter.presence.models import PresenceState

bp = Blueprint("wallboard_pages", __name__, template_folder="templates")


@bp.get("/wallboard")
@requires(Permission.WALLBOARD_VIEW)
def wallboard():
    return render_template("wallboard/wallboard.html", states=list(PresenceState))
