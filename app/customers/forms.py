"""HTML forms of the customers pages (Flask-WTF: CSRF included where a form changes something)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.customers.models import Channel, Customer


class CustomerSearchForm(FlaskForm):
    """The search box: a GET form, so no CSRF token (it changes nothing, and links must work)."""

    class Meta:
        csrf = False

    q = SearchField("Search customers", validators=[Optional(), Length(max=200)])


def _lines(text: str | None, separators: str = "\n") -> list[str]:
    for separator in separators[1:]:
        text = (text or "").replace(separator, separators[0])
    return [part.strip() for part in (text or "").split(separators[0]) if part.strip()]


class CustomerForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    organization = StringField("Organization", validators=[Optional(), Length(max=200)])
    emails = TextAreaField("E-mails, one per line", validators=[Optional(), Length(max=6000)])
    phones = TextAreaField("Phones, one per line", validators=[Optional(), Length(max=1000)])
    tags = StringField("Tags, separated by commas", validators=[Optional(), Length(max=3000)])
    preferred_language = StringField(
        "Preferred language (en, zh...)", validators=[Optional(), Length(max=10)]
    )
    preferred_channel = SelectField(
        "Preferred channel",
        choices=[SelectChoice("", "No preference")] + [SelectChoice(c.value, c.value) for c in Channel],
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])

    # Form fields whose service errors are reported per list item.
    LIST_FIELDS = ("emails", "phones", "tags")

    @classmethod
    def for_customer(cls, customer: Customer) -> CustomerForm:
        return cls(
            data={
                "name": customer.name,
                "organization": customer.organization.name if customer.organization else "",
                "emails": "\n".join(cp.value for cp in customer.emails),
                "phones": "\n".join(cp.value for cp in customer.phones),
                "tags": ", ".join(customer.tag_names),
                "preferred_language": customer.preferred_language or "",
                "preferred_channel": customer.preferred_channel or "",
                "notes": customer.notes,
            }
        )

    def profile_fields(self) -> dict[str, Any]:
        """The form's values in the shape the customers services take."""
        return {
            "name": self.name.data,
            "organization": self.organization.data or None,
            "emails": _lines(self.emails.data),
            "phones": _lines(self.phones.data),
            "tags": _lines(self.tags.data, ",\n"),
            "preferred_language": self.preferred_language.data or None,
            "preferred_channel": self.preferred_channel.data or None,
            "notes": self.notes.data or "",
        }

    def show_errors(self, errors: dict[str, Any]) -> bool:
        """Put a service's field messages next to the fields; False if some belong to no field here."""
        shown = True
        for name, messages in errors.items():
            field = getattr(self, name, None)
            if field is None or not hasattr(field, "errors"):
                shown = False
                continue
            if isinstance(messages, dict):
                messages = [f"Item {int(i) + 1}: {' '.join(m)}" for i, m in messages.items()]
            field.errors = [*field.errors, *messages]
        return shown
