"""Settings pages of the SLA package: business-hours calendars and SLA policies (`app.setting_pages`),
for those who may manage them. Each view calls the use case the API calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.access import Permission, current_agent, requires
from app.extensions import db
from app.setting_pages import Column, Section, SettingPages
from app.tickets.models import Queue
from app.tickets.sla import schemas, services
from app.tickets.sla.forms import DAYS, MINUTE, CalendarForm, SlaPolicyForm, day_name
from app.tickets.words import label

DASH = "\u2013"  # an en dash between times

bp = Blueprint("sla_settings", __name__, template_folder="templates")


def _hours(calendar) -> str:
    hours = calendar.weekly_hours
    days = [
        f"{day_name(day)} {', '.join(DASH.join(opening) for opening in hours[day])}"
        for day in DAYS
        if hours.get(day)
    ]
    return "; ".join(days) or _("Always closed")


def _holidays(calendar) -> str:
    names = calendar.holiday_names or {}
    return ", ".join(f"{day} {names[day]}" if day in names else day for day in calendar.holidays or ())


CALENDARS = SettingPages(
    endpoint="sla_settings.calendars",
    id_name="calendar_id",
    title=_l("Business-hours calendars"),
    new_title=_l("New calendar"),
    intro=_l("Opening hours per weekday in a time zone, and holidays: SLA targets count only open time."),
    form=CalendarForm,
    rows=lambda: db.session.scalars(services.list_calendars()),
    get=services.get_calendar,
    create=lambda values, actor: services.create_calendar(**values, actor=actor),
    update=services.update_calendar,
    delete=services.delete_calendar,
    create_schema=schemas.CalendarCreateSchema(),
    update_schema=schemas.CalendarUpdateSchema(),
    columns=(
        Column(_l("Name"), lambda calendar: calendar.name),
        Column(_l("Time zone"), lambda calendar: calendar.timezone),
        Column(_l("Weekly hours"), _hours),
        Column(_l("Holidays"), _holidays),
    ),
    deleting=_l(
        "A calendar an SLA policy uses cannot be deleted: change those policies first. "
        "Policies never refer to a deleted calendar."
    ),
    template="sla/calendar_form.html",
)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, minutes = divmod(-(-seconds // MINUTE), 60)
    if not hours:
        return _("%(minutes)s min", minutes=minutes)
    if not minutes:
        return _("%(hours)s h", hours=hours)
    return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)


def _queue_name(queue_id: int) -> str:
    queue = db.session.get(Queue, queue_id)  # a policy goes with its queue (ON DELETE CASCADE)
    return queue.name if queue is not None else str(queue_id)


def _applies_to(policy) -> str:
    parts: list[Any] = [
        _queue_name(policy.queue_id) if policy.queue_id else _("any queue"),
        label(policy.priority) if policy.priority else _("any priority"),
        label(policy.ticket_type) if policy.ticket_type else _("any type"),
    ]
    return " · ".join(str(part) for part in parts)


POLICIES = SettingPages(
    endpoint="sla_settings.policies",
    id_name="policy_id",
    title=_l("SLA policies"),
    new_title=_l("New SLA policy"),
    intro=_l(
        "Targets for first response, next response and resolution. A ticket gets the most specific "
        "policy matching it: type, then queue, then priority count."
    ),
    form=SlaPolicyForm,
    rows=lambda: db.session.scalars(services.list_policies()),
    get=services.get_policy,
    create=lambda values, actor: services.create_policy(**values, actor=actor),
    update=services.update_policy,
    delete=services.delete_policy,
    create_schema=schemas.SlaPolicyCreateSchema(),
    update_schema=schemas.SlaPolicyUpdateSchema(),
    columns=(
        Column(_l("Name"), lambda policy: policy.name),
        Column(_l("Applies to"), _applies_to),
        Column(_l("First response"), lambda policy: _duration(policy.first_response_seconds)),
        Column(_l("Next response"), lambda policy: _duration(policy.next_response_seconds)),
        Column(_l("Resolution"), lambda policy: _duration(policy.resolution_seconds)),
        Column(
            _l("Business hours"),
            lambda policy: policy.calendar.name if policy.calendar else _("Around the clock (24/7)"),
        ),
    ),
    deleting=_l(
        "Its tickets' running targets move to the next policy that matches them, or to the default; "
        "targets already met or breached keep their figures."
    ),
)

SECTIONS = (
    Section(POLICIES.endpoint, POLICIES.title, POLICIES.intro, Permission.SLA_MANAGE),
    Section(CALENDARS.endpoint, CALENDARS.title, CALENDARS.intro, Permission.SLA_MANAGE),
)


@bp.get("/settings/calendars")
@requires(Permission.SLA_MANAGE)
def calendars():
    return CALENDARS.index()


@bp.route("/settings/calendars/new", methods=["GET", "POST"])
@requires(Permission.SLA_MANAGE)
def calendars_new():
    return CALENDARS.new(actor=current_agent())


@bp.route("/settings/calendars/<int:calendar_id>", methods=["GET", "POST"])
@requires(Permission.SLA_MANAGE)
def calendars_edit(calendar_id):
    return CALENDARS.edit(calendar_id, actor=current_agent())


@bp.route("/settings/calendars/<int:calendar_id>/delete", methods=["GET", "POST"])
@requires(Permission.SLA_MANAGE)
def calendars_delete(calendar_id):
    return CALENDARS.remove(calendar_id, actor=current_agent())


@bp.get("/settings/sla-policies")
@requires(Permission.SLA_MANAGE)
def policies():
    return POLICIES.index()


@bp.route("/settings/sla-policies/new", methods=["GET", "POST"])
@requires(Permission.SLA_MANAGE)
def policies_new():
    return POLICIES.new(actor=current_agent())


@bp.route("/settings/sla-policies/<int:policy_id>", methods=["GET", "POST"])
@requires(Permission.SLA_MANAGE)
def policies_edit(policy_id):
    return POLICIES.edit(policy_id, actor=current_agent())


@bp.route("/settings/sla-policies/<int:policy_id>/delete", methods=["GET", "POST"])
@requires(Permission.SLA_MANAGE)
def policies_delete(policy_id):
    return POLICIES.remove(policy_id, actor=current_agent())
