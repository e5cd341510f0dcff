"""The satisfaction survey's form (Flask-WTF, CSRF included). The scales follow docs KPI.md; the
service checks them again, so the form is about presenting them well."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms import ServiceErrorsMixin
from app.portal.surveys.models import COMMENT_MAX, SCALES
from app.tickets.words import label


def _scale(name: str, low_label, high_label) -> list[SelectChoice]:
    """The scale's numbers as choices, the two ends saying what they mean."""
    low, high = SCALES[name]
    choices = [SelectChoice(str(n), str(n)) for n in range(low, high + 1)]
    choices[0] = SelectChoice(str(low), _l("%(n)d (%(meaning)s)", n=low, meaning=low_label))
    choices[-1] = SelectChoice(str(high), _l("%(n)d (%(meaning)s)", n=high, meaning=high_label))
    return choices


class SurveyForm(ServiceErrorsMixin, FlaskForm):
    name_label = staticmethod(label)
    csat = RadioField(
        _l("How satisfied are you with how we handled your request?"),
        choices=_scale("csat", _l("very dissatisfied"), _l("very satisfied")),
        validators=[InputRequired(_l("Please choose a rating."))],
    )
    ces = RadioField(
        _l("How easy was it to get your issue resolved?"),
        choices=_scale("ces", _l("very difficult"), _l("very easy")),
        validators=[Optional()],
    )
    nps = RadioField(
        _l("How likely is it that you would recommend us to a friend or colleague?"),
        choices=_scale("nps", _l("not at all likely"), _l("extremely likely")),
        validators=[Optional()],
    )
    expected = RadioField(
        _l("Before you contacted us, how good did you expect our service to be?"),
        choices=_scale("expected", _l("very poor"), _l("excellent")),
        validators=[Optional()],
    )
    experienced = RadioField(
        _l("And how good was the service you actually got?"),
        choices=_scale("experienced", _l("very poor"), _l("excellent")),
        validators=[Optional()],
    )
    comment = TextAreaField(
        _l("Anything else you would like to tell us?"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
    )

    ORDER = ("csat", "ces", "nps", "expected", "experienced", "comment")

    def answers(self) -> dict[str, Any]:
        return {name: self[name].data for name in self.ORDER}
