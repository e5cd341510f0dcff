"""Forms of the tickets room's settings pages: queues and macros (`app.setting_pages`).

They check shapes only and hand the API's shapes on: the page loads their values through the API's
schemas, and the use cases' rules answer as they answer the API.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.accounts import services as accounts
from app.extensions import db
from app.setting_pages import SettingForm
from app.tickets import services
from app.tickets.forms import _choices, comma_list, optional_id
from app.tickets.models import Priority, Status, TicketType
from app.tickets.words import label


class QueueForm(SettingForm):
    name = StringField(_l("Queue name"))
    description = TextAreaField(_l("Description"), validators=[Optional()])
    team_id = SelectField(_l("Team that serves it"), coerce=optional_id, validate_choice=False)
    skills = StringField(
        _l("Skills an agent needs"),
        description=_l("Separate skills with commas; a skill nobody has yet is added."),
    )

    def offer(self) -> None:
        teams = db.session.scalars(accounts.list_teams())
        self.team_id.choices = [SelectChoice("", _("No team"))] + [
            SelectChoice(team.id, team.name) for team in teams
        ]

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "team_id": self.team_id.data,
            "skills": comma_list(self.skills.data),
        }

    @classmethod
    def data_of(cls, queue) -> dict[str, Any]:
        return {
            "name": queue.name,
            "description": queue.description,
            "team_id": queue.team_id,
            "skills": ", ".join(skill.name for skill in queue.skills),
            "version": queue.version,
        }


def _leave(values) -> list[SelectChoice]:
    return _choices(values, _l("Leave as it is"))


class MacroForm(SettingForm):
    """A macro's actions as rows: the fields it sets, the tags it adds and removes, the reply it adds."""

    name = StringField(_l("Macro name"))
    description = TextAreaField(_l("Description"), validators=[Optional()])
    set_status = SelectField(_l("Set the status to"), choices=_leave(Status), default="")
    set_priority = SelectField(_l("Set the priority to"), choices=_leave(Priority), default="")
    set_type = SelectField(_l("Set the type to"), choices=_leave(TicketType), default="")
    set_queue_id = SelectField(_l("Move to the queue"), coerce=optional_id, validate_choice=False)
    set_assignee_id = SelectField(_l("Assign to"), coerce=optional_id, validate_choice=False)
    add_tags = StringField(_l("Add the tags"), description=_l("Separate tags with commas."))
    remove_tags = StringField(_l("Remove the tags"), description=_l("Separate tags with commas."))
    reply_body = TextAreaField(_l("Add a reply"), validators=[Optional()])
    reply_internal = BooleanField(_l("As an internal note (the customer does not see it)"))

    # The API's names of the actions, as its schema and the use case name them in messages.
    ALIASES = {
        "actions.set.status": "set_status",
        "actions.set.priority": "set_priority",
        "actions.set.type": "set_type",
        "actions.set.queue_id": "set_queue_id",
        "actions.set.assignee_id": "set_assignee_id",
        "actions.add_tags": "add_tags",
        "actions.remove_tags": "remove_tags",
        "actions.reply": "reply_body",
        "actions.reply.body": "reply_body",
    }
    NESTED = ("actions", "actions.set", "actions.reply")
    name_label = staticmethod(label)

    def offer(self) -> None:
        self.set_queue_id.choices = [SelectChoice("", _("Leave as it is"))] + [
            SelectChoice(queue.id, queue.name) for queue in db.session.scalars(services.list_queues())
        ]
        self.set_assignee_id.choices = [SelectChoice("", _("Leave as it is"))] + [
            SelectChoice(agent.id, agent.name)
            for agent in db.session.scalars(accounts.list_agents(active=True))
        ]

    def values(self) -> dict[str, Any]:
        chosen = {
            "status": self.set_status.data or None,
            "priority": self.set_priority.data or None,
            "type": self.set_type.data or None,
            "queue_id": self.set_queue_id.data,
            "assignee_id": self.set_assignee_id.data,
        }
        actions: dict[str, Any] = {"set": {key: value for key, value in chosen.items() if value is not None}}
        actions["add_tags"] = comma_list(self.add_tags.data)
        actions["remove_tags"] = comma_list(self.remove_tags.data)
        if (self.reply_body.data or "").strip():
            actions["reply"] = {"body": self.reply_body.data, "public": not self.reply_internal.data}
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "actions": {key: value for key, value in actions.items() if value},
        }

    @classmethod
    def data_of(cls, macro) -> dict[str, Any]:
        actions = macro.actions or {}
        chosen = actions.get("set") or {}
        reply = actions.get("reply") or {}
        return {
            "name": macro.name,
            "description": macro.description,
            "set_status": chosen.get("status") or "",
            "set_priority": chosen.get("priority") or "",
            "set_type": chosen.get("type") or "",
            "set_queue_id": chosen.get("queue_id"),
            "set_assignee_id": chosen.get("assignee_id"),
            "add_tags": ", ".join(actions.get("add_tags") or ()),
            "remove_tags": ", ".join(actions.get("remove_tags") or ()),
            "reply_body": reply.get("body", ""),
            "reply_internal": reply and not reply.get("public", True),
            "version": macro.version,
        }
