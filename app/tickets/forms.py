"""HTML forms of the agents' ticket pages (Flask-WTF: CSRF included where a form changes something).

The forms check shapes only (lengths, known words). Rules that need the ticket as it is now (which status
may follow which, whether a queue exists, whether a complaint may be solved) stay in the services, and
their messages come back next to the fields through `show_errors`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import (
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import ServiceErrorsMixin, flat_messages
from app.inputs import MAX_ID
from app.tickets.models import (
    ComplaintCategory,
    ComplaintStage,
    DesiredOutcome,
    Priority,
    Severity,
    Status,
    Ticket,
    TicketChannel,
    TicketType,
)
from app.tickets.models.tickets import BODY_MAX, SUBJECT_MAX
from app.tickets.models.vocabulary import TRANSITIONS
from app.tickets.schemas import BulkUpdateSchema, ComplaintUpdateSchema
from app.tickets.words import label, word

TAGS_MAX = 3000
NOTE_MAX = 10_000


def _choices(values, blank: str | None = None) -> list[SelectChoice]:
    blank_choice = [SelectChoice("", blank)] if blank is not None else []
    return blank_choice + [SelectChoice(v.value, word(v.value)) for v in values]


def optional_id(value: Any) -> int | None:
    """A select's value: "" means none; anything else must be a positive id."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) <= 2**31 - 1:
        raise ValueError(_("Not a valid choice."))
    return int(text)


def comma_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


