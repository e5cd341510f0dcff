"""Supervisors' page of follow-up tasks: the calls back that poor survey answers asked for."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from app.accounts.access import Permission, current_agent, requires
from app.extensions import db
from app.portal.surveys import services as surveys
from app.portal.surveys.models import FollowUpTask

bp = Blueprint("follow_ups", __name__, template_folder="templates")

TASKS_SHOWN = 200


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
    return render_template(
        "surveys/follow_ups.html",
        tasks=db.session.scalars(query).all(),
        form=FlaskForm(),
        # The task records its reasons in English; the page says them in its reader's language.
        reasons=lambda task: "; ".join(str(reason) for reason in surveys.follow_up_reasons(task.survey)),
    )


@bp.post("/tasks/<int:task_id>/done")
@requires(Permission.FOLLOW_UPS_MANAGE)
def done(task_id: int):
    if FlaskForm().validate_on_submit():
        task = surveys.complete_follow_up(task_id, actor=current_agent())
        flash(_("The follow-up of %(reference)s is done.", reference=task.ticket.reference), "success")
    return redirect(url_for("follow_ups.tasks"), code=303)
