"""Custom fields: the definitions supervisors keep (recorded in the settings trail), and checking
customers' values against them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import SettingKind
from app.customers.models import FIELD_KEY, MAX_CHOICES, CustomFieldDefinition, FieldType
from app.errors import Conflict, Invalid
from app.extensions import db
from app.named_settings import Action

if TYPE_CHECKING:
    from app.accounts.models import Agent

TEXT_MAX_LENGTH = 1000
CHOICE_MAX_LENGTH = 100
# Larger numbers lose precision as JSON floats; nobody's custom field needs them.
NUMBER_LIMIT = 10**15
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def list_field_definitions() -> list[CustomFieldDefinition]:
    """Every custom field definition, by key."""
    return list(db.session.scalars(select(CustomFieldDefinition).order_by(CustomFieldDefinition.key)))


def definitions_by_key() -> dict[str, CustomFieldDefinition]:
    return {d.key: d for d in list_field_definitions()}


def create_field_definition(
    *,
    key: str,
    label: str,
    type: str,
    choices: Iterable[str] = (),
    required: bool = False,
    actor: Agent | None,
) -> CustomFieldDefinition:
    """Define a custom field customers may carry.

    A new required field is enforced on customers created from now on, and on existing ones the next time
    their custom fields change; nobody is blocked from editing a name because of it. Recorded in the
    settings trail.
    """
    errors: dict[str, list[str]] = {}
    if not FIELD_KEY.match(key):
        errors["key"] = [_l("Use 1-50 lowercase letters, digits and underscores, starting with a letter.")]
    if type not in set(FieldType):
        errors["type"] = [_l("Must be one of: %(choices)s.", choices=", ".join(FieldType))]
    cleaned_choices = [c.strip() for c in choices]
    if type == FieldType.CHOICE:
        if not cleaned_choices or len(cleaned_choices) > MAX_CHOICES:
            errors["choices"] = [
                _l("A choice field needs 1 to %(max_choices)s choices.", max_choices=MAX_CHOICES)
            ]
        elif any(not c or len(c) > CHOICE_MAX_LENGTH for c in cleaned_choices):
            errors["choices"] = [
                _l(
                    "Each choice needs 1 to %(choice_max_length)s characters.",
                    choice_max_length=CHOICE_MAX_LENGTH,
                )
            ]
        elif len(set(cleaned_choices)) != len(cleaned_choices):
            errors["choices"] = [_l("Choices must be different from each other.")]
    elif cleaned_choices:
        errors["choices"] = [_l("Only choice fields have choices.")]
    if not label.strip():
        errors["label"] = [_l("Must not be empty.")]
    # PostgreSQL cannot store NUL characters; say so instead of failing on the insert.
    if "\x00" in label:
        errors["label"] = [_l("Must not contain NUL characters.")]
    if any("\x00" in choice for choice in cleaned_choices):
        errors["choices"] = [_l("Must not contain NUL characters.")]
    if errors:
        raise Invalid(_l("The field definition has invalid fields."), errors)
    if db.session.scalar(select(CustomFieldDefinition).where(CustomFieldDefinition.key == key)):
        raise Conflict(_l("A custom field with this key already exists."), {"key": [_l("Already in use.")]})
    definition = CustomFieldDefinition(
        key=key, label=label.strip(), type=type, choices=cleaned_choices, required=required
    )
    db.session.add(definition)
    db.session.flush()  # the id the settings trail names
    values = {
        "key": key,
        "label": definition.label,
        "type": type,
        "choices": cleaned_choices,
        "required": required,
    }
    accounts.record_setting_change(
        SettingKind.CUSTOM_FIELD,
        definition.id,
        key,
        Action.CREATED,
        {field: [None, value] for field, value in values.items()},
        actor=actor,
    )
    db.session.commit()
    return definition


def clean_custom_fields(
    values: Mapping[str, Any],
    *,
    definitions: Mapping[str, CustomFieldDefinition],
    existing: Mapping[str, Any] | None = None,
    require_all: bool = False,
    from_text: bool = False,
) -> dict[str, Any]:
    """`existing` updated with `values` (None removes a key), each value checked against its definition.

    `from_text` reads values as CSV cells ("yes", "12.5"). Raises `Invalid` with messages under
    `custom_fields.<key>`.
    """
    result = dict(existing or {})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = [_l("Unknown field.")]
            continue
        if value is None:
            result.pop(key, None)
            continue
        try:
            result[key] = _clean_value(definition, value, from_text=from_text)
        except ValueError as exc:
            errors[key] = [str(exc)]
    if require_all:
        for key, definition in definitions.items():
            if definition.required and key not in result and key not in errors:
                errors[key] = [_l("Required.")]
    if errors:
        raise Invalid(_l("Some custom fields are invalid."), {"custom_fields": errors})
    return result


def _clean_value(definition: CustomFieldDefinition, value: Any, *, from_text: bool) -> Any:
    kind = definition.type
    if kind == FieldType.TEXT:
        if not isinstance(value, str):
            raise ValueError("Must be text.")
        if len(value) > TEXT_MAX_LENGTH:
            raise ValueError(f"At most {TEXT_MAX_LENGTH} characters.")
        return value
    if kind == FieldType.NUMBER:
        return _number(value, from_text)
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("Must be true or false.")
    if kind == FieldType.DATE:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise ValueError("Must be a date as YYYY-MM-DD.")
    if kind == FieldType.CHOICE:
        if isinstance(value, str) and value.strip() in definition.choices:
            return value.strip()
        raise ValueError(f"Must be one of: {', '.join(definition.choices)}.")
    raise ValueError("This field has an unknown type.")


def _number(value: Any, from_text: bool) -> int | float:
    # bool is an int subclass in Python, but `true` is not a number to the person who typed it.
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("Must be a finite number.")
        number = Decimal(value)
    elif from_text and isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("Must be a number.") from None
    else:
        raise ValueError("Must be a number.")
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ValueError("Must be a number of at most 15 digits.")
    if isinstance(value, int | float):
        return value
    return int(number) if number == number.to_integral_value() else float(number)
