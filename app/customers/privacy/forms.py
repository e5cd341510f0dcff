"""Forms of the personal-data pages (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class ExportForm(FlaskForm):
    """The export button: a POST, because an export is recorded."""


class ErasureForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that the erasure cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm the erasure."))],
    )
