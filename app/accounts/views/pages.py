"""Pages of the accounts room: sign in, sign out, one's own open sessions, and the admins' pages: people and
the settings trail."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from app.accounts import services
from app.accounts.access import Permission, current_agent, has_permission, public, requires, signed_in
from app.accounts.forms import AgentForm, LoginForm
from app.accounts.models import SettingKind
from app.accounts.views import login_rate_limit
from app.errors import AppError
from app.extensions import db, limiter
from app.i18n import LANGUAGES, remember_language, safe_local_path
from app.named_settings import Action
from app.pagination import page_number
from app.setting_pages import Section, sections

bp = Blueprint("accounts_pages", __name__, template_folder="../templates")

SETTING_CHANGES_PAGE_SIZE = 50
# Open sessions listed on one's own page (the API pages through all of them).
SESSIONS_SHOWN = 100
# A recorded value longer than this is shortened on the page (the API gives it whole).
VALUE_SHOWN = 200
KIND_LABELS = {
    SettingKind.TEAM: _l("Team"),
    SettingKind.QUEUE: _l("Queue"),
    SettingKind.MACRO: _l("Macro"),
    SettingKind.CALENDAR: _l("Business-hours calendar"),
    SettingKind.SLA_POLICY: _l("SLA policy"),
    SettingKind.CUSTOM_FIELD: _l("Custom field"),
    SettingKind.WEB_FORM_ROUTES: _l("Web form routes"),
}
# The fields the trail records, in the reader's language (the API keeps their names).
FIELD_LABELS = {
    "name": _l("Name"),
    "description": _l("Description"),
    "member_ids": _l("Members"),
    "team_id": _l("Team"),
    "skills": _l("Skills"),
    "actions": _l("Actions"),
    "timezone": _l("Time zone"),
    "weekly_hours": _l("Weekly hours"),
    "holidays": _l("Holidays"),
    "holiday_names": _l("Holiday names"),
    "queue_id": _l("Queue"),
    "priority": _l("Priority"),
    "ticket_type": _l("Ticket type"),
    "calendar_id": _l("Business-hours calendar"),
    "first_response_seconds": _l("First response (seconds)"),
    "next_response_seconds": _l("Next response (seconds)"),
    "resolution_seconds": _l("Resolution (seconds)"),
    "warning_seconds": _l("Warning (seconds)"),
    "key": _l("Key"),
    "label": _l("Label"),
    "type": _l("Type"),
    "choices": _l("Choices"),
    "required": _l("Required"),
}
ACTION_LABELS = {
    Action.CREATED: _l("Created"),
    Action.UPDATED: _l("Changed"),
    Action.DELETED: _l("Deleted"),
}


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in is a phishing tool."""
    return safe_local_path(target) or url_for("customers_pages.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 401 if form.errors else 200
    try:
        agent = services.sign_in(
            form.email.data,
            form.password.data,
            user_agent=request.user_agent.string,
            remember=form.remember.data,
        )
    except services.SignInLocked as locked:
        minutes = math.ceil(locked.retry_after / 60)
        form.password.errors.append(
            ngettext(
                "Too many failed sign-ins with this e-mail address. Try again in %(num)d minute.",
                "Too many failed sign-ins with this e-mail address. Try again in %(num)d minutes.",
                minutes,
            )
        )
        page = make_response(render_template("accounts/login.html", form=form), 429)
        page.headers["Retry-After"] = str(locked.retry_after)
        return page
    if agent is None:
        form.password.errors.append(_("Wrong e-mail or password, or the account is disabled."))
        return render_template("accounts/login.html", form=form), 401
    login_user(agent, remember=form.remember.data)
    return redirect(_safe_next(request.args.get("next")))


@bp.get("/language/<code>")
@public
def language(code):
    """The language switcher: remember the choice in a cookie and go back where the link was."""
    if code not in LANGUAGES:
        abort(404)
    return remember_language(redirect(_safe_next(request.args.get("next"))), code)


@bp.post("/logout")
@signed_in
def logout():
    """Sign out: this session ends on the server too, so a copy of its cookies opens nothing."""
    services.end_session(current_agent().session_key)
    logout_user()
    return redirect(url_for("accounts_pages.login"))


@bp.get("/account/sessions")
@signed_in
def sessions():
    """Your open sessions, and the button that ends them all."""
    agent = current_agent()
    records = db.session.scalars(services.list_sign_in_sessions(actor=agent).limit(SESSIONS_SHOWN)).all()
    return render_template(
        "accounts/sessions.html",
        sessions=records,
        is_current=lambda record: services.is_current_session(record, agent),
    )


@bp.post("/account/sessions/sign-out-everywhere")
@signed_in
def sign_out_everywhere():
    signed_out = services.sign_out_everywhere(actor=current_agent())
    logout_user()
    flash(
        _(
            "You are signed out everywhere. Sessions ended: %(sessions)d; API tokens revoked: %(tokens)d.",
            sessions=signed_out.sessions_ended,
            tokens=signed_out.tokens_revoked,
        ),
        "success",
    )
    return redirect(url_for("accounts_pages.login"))


@bp.route("/admin/agents", methods=["GET", "POST"])
@requires(Permission.AGENTS_MANAGE)
def agents():
    form = AgentForm()
    if form.validate_on_submit():
        try:
            agent = services.create_agent(
                email=form.email.data, password=form.password.data, name=form.name.data, role=form.role.data
            )
        except AppError as error:
            for field, messages in error.errors.items():
                getattr(form, field).errors.extend(messages)
        else:
            flash(_("%(name)s can now sign in as %(email)s.", name=agent.name, email=agent.email), "success")
            return redirect(url_for("accounts_pages.agents"))
    people = services.all_agents()
    return render_template("accounts/agents.html", form=form, agents=people)


@bp.post("/admin/agents/<int:agent_id>/active")
@requires(Permission.AGENTS_MANAGE)
def set_active(agent_id):
    active = request.form.get("active") == "1"
    try:
        agent = services.update_agent(agent_id, {"active": active}, actor=current_agent())
    except AppError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
    else:
        if agent.active:
            flash(_("%(name)s is now active.", name=agent.name), "success")
        else:
            flash(_("%(name)s is now disabled.", name=agent.name), "success")
    return redirect(url_for("accounts_pages.agents"))


def visible_sections() -> list[Section]:
    """The sections of the settings index the signed-in person may open."""
    if not current_user.is_authenticated:
        return []
    agent = current_agent()
    return [section for section in sections() if has_permission(agent, section.permission)]


@bp.get("/settings")
@signed_in
def settings():
    """The desk's setup: every section the signed-in person may manage (none for agents)."""
    return render_template("settings/index.html", sections=visible_sections())


@bp.get("/admin/settings-changes")
@requires(Permission.SETTINGS_CHANGES_READ)
def settings_changes():
    """The settings trail, newest first; `kind` shows one kind of setting."""
    kind = request.args.get("kind")
    kind = kind if kind in KIND_LABELS else None
    page = db.paginate(
        services.list_setting_changes(kind=kind),
        page=page_number(request.args),
        per_page=SETTING_CHANGES_PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "accounts/settings_changes.html",
        page=page,
        kind=kind,
        kinds=KIND_LABELS,
        actions=ACTION_LABELS,
        fields=FIELD_LABELS,
        shown=_shown,
    )


def _shown(value: Any) -> str:
    """A recorded value as text (autoescaped by the template): lists of words joined, structures as JSON."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
        text = ", ".join(str(item) for item in value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"
