"""Pages of the accounts room: sign in, sign out, and the admins' people page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import services
from app.accounts.access import Permission, current_agent, public, requires, signed_in
from app.accounts.forms import AgentForm, LoginForm
from app.accounts.views import login_rate_limit
from app.errors import AppError
from app.extensions import limiter
from app.i18n import LANGUAGES, remember_language, safe_local_path

bp = Blueprint("accounts_pages", __name__, template_folder="../templates")


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
    if form.validate_on_submit():
        agent = services.authenticate(form.email.data, form.password.data)
        if agent is not None:
            login_user(agent, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong e-mail or password, or the account is disabled."))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 401


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
    logout_user()
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