class TicketSearchForm(FlaskForm):
    """The list's search box and simple filters: a GET form, so no CSRF token (links must work)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search tickets"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), choices=_choices(Status, _l("Any status")), validate_choice=False)
    priority = SelectField(
        _l("Priority"), choices=_choices(Priority, _l("Any priority")), validate_choice=False
    )
    queue_id = SelectField(_l("Queue"), validate_choice=False)
    type = SelectField(_l("Type"), choices=_choices(TicketType, _l("Any type")), validate_choice=False)
    assignee_id = SelectField(_l("Assignee"), validate_choice=False)
    customer_id = StringField(_l("Customer number"), validators=[Optional(), Length(max=10)])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=50)])
    # Bare dates: the search reads them as midnight UTC, and "before" leaves that day out.
    created_from = StringField(_l("Created on or after"), render_kw={"type": "date"})
    created_to = StringField(_l("Created before"), render_kw={"type": "date"})
    updated_from = StringField(_l("Updated on or after"), render_kw={"type": "date"})
    updated_to = StringField(_l("Updated before"), render_kw={"type": "date"})

    def set_agents(self, agents) -> None:
        self.assignee_id.choices = [
            SelectChoice("", _("Anyone")),
            SelectChoice("me", _("Me")),
            SelectChoice("none", _("Nobody (unassigned)")),
        ] + [SelectChoice(str(a.id), a.name) for a in agents]

    def set_queues(self, queues) -> None:
        self.queue_id.choices = [
            SelectChoice("", _("Any queue")),
            SelectChoice("mine", _("My teams' queues")),
            SelectChoice("none", _("No queue")),
        ] + [SelectChoice(str(q.id), q.name) for q in queues]


class SaveViewForm(FlaskForm):
    name = StringField(_l("Name of the view"), validators=[DataRequired(), Length(max=80)])
    # The filters being saved, as the list page's query string.
    query = HiddenField(validators=[Length(max=4000)])


class BulkForm(FlaskForm):
    """A supervisor's one change to the tickets ticked in the list: every field left at "keep" stays
    as it is. The values go through the API's `BulkUpdateSchema`, so the page refuses what the API
    refuses, with the same messages; the service then changes all the tickets or none."""

    PREFIX = "bulk"
    ticket_ids = SelectMultipleField(_l("Tickets"), coerce=optional_id, validate_choice=False)
    assignee_id = SelectField(_l("Assignee"), validate_choice=False)
    status = SelectField(_l("Status"), choices=_choices(Status, _l("Keep the status")))
    priority = SelectField(_l("Priority"), choices=_choices(Priority, _l("Keep the priority")))
    queue_id = SelectField(_l("Queue"), validate_choice=False)
    add_tags = StringField(_l("Add tags, separated by commas"), validators=[Optional(), Length(max=TAGS_MAX)])
    remove_tags = StringField(
        _l("Remove tags, separated by commas"), validators=[Optional(), Length(max=TAGS_MAX)]
    )
    # The list's query string, to go back to the same filters, order and page.
    query = HiddenField(validators=[Length(max=4000)])

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)
        self.problem: str | None = None
        self.changes: dict[str, Any] = {}

    def set_agents(self, agents) -> None:
        self.assignee_id.choices = [
            SelectChoice("", _("Keep the assignee")),
            SelectChoice("none", _("Nobody (unassigned)")),
        ] + [SelectChoice(str(a.id), a.name) for a in agents]

    def set_queues(self, queues) -> None:
        self.queue_id.choices = [
            SelectChoice("", _("Keep the queue")),
            SelectChoice("none", _("No queue")),
        ] + [SelectChoice(str(q.id), q.name) for q in queues]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        changes: dict[str, Any] = {}
        for name in ("assignee_id", "queue_id"):
            value = getattr(self, name).data
            if value:
                changes[name] = None if value == "none" else value
        for name in ("status", "priority"):
            if value := getattr(self, name).data:
                changes[name] = value
        for name in ("add_tags", "remove_tags"):
            if tags := comma_list(getattr(self, name).data):
                changes[name] = tags
        ids = [ticket_id for ticket_id in self.ticket_ids.data or () if ticket_id is not None]
        try:
            loaded = BulkUpdateSchema().load({"ticket_ids": ids, "changes": changes})
        except ValidationError as invalid:
            self._show(invalid.normalized_messages())
            return False
        self.ticket_ids.data, self.changes = loaded["ticket_ids"], loaded["changes"]
        return True

    def _show(self, errors: dict[str, Any]) -> None:
        if "ticket_ids" in errors:
            self.problem = _("Tick the tickets to change first.")
        elif isinstance(errors.get("changes"), dict):
            for name, messages in errors["changes"].items():
                field = getattr(self, name, None)
                if field is not None:
                    field.errors = [*field.errors, *flat_messages(messages, label)]
            self.problem = _("Check the fields marked below.")
        else:
            self.problem = _("Choose at least one change.")


class _ServiceErrors(ServiceErrorsMixin):
    # The services name nested fields by their API names; the pages show the agent's words for them.
    name_label = staticmethod(label)


class NewTicketForm(_ServiceErrors, FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX)])
    description = TextAreaField(
        _l("Description (plain text or simple HTML)"), validators=[Optional(), Length(max=BODY_MAX)]
    )
    type = SelectField(_l("Type"), choices=_choices(TicketType), default=TicketType.QUESTION.value)
    priority = SelectField(_l("Priority"), choices=_choices(Priority), default=Priority.NORMAL.value)
    queue_id = SelectField(_l("Queue"), coerce=optional_id, validate_choice=False)
    channel = SelectField(_l("Channel"), choices=_choices(TicketChannel), default=TicketChannel.PHONE.value)
    # A customer on file, picked by number (the page's search fills it in as the agent types a name)...
    customer_id = IntegerField(_l("Customer number"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    # ... or a new one, created with the ticket under the customer form's rules (the service's).
    customer_name = StringField(_l("Customer name"), validators=[Optional(), Length(max=200)])
    customer_email = StringField(_l("Customer e-mail"), validators=[Optional(), Length(max=254)])
    customer_phone = StringField(_l("Customer phone"), validators=[Optional(), Length(max=40)])
    complaint_category = SelectField(
        _l("Complaint category"), choices=_choices(ComplaintCategory, _l("Choose a category")), default=""
    )
    complaint_severity = SelectField(
        _l("Complaint severity"), choices=_choices(Severity), default=Severity.MEDIUM.value
    )
    complaint_desired_outcome = SelectField(
        _l("What the customer wants"), choices=_choices(DesiredOutcome, _l("Not said")), default=""
    )

    ALIASES = {
        "customer": "customer_email",
        "customer.name": "customer_name",
        "customer.email": "customer_email",
        "customer.emails": "customer_email",
        "customer.phone": "customer_phone",
        "customer.phones": "customer_phone",
        "customer._schema": "customer_email",
        "complaint": "complaint_category",
        "complaint.category": "complaint_category",
        "complaint.severity": "complaint_severity",
        "complaint.desired_outcome": "complaint_desired_outcome",
    }
    NESTED = ("customer", "complaint")

    def set_queues(self, queues) -> None:
        self.queue_id.choices = [SelectChoice("", _("No queue"))] + [
            SelectChoice(q.id, q.name) for q in queues
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        describes_new = any(f.data for f in (self.customer_name, self.customer_email, self.customer_phone))
        if self.customer_id.data is not None or self.customer_id.errors:
            if describes_new:
                self.customer_id.errors = [
                    *self.customer_id.errors,
                    _("Pick a customer on file or describe a new one, not both."),
                ]
                valid = False
        elif not describes_new:
            self.customer_id.errors = [
                *self.customer_id.errors,
                _("Pick a customer on file, or give a new customer's name and e-mail or phone."),
            ]
            valid = False
        else:
            if not (self.customer_name.data or "").strip():
                self.customer_name.errors = [*self.customer_name.errors, _("Give the new customer's name.")]
                valid = False
            if not (self.customer_email.data or self.customer_phone.data):
                self.customer_email.errors = [
                    *self.customer_email.errors,
                    _("Give the customer's e-mail or phone."),
                ]
                valid = False
        if self.type.data == TicketType.COMPLAINT and not self.complaint_category.data:
            self.complaint_category.errors = [
                *self.complaint_category.errors,
                _("A complaint needs a category."),
            ]
            valid = False
        return valid

    def ticket_fields(self) -> dict[str, Any]:
        """The form's values in the shape `open_ticket` takes."""
        fields: dict[str, Any] = {
            "subject": self.subject.data,
            "description": self.description.data or "",
            "type": self.type.data,
            "priority": self.priority.data,
            "channel": self.channel.data,
            "queue_id": self.queue_id.data,
        }
        if self.customer_id.data is not None:
            fields["customer_id"] = self.customer_id.data
        else:
            fields["new_customer"] = {
                "name": self.customer_name.data,
                "emails": [self.customer_email.data] if self.customer_email.data else [],
                "phones": [self.customer_phone.data] if self.customer_phone.data else [],
            }
        if self.type.data == TicketType.COMPLAINT:
            fields["complaint"] = {
                "category": self.complaint_category.data,
                "severity": self.complaint_severity.data,
                "desired_outcome": self.complaint_desired_outcome.data or None,
            }
        return fields


