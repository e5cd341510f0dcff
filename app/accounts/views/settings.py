"""Settings pages of the accounts room: teams (`app.setting_pages`) and people. Each view calls the use
case the API calls, so the rules and their messages are the API's."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from app.accounts import schemas, services
from app.accounts.access import Permission, current_agent, requires
from app.accounts.forms import ROLE_NAMES, PersonForm, TeamForm
from app.errors import AppError
from app.extensions import db
from app.forms import flat_messages
from app.setting_pages import Column, Section, SettingPages

bp = Blueprint("accounts_settings", __name__, template_folder="../templates")

TEAMS = SettingPages(
    endpoint="accounts_settings.teams",
    id_name="team_id",
    title=_l("Teams"),
    new_title=_l("New team"),
    intro=_l("Groups of agents. A team serves queues; its members work their tickets."),
    form=TeamForm,
    rows=lambda: db.session.scalars(services.list_teams()),
    get=services.get_team,
    create=lambda values, actor: services.create_team(**values, actor=actor),
    update=services.update_team,
    delete=services.delete_team,
    create_schema=schemas.TeamSchema(),
    update_schema=schemas.TeamUpdateSchema(),
    columns=(
        Column(_l("Name"), lambda team: team.name),
        Column(_l("Members"), lambda team: ", ".join(member.name for member in team.members)),
        Column(_l("Description"), lambda team: team.description),
    ),
    deleting=_l(
        "Its members stay, in no team of this name; the queues it serves stay, served by no team, until "
        "you give them another."
    ),
)

PEOPLE_INTRO = _l(
    "Everyone who signs in: their role, teams, skills, and the language and time zone of their pages."
)
SECTIONS = (
    Section(TEAMS.endpoint, TEAMS.title, TEAMS.intro, Permission.TEAMS_MANAGE),
    Section("accounts_settings.people", _l("People"), PEOPLE_INTRO, Permission.AGENTS_MANAGE),
)


@bp.get("/settings/teams")
@requires(Permission.TEAMS_MANAGE)
def teams():
    return TEAMS.index()


@bp.route("/settings/teams/new", methods=["GET", "POST"])
@requires(Permission.TEAMS_MANAGE)
def teams_new():
    return TEAMS.new(actor=current_agent())


@bp.route("/settings/teams/<int:team_id>", methods=["GET", "POST"])
@requires(Permission.TEAMS_MANAGE)
def teams_edit(team_id):
    return TEAMS.edit(team_id, actor=current_agent())


@bp.route("/settings/teams/<int:team_id>/delete", methods=["GET", "POST"])
@requires(Permission.TEAMS_MANAGE)
def teams_delete(team_id):
    return TEAMS.remove(team_id, actor=current_agent())


# -- people --------------------------------------------------------------------------------------------


@bp.get("/settings/people")
@requires(Permission.AGENTS_MANAGE)
def people():
    return render_template(
        "accounts/people.html",
        people=services.all_agents(),
        roles=ROLE_NAMES,
        intro=PEOPLE_INTRO,
        confirm=FlaskForm(),
    )


@bp.route("/settings/people/new", methods=["GET", "POST"])
@requires(Permission.AGENTS_MANAGE)
def people_new():
    form = PersonForm()
    if not form.is_submitted():
        form.fill_skills()
        return _person_page(form)
    if not form.validate():
        return _person_page(form, problem=_("Check the fields marked below."), status=422)
    try:
        agent = services.create_agent(**form.values())
    except AppError as error:
        return _refused(form, error)
    flash(_("%(name)s can now sign in as %(email)s.", name=agent.name, email=agent.email), "success")
    return redirect(url_for("accounts_settings.people"))


@bp.route("/settings/people/<int:agent_id>", methods=["GET", "POST"])
@requires(Permission.AGENTS_MANAGE)
def people_edit(agent_id):
    agent = services.get_agent(agent_id)
    if request.method != "POST":
        return _person_page(PersonForm.of(agent), agent=agent)
    form = PersonForm(editing=True)
    if not form.validate():
        return _person_page(form, agent=agent, problem=_("Check the fields marked below."), status=422)
    try:
        agent = services.update_agent(agent_id, form.values(), actor=current_agent())
    except AppError as error:
        if error.status == 404:
            raise
        return _refused(form, error, agent=agent)
    flash(_("%(name)s was saved.", name=agent.name), "success")
    return redirect(url_for("accounts_settings.people"))


@bp.route("/settings/people/<int:agent_id>/disable", methods=["GET", "POST"])
@requires(Permission.AGENTS_MANAGE)
def people_disable(agent_id):
    """Disabling asks first, saying what it ends (their sessions, their API tokens) and what stays."""
    agent = services.get_agent(agent_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _confirm_disable(agent, form, status=status)
    try:
        agent = services.update_agent(agent_id, {"active": False}, actor=current_agent())
    except AppError as error:
        if error.status == 404:
            raise
        return _confirm_disable(agent, form, problem=error.message, status=error.status)
    flash(
        _(
            "%(name)s is disabled: their sessions ended and their API tokens were revoked.",
            name=agent.name,
        ),
        "success",
    )
    return redirect(url_for("accounts_settings.people"))


@bp.post("/settings/people/<int:agent_id>/enable")
@requires(Permission.AGENTS_MANAGE)
def people_enable(agent_id):
    agent = services.update_agent(agent_id, {"active": True}, actor=current_agent())
    flash(
        _(
            "%(name)s can sign in again with their password; their old API tokens stay revoked.",
            name=agent.name,
        ),
        "success",
    )
    return redirect(url_for("accounts_settings.people"))


def _person_page(form: PersonForm, *, agent=None, problem=None, unplaced=(), status: int = 200):
    return render_template(
        "accounts/person.html", form=form, agent=agent, problem=problem, unplaced=unplaced
    ), status


def _refused(form: PersonForm, error: AppError, *, agent=None):
    form.show_errors(error.errors)
    # Messages about no field of the form (none today) go above it rather than nowhere.
    unplaced = flat_messages({name: m for name, m in error.errors.items() if name not in form._fields})
    return _person_page(form, agent=agent, problem=error.message, unplaced=unplaced, status=error.status)


def _confirm_disable(agent, form: FlaskForm, *, problem=None, status: int = 200):
    return render_template(
        "accounts/person_disable.html",
        agent=agent,
        form=form,
        access=services.open_access(agent.id),
        problem=problem,
    ), status
