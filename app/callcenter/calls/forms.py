"""The customer's callback form on their case's tracking page (Flask-WTF, CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TelField, TimeField
from wtforms.validators import InputRequired, Length


class CallbackForm(FlaskForm):
    """A day and a time on the customer's clock (the browser shows both in its own language), and the
    number to call."""

    phone = TelField(
        _l("Phone number"),
        validators=[InputRequired(message=_l("Give the number we should call.")), Length(max=64)],
        description=_l("With the country code if you are abroad, e.g. +44 20 7946 0000."),
    )
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Choose a day."))])
    clock = TimeField(_l("Time"), validators=[InputRequired(message=_l("Choose a time."))])
