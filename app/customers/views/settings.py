"""Settings pages of the customers room: the custom fields customers may carry (`app.setting_pages`),
for those who may manage them. As in the API, a definition is created and listed; it is not changed
or deleted, since customers' values were checked against it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.accounts.access import Permission, current_agent, requires
from app.customers import schemas, services
from app.customers.models import FieldType
from app.setting_pages import Column, Section, SettingForm, SettingPages

bp = Blueprint("customers_settings", __name__)

TYPES = {
    FieldType.TEXT: _l("Text"),
    FieldType.NUMBER: _l("Number"),
    FieldType.BOOLEAN: _l("Yes or no"),
    FieldType.DATE: _l("Date"),
    FieldType.CHOICE: _l("One of a list of choices"),
}


class FieldDefinitionForm(SettingForm):
    key = StringField(
        _l("Key"), description=_l("How the API and CSV imports name it: lowercase letters, digits and _.")
    )
    label = StringField(_l("Label"), description=_l("How the pages name it."))
    type = SelectField(
        _l("Type"), choices=[SelectChoice(value.value, text) for value, text in TYPES.items()], default="text"
    )
    choices = TextAreaField(_l("Choices"), description=_l("For a field of choices: one choice per line."))
    required = BooleanField(_l("Every customer must have it"))

    def values(self) -> dict[str, Any]:
        return {
            "key": (self.key.data or "").strip(),
            "label": self.label.data or "",
            "type": self.type.data,
            "choices": [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()],
            "required": bool(self.required.data),
        }


FIELDS = SettingPages(
    endpoint="customers_settings.fields",
    title=_l("Custom fields"),
    new_title=_l("New custom field"),
    intro=_l(
        "What else a customer's profile holds (a plan, a contract end...). Each value is checked against "
        "its field's type. A field cannot be changed or removed once customers may hold values of it."
    ),
    form=FieldDefinitionForm,
    rows=services.list_field_definitions,
    create=lambda values, actor: services.create_field_definition(**values, actor=actor),
    create_schema=schemas.FieldDefinitionSchema(),
    name_of=lambda definition: definition.label,
    columns=(
        Column(_l("Label"), lambda definition: definition.label),
        Column(_l("Key"), lambda definition: definition.key),
        Column(_l("Type"), lambda definition: TYPES.get(definition.type, definition.type)),
        Column(_l("Choices"), lambda definition: ", ".join(definition.choices or ())),
        Column(_l("Required"), lambda definition: _("Yes") if definition.required else _("No")),
    ),
)

SECTIONS = (Section(FIELDS.endpoint, FIELDS.title, FIELDS.intro, Permission.CUSTOMER_FIELDS_MANAGE),)


@bp.get("/settings/custom-fields")
@requires(Permission.CUSTOMER_FIELDS_MANAGE)
def fields():
    return FIELDS.index()


@bp.route("/settings/custom-fields/new", methods=["GET", "POST"])
@requires(Permission.CUSTOMER_FIELDS_MANAGE)
def fields_new():
    return FIELDS.new(actor=current_agent())
