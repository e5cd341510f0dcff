"""HTML forms of the accounts pages (Flask-WTF: CSRF included).

The settings forms check shapes only: the use cases the API calls hold the rules (a valid e-mail, a
known time zone, skill levels 1 to 5...), and their field messages come back beside the fields.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts import services
from app.accounts.models import Agent, Role
from app.extensions import db
from app.forms import ServiceErrorsMixin
from app.i18n import LANGUAGES, timezone_names
from app.setting_pages import SettingForm

ROLE_NAMES = {Role.AGENT: _l("Agent"), Role.SUPERVISOR: _l("Supervisor"), Role.ADMIN: _l("Admin")}
# Blank rows under a person's skills, for skills they do not have yet.
NEW_SKILL_ROWS = 2


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (teams, members): every choice visible at once."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SkillLevelForm(Form):
    """One skill of a person: its name and a level from 1 to 5 ("—": they do not have it)."""

    name = StringField(_l("Skill"))
    level = SelectField(
        _l("Level"),
        choices=[SelectChoice("", "—")] + [SelectChoice(str(level), str(level)) for level in range(1, 6)],
        default="",
    )


class PersonForm(ServiceErrorsMixin, FlaskForm):
    """A person: who they are, what they may do, their teams and skills, the language and time zone
    their pages and mails use. `password` is the first one when creating, a new one when changing."""

    name = StringField(_l("Name"))
    email = EmailField(_l("E-mail"))
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_NAMES[r]) for r in Role])
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()], default="en"
    )
    timezone = SelectField(
        _l("Time zone"), choices=lambda: [SelectChoice(z, z) for z in timezone_names()], default="UTC"
    )
    team_ids = CheckboxesField(_l("Teams"), coerce=int)
    skills = FieldList(FormField(SkillLevelForm), label=_l("Skills and levels (1 = learning, 5 = expert)"))
    password = PasswordField(_l("Initial password"))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.password.label.text = _("New password")
            self.password.description = _(
                "Leave it empty to keep the password. "
                "A new one ends their sessions and revokes their API tokens."
            )
        self.team_ids.choices = [
            SelectChoice(team.id, team.name) for team in db.session.scalars(services.list_teams())
        ]

    def fill_skills(self, agent: Agent | None = None) -> None:
        """One row per skill the desk knows (at the person's level, or "—"), then blank rows for new ones."""
        held = {entry.name: entry.level for entry in agent.skills} if agent else {}
        while self.skills.entries:
            self.skills.pop_entry()
        # A subform reads its values from an object's attributes.
        for skill in db.session.scalars(services.list_skills()):
            level = held.get(skill.name)
            self.skills.append_entry(SimpleNamespace(name=skill.name, level=str(level) if level else ""))
        for _row in range(NEW_SKILL_ROWS):
            self.skills.append_entry(SimpleNamespace(name="", level="3"))

    @classmethod
    def of(cls, agent: Agent) -> PersonForm:
        form = cls(
            formdata=None,
            editing=True,
            data={
                "name": agent.name,
                "email": agent.email,
                "role": agent.role,
                "language": agent.language,
                "timezone": agent.timezone,
                "team_ids": [team.id for team in agent.teams],
            },
        )
        form.fill_skills(agent)
        return form

    def values(self) -> dict[str, Any]:
        """What `create_agent` and `update_agent` take (a change without a new password keeps it)."""
        values = {
            "name": self.name.data or "",
            "email": self.email.data or "",
            "role": self.role.data,
            "language": self.language.data,
            "timezone": self.timezone.data,
            "team_ids": self.team_ids.data or [],
            "skills": [
                {"name": row.form.name.data.strip(), "level": int(row.form.level.data)}
                for row in self.skills
                if (row.form.name.data or "").strip() and row.form.level.data
            ],
        }
        if self.password.data or not self.editing:
            values["password"] = self.password.data or ""
        return values


def _member_label(agent: Agent) -> str:
    if agent.active:
        return f"{agent.name} <{agent.email}>"
    return _("%(name)s <%(email)s> (disabled)", name=agent.name, email=agent.email)


class TeamForm(SettingForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"), validators=[Optional()])
    member_ids = CheckboxesField(_l("Members"), coerce=int)

    def offer(self) -> None:
        # Disabled people too: a team keeps them as members, and a choice missing here would drop them.
        self.member_ids.choices = [
            SelectChoice(agent.id, _member_label(agent))
            for agent in db.session.scalars(services.list_agents())
        ]

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "member_ids": self.member_ids.data or [],
        }

    @classmethod
    def data_of(cls, team) -> dict[str, Any]:
        return {
            "name": team.name,
            "description": team.description,
            "member_ids": [member.id for member in team.members],
            "version": team.version,
        }