class TicketFieldsForm(_ServiceErrors, FlaskForm):
    """Status, priority, queue and tags of the version the agent is looking at."""

    PREFIX = "fields"
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1)])
    # Offered: the current state and the ones the workflow allows next (`for_ticket`); the service
    # refuses anything else, so a tampered value only earns a message.
    status = SelectField(_l("Status"), choices=_choices(Status))
    priority = SelectField(_l("Priority"), choices=_choices(Priority))
    queue_id = SelectField(_l("Queue"), coerce=optional_id, validate_choice=False)
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), Length(max=TAGS_MAX)])

    @classmethod
    def for_ticket(cls, ticket: Ticket) -> TicketFieldsForm:
        data = {
            "version": ticket.version,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue_id": ticket.queue_id,
            "tags": ", ".join(ticket.tags),
        }
        # formdata=None: the ticket's values, not whatever another form on the page just posted.
        form = cls(formdata=None, data=data)
        form.offer_statuses(ticket)
        return form

    def offer_statuses(self, ticket: Ticket) -> None:
        current = Status(ticket.status)
        allowed = [s for s in Status if s == current or s in TRANSITIONS[current]]
        self.status.choices = [
            SelectChoice(
                s.value, _("%(state)s (current)", state=label(s.value)) if s == current else label(s.value)
            )
            for s in allowed
        ]

    def set_queues(self, queues) -> None:
        self.queue_id.choices = [SelectChoice("", _("No queue"))] + [
            SelectChoice(q.id, q.name) for q in queues
        ]

    def changes(self) -> dict[str, Any]:
        return {
            "status": self.status.data,
            "priority": self.priority.data,
            "queue_id": self.queue_id.data,
            "tags": comma_list(self.tags.data),
        }

    def wanted(self, ticket: Ticket, queue_names: dict[int, str]) -> list[tuple[str, str]]:
        """What the agent asked for that differs from `ticket`, as label and readable value (to say
        what a refused change was)."""
        differences = []
        for name, value in self.changes().items():
            current = ticket.tags if name == "tags" else getattr(ticket, name)
            if value == current:
                continue
            if name == "queue_id":
                shown = (
                    queue_names.get(value, _("queue #%(id)s", id=value))
                    if value is not None
                    else _("No queue")
                )
            elif name == "tags":
                shown = ", ".join(value) or _("no tags")
            else:
                shown = label(value)
            differences.append((getattr(self, name).label.text, shown))
        return differences


