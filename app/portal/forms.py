"""Forms of the public complaint/request form and the tracking pages (Flask-WTF, CSRF included).

Besides what people fill in, the submission forms carry two fields nobody sees:

- `idempotency_key`, generated when the form is shown, so a double click opens one ticket;
- `referral_code`, a honeypot: hidden from people and from screen readers, left empty by them and
  filled in by bots that fill in everything. A filled-in honeypot is answered like a success.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app.forms import ServiceErrorsMixin
from app.portal.models import IDEMPOTENCY_KEY_MAX, ORDER_NUMBER_MAX
from app.tickets.models import ComplaintCategory, DesiredOutcome, TicketType
from app.tickets.words import label

NAME_MAX = 200
TEXT_MAX = 20_000
HONEYPOT = "referral_code"

CATEGORY_LABELS = {
    ComplaintCategory.PRODUCT_QUALITY: _l("A product we sold"),
    ComplaintCategory.SERVICE_QUALITY: _l("A service we provided"),
    ComplaintCategory.DELIVERY: _l("Delivery"),
    ComplaintCategory.BILLING: _l("Billing or payment"),
    ComplaintCategory.STAFF_ATTITUDE: _l("How our staff treated you"),
    ComplaintCategory.OTHER: _l("Something else"),
}
OUTCOME_LABELS = {
    DesiredOutcome.REFUND: _l("A refund"),
    DesiredOutcome.REPLACEMENT: _l("A replacement"),
    DesiredOutcome.APOLOGY: _l("An apology"),
    DesiredOutcome.EXPLANATION: _l("An explanation"),
    DesiredOutcome.COMPENSATION: _l("Compensation"),
}
EXPECTATION_LABELS = {
    1: _l("1 - not satisfied at all"),
    2: "2",
    3: "3",
    4: "4",
    5: _l("5 - completely satisfied"),
}
REQUEST_TYPE_LABELS = {
    TicketType.QUESTION: _l("A question"),
    TicketType.INCIDENT: _l("Something does not work"),
    TicketType.REQUEST: _l("A request for something"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choices(labels) -> list[SelectChoice]:
    return [SelectChoice(value, text) for value, text in labels.items()]


def _optional_int(value):
    return int(value) if value not in (None, "") else None


def _files_field() -> MultipleFileField:
    return MultipleFileField(
        _l("Files (optional)"),
        description=_l("Photos, PDF or Office documents, up to 5 files of 10 MB each."),
    )


class _SubmissionForm(ServiceErrorsMixin, FlaskForm):
    """What every submission asks: who you are, how to reach you, what happened, files."""

    name_label = staticmethod(label)

    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Tell us your name.")), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "name"},
        filters=[_strip],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[Optional(), Email(_l("Enter an e-mail address like name@example.com.")), Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email"},
        filters=[_strip],
        description=_l("Give an e-mail address, a phone number, or both."),
    )
    phone = TelField(
        _l("Phone number"),
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "tel"},
        filters=[_strip],
    )
    order_number = StringField(
        _l("Order or account number (optional)"),
        validators=[Optional(), Length(max=ORDER_NUMBER_MAX)],
        render_kw={"autocomplete": "off"},
        filters=[_strip],
    )
    description = TextAreaField(
        _l("What happened?"),
        validators=[DataRequired(_l("Tell us what happened.")), Length(max=TEXT_MAX)],
        render_kw={"rows": 8},
    )
    files = _files_field()
    idempotency_key = HiddenField(validators=[Length(max=IDEMPOTENCY_KEY_MAX)])
    referral_code = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            # On the first of the two, where the hint about "one or both" is.
            self.email.errors = [
                *self.email.errors,
                _l("Give an e-mail address or a phone number so we can reach you."),
            ]
            valid = False
        return valid

    @property
    def is_bot(self) -> bool:
        return bool((self.referral_code.data or "").strip())


class PortalComplaintForm(_SubmissionForm):
    category = SelectField(
        _l("What is your complaint about?"),
        choices=[SelectChoice("", _l("Choose…")), *_choices(CATEGORY_LABELS)],
        validators=[InputRequired(_l("Choose what your complaint is about."))],
    )
    desired_outcome = RadioField(
        _l("What would you like us to do?"),
        choices=_choices(OUTCOME_LABELS),
        validators=[InputRequired(_l("Choose what you would like us to do."))],
    )
    expected_satisfaction = RadioField(
        _l("How satisfied do you expect to be with our answer?"),
        choices=_choices(EXPECTATION_LABELS),
        coerce=_optional_int,
        validators=[Optional()],
    )

    def validate_category(self, field) -> None:
        if field.data == "":
            raise ValidationError(_l("Choose what your complaint is about."))


# The complaint form shows these in this order; the request form has no complaint fields.
COMPLAINT_FIELDS = (
    "name",
    "email",
    "phone",
    "order_number",
    "category",
    "description",
    "desired_outcome",
    "expected_satisfaction",
    "files",
)


class PortalRequestForm(_SubmissionForm):
    type = RadioField(
        _l("What can we help you with?"),
        choices=_choices(REQUEST_TYPE_LABELS),
        validators=[InputRequired(_l("Choose what you need."))],
    )


REQUEST_FIELDS = ("name", "email", "phone", "order_number", "type", "description", "files")


class PortalReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Write your message.")), Length(max=TEXT_MAX)],
        render_kw={"rows": 6},
    )
    files = _files_field()


class LostLinksForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter an e-mail address like name@example.com.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
        filters=[_strip],
    )
