"""HTML forms of the customers pages (Flask-WTF: CSRF included where a form changes something)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.customers.models import Channel, Customer
from app.i18n import LANGUAGES, normalize_language, timezone_names
from app.inputs import MAX_ID


class CustomerSearchForm(FlaskForm):
    """The search box: a GET form, so no CSRF token (it changes nothing, and links must work)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search customers"), validators=[Optional(), Length(max=200)])
    # Offered to supervisors and admins only; an agent sending it is refused (403), as by the API.
    include_deleted = BooleanField(_l("Include deleted customers"))


# How the pages name the channels.
CHANNELS = {
    Channel.PHONE: _l("Phone"),
    Channel.EMAIL: _l("E-mail"),
    Channel.WEB: _l("Web"),
    Channel.CHAT: _l("Chat"),
    Channel.SMS: _l("SMS"),
}


def _lines(text: str | None, separators: str = "\n") -> list[str]:
    for separator in separators[1:]:
        text = (text or "").replace(separator, separators[0])
    return [part.strip() for part in (text or "").split(separators[0]) if part.strip()]


class CustomerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    organization = StringField(_l("Organization"), validators=[Optional(), Length(max=200)])
    emails = TextAreaField(_l("E-mails, one per line"), validators=[Optional(), Length(max=6000)])
    phones = TextAreaField(_l("Phones, one per line"), validators=[Optional(), Length(max=1000)])
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), Length(max=3000)])
    preferred_language = SelectField(
        _l("Preferred language"),
        default="",
        choices=[SelectChoice("", _l("Not known"))] + [SelectChoice(c, n) for c, n in LANGUAGES.items()],
    )
    timezone = SelectField(
        _l("Time zone"),
        default="",
        choices=lambda: [SelectChoice("", _("Not known"))] + [SelectChoice(z, z) for z in timezone_names()],
    )
    preferred_channel = SelectField(
        _l("Preferred channel"),
        choices=[SelectChoice("", _l("No preference"))]
        + [SelectChoice(c.value, CHANNELS[c]) for c in Channel],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])

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
                "preferred_language": normalize_language(customer.preferred_language) or "",
                "timezone": customer.timezone or "",
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
            "timezone": self.timezone.data or None,
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
                messages = [
                    _(
                        "Item %(number)d: %(messages)s",
                        number=int(i) + 1,
                        messages=" ".join(str(text) for text in m),
                    )
                    for i, m in messages.items()
                ]
            field.errors = [*field.errors, *messages]
        return shown


class MergeForm(FlaskForm):
    """A supervisor's confirmation that the duplicate `source_id` goes into the profile on the page."""

    source_id = IntegerField(
        widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)]
    )
