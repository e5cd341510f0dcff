"""Supervisors' pages: follow-up tasks from poor survey answers, and the mail log of an install that
sends no real e-mail."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from app.accounts.access import Permission, current_agent, requires
from app.extensions import db
from app.tickets import mail
from app.tickets.models import FollowUpTask
from app.tickets.services import surveys

bp = Blueprint("follow_ups", __name__)

TASKS_SHOWN = 200
MAILS_SHOWN = 50


@bp.get("/tasks")
@requires(Permission.FOLLOW_UPS_MANAGE)
def tasks():
    query = (
        surveys.list_follow_ups()
        .limit(TASKS_SHOWN)
        .options(
            selectinload(FollowUpTask.ticket),
            selectinload(FollowUpTask.survey),
            selectinload(FollowUpTask.assignee),
            selectinload(FollowUpTask.done_by),
        )
    )
    return render_template("tasks/index.html", tasks=db.session.scalars(query).all(), form=FlaskForm())


@bp.post("/tasks/<int:task_id>/done")
@requires(Permission.FOLLOW_UPS_MANAGE)
def done(task_id: int):
    if FlaskForm().validate_on_submit():
        task = surveys.complete_follow_up(task_id, actor=current_agent())
        flash(_("The follow-up of %(reference)s is done.", reference=task.ticket.reference), "success")
    return redirect(url_for("follow_ups.tasks"), code=303)


@bp.get("/admin/mail")
@requires(Permission.MAIL_LOG_READ)
def mail_log():
    return render_template(
        "tasks/mail_log.html",
        mails=mail.latest_logged(MAILS_SHOWN),
        smtp=bool(current_app.config.get("MAIL_SERVER")),
    )
