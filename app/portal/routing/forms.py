"""The supervisors' form of the web form routes: a queue (and a complaint category's severity) per form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from app.forms import ServiceErrorsMixin
from app.portal.routing.models import FORMS, REQUEST_FORM
from app.tickets.models import Severity
from app.tickets.words import label, word

# The support form is no complaint category: it is named as the customers see it.
FORM_LABELS = {REQUEST_FORM: _l("Support form (questions, problems, requests)")}


def form_label(form: str) -> Any:
    return FORM_LABELS.get(form) or word(form)


def _queue_id(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class RoutesForm(ServiceErrorsMixin, FlaskForm):
    """A field `queue_<form>` per form and `severity_<form>` per complaint category, added below."""

    name_label = staticmethod(label)

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1)])
    default_queue_id = SelectField(
        _l("Default queue"),
        coerce=_queue_id,
        description=_l("Where a submission goes when its form names no queue."),
    )

    def set_queues(self, queues: list[Any]) -> None:
        """The queues to choose from; the default queue's "none" is no queue, a form's is the default."""
        named = [SelectChoice(queue.id, queue.name) for queue in queues]
        self.default_queue_id.choices = [SelectChoice("", _l("No queue")), *named]
        for form in FORMS:
            self[f"queue_{form}"].choices = [SelectChoice("", _l("The default queue")), *named]

    def fill(self, routing: Any) -> None:
        self.version.data = routing.version
        self.default_queue_id.data = routing.default_queue_id
        for route in routing.all_routes:
            self[f"queue_{route['form']}"].data = route["queue_id"]
            if route["form"] != REQUEST_FORM:
                self[f"severity_{route['form']}"].data = route["severity"]

    def routes(self) -> list[dict[str, Any]]:
        """The routes as the service takes them."""
        return [
            {
                "form": form,
                "queue_id": self[f"queue_{form}"].data,
                "severity": None if form == REQUEST_FORM else self[f"severity_{form}"].data,
            }
            for form in FORMS
        ]

    def show_errors(self, errors: dict[str, Any], prefix: str = "") -> bool:
        """The service names routes by their place in the list (`routes.<index>.<field>`): here each
        form has its own fields."""
        errors = dict(errors)
        shown = True
        for index, problems in (errors.pop("routes", None) or {}).items():
            form = FORMS[int(index)] if str(index).isdigit() and int(index) < len(FORMS) else None
            if form is None or not isinstance(problems, dict):
                shown = False
                continue
            for field, messages in problems.items():
                target = f"{'queue' if field == 'queue_id' else field}_{form}"
                if target in self:
                    self[target].errors = [*self[target].errors, *map(str, messages)]
                else:
                    shown = False
        return super().show_errors(errors, prefix) and shown


for _form in FORMS:
    setattr(RoutesForm, f"queue_{_form}", SelectField(form_label(_form), coerce=_queue_id))
    if _form != REQUEST_FORM:
        setattr(
            RoutesForm,
            f"severity_{_form}",
            SelectField(
                _l("Severity"),
                choices=[SelectChoice(severity.value, word(severity.value)) for severity in Severity],
                default=Severity.MEDIUM.value,
            ),
        )
