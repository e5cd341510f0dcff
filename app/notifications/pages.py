"""Admins' page of the mail log: what an install that sends no real e-mail would have sent."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.accounts.access import Permission, requires
from app.notifications import mail
from app.sanitize import linked_text

bp = Blueprint("notifications_pages", __name__, template_folder="templates")

MAILS_SHOWN = 50


@bp.get("/admin/mail")
@requires(Permission.MAIL_LOG_READ)
def mail_log():
    return render_template(
        "notifications/mail_log.html",
        mails=mail.latest_logged(MAILS_SHOWN),
        smtp=bool(current_app.config.get("MAIL_SERVER")),
        linked_text=linked_text,
    )
