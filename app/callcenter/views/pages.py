"""Settings pages of the call center: break reasons (`app.setting_pages`), for supervisors and admins.
Each view calls the use case the API calls."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.access import Permission, current_agent, requires
from app.callcenter import schemas, services
from app.callcenter.forms import BreakReasonForm
from app.extensions import db
from app.setting_pages import Column, Section, SettingPages

bp = Blueprint("callcenter_settings", __name__)


def _longest(reason) -> str:
    return _("%(minutes)s min", minutes=reason.max_minutes) if reason.max_minutes else ""


BREAK_REASONS = SettingPages(
    endpoint="callcenter_settings.break_reasons",
    id_name="reason_id",
    title=_l("Break reasons"),
    new_title=_l("New break reason"),
    intro=_l(
        "What agents pick when they go on break (lunch, training, coaching), "
        "so time away is counted by reason."
    ),
    form=BreakReasonForm,
    rows=lambda: db.session.scalars(services.list_break_reasons()),
    get=services.get_break_reason,
    create=lambda values, actor: services.create_break_reason(**values, actor=actor),
    update=services.update_break_reason,
    delete=services.delete_break_reason,
    create_schema=schemas.BreakReasonCreateSchema(),
    update_schema=schemas.BreakReasonUpdateSchema(),
    columns=(
        Column(_l("Name"), lambda reason: reason.name),
        Column(_l("Paid"), lambda reason: _("Paid") if reason.paid else _("Unpaid")),
        Column(_l("Longest break"), _longest),
        Column(_l("Description"), lambda reason: reason.description),
    ),
    deleting=_l("Agents can no longer pick it when they go on break."),
)

SECTIONS = (
    Section(
        BREAK_REASONS.endpoint, BREAK_REASONS.title, BREAK_REASONS.intro, Permission.BREAK_REASONS_MANAGE
    ),
)


@bp.get("/settings/break-reasons")
@requires(Permission.BREAK_REASONS_MANAGE)
def break_reasons():
    return BREAK_REASONS.index()


@bp.route("/settings/break-reasons/new", methods=["GET", "POST"])
@requires(Permission.BREAK_REASONS_MANAGE)
def break_reasons_new():
    return BREAK_REASONS.new(actor=current_agent())


@bp.route("/settings/break-reasons/<int:reason_id>", methods=["GET", "POST"])
@requires(Permission.BREAK_REASONS_MANAGE)
def break_reasons_edit(reason_id):
    return BREAK_REASONS.edit(reason_id, actor=current_agent())


@bp.route("/settings/break-reasons/<int:reason_id>/delete", methods=["GET", "POST"])
@requires(Permission.BREAK_REASONS_MANAGE)
def break_reasons_delete(reason_id):
    return BREAK_REASONS.remove(reason_id, actor=current_agent())