class ComplaintForm(_ServiceErrors, FlaskForm):
    """The whole complaint-handling record: stage, category, severity, what the customer wants, root
    cause, remedy, compensation and follow-up.

    The values go through the API's `ComplaintUpdateSchema`, so a page refuses what the API refuses,
    with the same messages (an amount that is no number, a currency that is not three capitals).
    """

    PREFIX = "complaint"
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1)])
    stage = SelectField(_l("Stage"), choices=_choices(ComplaintStage))
    category = SelectField(_l("Category"), choices=_choices(ComplaintCategory))
    severity = SelectField(_l("Severity"), choices=_choices(Severity))
    desired_outcome = SelectField(
        _l("What the customer wants"), choices=_choices(DesiredOutcome, _l("Not said"))
    )
    root_cause = TextAreaField(_l("Root cause"), validators=[Optional(), Length(max=NOTE_MAX)])
    remedy = TextAreaField(_l("Remedy"), validators=[Optional(), Length(max=NOTE_MAX)])
    # Text, not a number field: the schema reads the amount, so its message is the API's.
    compensation_amount = StringField(_l("Compensation amount"), validators=[Length(max=40)])
    compensation_currency = StringField(_l("Currency (ISO code, e.g. EUR)"), validators=[Length(max=40)])
    compensation_note = TextAreaField(_l("Compensation note"), validators=[Optional(), Length(max=NOTE_MAX)])
    follow_up_note = TextAreaField(
        _l("Follow-up note (after solving)"), validators=[Optional(), Length(max=NOTE_MAX)]
    )

    NESTED = ("complaint",)
    # What the API's complaint PATCH takes: the panel edits those fields and loads them with its schema.
    FIELDS = tuple(ComplaintUpdateSchema().fields)
    # Left empty, these mean "none" rather than an empty text.
    NULLABLE = ("desired_outcome", "compensation_amount", "compensation_currency")
    ALIASES = {f"complaint.{name}": name for name in FIELDS}

    @classmethod
    def for_ticket(cls, ticket: Ticket) -> ComplaintForm:
        complaint = ticket.complaint
        data = {name: getattr(complaint, name) for name in cls.FIELDS}
        data["version"] = ticket.version
        form = cls(formdata=None, data=data)
        form.offer_stages(ticket)
        return form

    def offer_stages(self, ticket: Ticket) -> None:
        complaint = ticket.complaint
        current = list(ComplaintStage).index(ComplaintStage(complaint.stage))
        # Stages only move forward: offer the current one and the later ones.
        self.stage.choices = [
            SelectChoice(
                s.value, _("%(state)s (current)", state=label(s.value)) if i == current else label(s.value)
            )
            for i, s in enumerate(ComplaintStage)
            if i >= current
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        raw = {name: getattr(self, name).data or "" for name in self.FIELDS}
        for name in self.NULLABLE:
            raw[name] = raw[name].strip() or None
        try:
            self._complaint = ComplaintUpdateSchema().load(raw)
        except ValidationError as invalid:
            self.show_errors(invalid.normalized_messages())
            return False
        return valid

    def changes(self) -> dict[str, Any]:
        """Every field as it stands: the service records only what differs, and a stage equal to the
        current one (or a follow-up note already on record) changes nothing."""
        return {"complaint": self._complaint}


class ReplyForm(_ServiceErrors, FlaskForm):
    PREFIX = "reply"
    body = TextAreaField(
        _l("Message (plain text or simple HTML)"), validators=[DataRequired(), Length(max=BODY_MAX)]
    )
    visibility = RadioField(
        _l("Who sees it"),
        choices=[
            SelectChoice("public", _l("Public reply (the customer sees it)")),
            SelectChoice("internal", _l("Internal note (agents only)")),
        ],
        default="public",
    )
    status = SelectField(_l("Then set status"), choices=_choices(Status, _l("Keep the status")))
    # Offered: the active agents (`set_agents`), as boxes to tick; the page's script picks them from
    # suggestions after "@" in the message. The service refuses an unknown id with its message.
    mention_ids = SelectMultipleField(
        _l("Mention agents"),
        coerce=optional_id,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    files = MultipleFileField(_l("Attach files"))

    ALIASES = {"public": "visibility"}

    def set_agents(self, agents) -> None:
        self.mention_ids.choices = [SelectChoice(a.id, a.name) for a in agents]

    def offer_statuses(self, ticket: Ticket) -> None:
        allowed = TRANSITIONS[Status(ticket.status)]
        self.status.choices = [
            SelectChoice("", _("Keep the status (%(state)s)", state=label(ticket.status)))
        ] + [SelectChoice(s.value, label(s.value)) for s in Status if s in allowed]

    def chosen_files(self) -> list[Any]:
        return chosen(self.files.data)

    def comment_fields(self) -> dict[str, Any]:
        return {
            "body": self.body.data,
            "public": self.visibility.data == "public",
            "status": self.status.data or None,
            "mention_ids": [agent_id for agent_id in self.mention_ids.data or () if agent_id is not None],
        }


class AttachFilesForm(_ServiceErrors, FlaskForm):
    """Files added to the ticket itself (not to a message)."""

    PREFIX = "attach"
    files = MultipleFileField(_l("Files to attach"))

    def chosen_files(self) -> list[Any]:
        return chosen(self.files.data)


def chosen(uploads: Any) -> list[Any]:
    """The files a file input really sent: one left empty still posts a part without a name."""
    return [upload for upload in uploads or () if getattr(upload, "filename", None)]


class MacroForm(_ServiceErrors, FlaskForm):
    PREFIX = "macro"
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1)])
    macro_id = SelectField(
        _l("Macro"), coerce=optional_id, validate_choice=False, validators=[InputRequired()]
    )

    ALIASES = {"macro": "macro_id"}

    def set_macros(self, macros) -> None:
        self.macro_id.choices = [SelectChoice("", _("Choose a macro"))] + [
            SelectChoice(m.id, m.name) for m in macros
        ]


class AssignForm(_ServiceErrors, FlaskForm):
    """A supervisor gives the ticket to an agent, or back to nobody."""

    PREFIX = "assign"
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(min=1)])
    assignee_id = SelectField(_l("Assign to"), coerce=optional_id, validate_choice=False)

    @classmethod
    def for_ticket(cls, ticket: Ticket) -> AssignForm:
        return cls(formdata=None, data={"version": ticket.version, "assignee_id": ticket.assignee_id})

    def set_agents(self, agents) -> None:
        self.assignee_id.choices = [SelectChoice("", _("Nobody (unassigned)"))] + [
            SelectChoice(a.id, a.name) for a in agents
        ]
