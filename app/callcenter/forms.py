"""Forms of the call center's settings pages: break reasons (`app.setting_pages`).

They check shapes only; the page loads their values through the API's schema, and the use cases' rules
answer as they answer the API.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from app.setting_pages import SettingForm


class BreakReasonForm(SettingForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"), validators=[Optional()])
    paid = BooleanField(
        _l("Paid"), description=_l("Paid breaks (training, coaching) count as working time; lunch does not.")
    )
    max_minutes = IntegerField(
        _l("Longest break (minutes)"),
        validators=[Optional()],
        description=_l("A break of this kind lasting longer is overdue. Leave it empty for no limit."),
    )

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "paid": bool(self.paid.data),
            "max_minutes": self.max_minutes.data,
        }

    @classmethod
    def data_of(cls, reason) -> dict[str, Any]:
        return {
            "name": reason.name,
            "description": reason.description,
            "paid": reason.paid,
            "max_minutes": reason.max_minutes,
            "version": reason.version,
        }
