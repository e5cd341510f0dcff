"""Pages of the tickets room for agents: the ticket list with saved views, opening a ticket, and the
ticket page (conversation, fields, complaint record, SLA, audit history, the customer beside it).

Each page that changes something calls one use case and redirects; when the use case refuses (a stale
version, a step the workflow forbids, an empty reply), the ticket page is rendered again with the
reason in an alert, the fields' messages beside them, and what the agent typed still in place. The use
case has undone its half-made changes before refusing (`app.unit_of_work`), so the page shows the ticket
as it is stored.
Bodies are stored as sanitized HTML (`app.sanitize`); templates mark only those as safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from marshmallow import ValidationError
from marshmallow import fields as ma_fields
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app import moments
from app.accounts import services as accounts
from app.accounts.access import Permission, current_agent, has_permission, requires
from app.customers import services as customers
from app.errors import AppError
from app.extensions import db
from app.forms import flat_messages, page_messages
from app.inputs import refuse_nul
from app.pagination import page_number
from app.tickets import audit_words, services
from app.tickets.attachments import services as attachments
from app.tickets.forms import (
    AssignForm,
    AttachFilesForm,
    BulkForm,
    ComplaintForm,
    MacroForm,
    NewTicketForm,
    ReplyForm,
    SaveViewForm,
    TicketFieldsForm,
    TicketSearchForm,
)
from app.tickets.models import Comment, Ticket, TicketEvent
from app.tickets.models.vocabulary import UNSOLVED
from app.tickets.search import services as search_services
from app.tickets.search.schemas import TicketQuerySchema
from app.tickets.services import StaleVersion
from app.tickets.signals import Section, ticket_sections_requested
from app.tickets.sla import services as sla
from app.tickets.sla import words as sla_words
from app.tickets.sla.models import SlaTarget
from app.tickets.words import label, shown_view

bp = Blueprint("tickets_pages", __name__, template_folder="../templates")

PAGE_SIZE = 25
TIMELINE_SIZE = 10
# Audit entries shown before the rest fold away under "Older entries".
RECENT_EVENTS = 15
# Query-string keys the list page uses for itself rather than as filters.
_PAGE_KEYS = ("page", "view")
_DATE_KEYS = tuple(f"{name}_{end}" for name in search_services.DATE_FILTERS for end in ("from", "to"))
# Query-string keys that order the list rather than filter it (kept with filters, views and pages).
_ORDER_KEYS = ("sort", "order")
# The list's sortable columns (search's `SORT_KEYS`), each with the direction its first click asks for.
SORTABLE = {"status": "asc", "priority": "desc", "due": "asc", "created_at": "desc", "updated_at": "desc"}


# -- presentation helpers ---------------------------------------------------------------------------


# The SLA in words: the SLA card's due times and the history lines of warnings and breaches.
bp.app_template_global("sla_due")(sla_words.due_phrase)
bp.app_template_global("sla_event")(sla_words.event_phrase)


@bp.app_template_filter("ticket_word")
def ticket_word(value: Any) -> str:
    return label(str(value)) if value is not None else ""


def _next_due(ticket: Ticket) -> dict[str, Any] | None:
    """The ticket's earliest SLA target still counting, for the list: due time and whether it is late."""
    now = datetime.now(UTC)
    running = [
        target
        for target in ticket.sla_targets
        if target.met_at is None and target.cancelled_at is None and target.due_at is not None
    ]
    if running:
        target = min(running, key=lambda t: t.due_at)
        breached = sla.target_status(target, now) == sla.TargetStatus.BREACHED
        return {"kind": target.kind, "due_at": target.due_at, "breached": breached}
    if any(sla.target_status(t, now) == sla.TargetStatus.PAUSED for t in ticket.sla_targets):
        return {"kind": None, "due_at": None, "breached": False, "paused": True}
    return None


def _sections(ticket: Ticket) -> dict[str, Markup]:
    """What rooms above add to the page (the web form's answers, the survey, the outbox), by place."""
    found: dict[str, list[Section]] = {}
    for _receiver, answer in ticket_sections_requested.send(ticket):
        for section in answer or ():
            found.setdefault(section.place, []).append(section)
    return {
        place: Markup("").join(section.html for section in sorted(sections, key=lambda s: s.rank))
        for place, sections in found.items()
    }


def _sla_rows(targets: Iterable[SlaTarget]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "target": target,
            "state": sla.target_status(target, now).value,
            "policy": target.policy.name if target.policy else _("default"),
        }
        for target in targets
    ]


# -- the list ---------------------------------------------------------------------------------------


def _filters_from(args: MultiDict) -> tuple[dict[str, Any], dict[str, str]]:
    """The query string's filters as `TicketQuerySchema` loads them (a list filter may repeat), and the
    schema's messages if it refused them. Empty values (a select left at "any") are no filter."""
    schema = TicketQuerySchema()
    raw: dict[str, Any] = {}
    for key in args:
        if key in _PAGE_KEYS:
            continue
        values = [value for value in args.getlist(key) if value.strip()]
        if values:
            raw[key] = values if isinstance(schema.fields.get(key), ma_fields.List) else values[0]
    try:
        return schema.load(_agents_days(raw)), {}
    except ValidationError as invalid:
        return {}, {
            name: " ".join(flat_messages(page_messages(messages), label))
            for name, messages in invalid.normalized_messages().items()
        }


def _agents_days(raw: dict[str, Any]) -> dict[str, Any]:
    """The list's date inputs send days (`2026-12-01`), which the API's schema reads as UTC days; the
    agent means their own: each day becomes its midnight in the agent's time zone."""
    local = dict(raw)
    for key in _DATE_KEYS:
        if isinstance(value := raw.get(key), str):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                continue  # a moment with its time, or nonsense for the schema to name
            local[key] = datetime.combine(day, time(), tzinfo=moments.viewer_zone()).isoformat()
    return local


def _filter_args(args: MultiDict) -> dict[str, list[str]]:
    """The query string without the page's own keys, to carry the filters into links and forms."""
    return {
        key: [v for v in values if v.strip()]
        for key, values in args.to_dict(flat=False).items()
        if key not in _PAGE_KEYS and any(v.strip() for v in values)
    }


def _ordering_from(args: MultiDict) -> tuple[dict[str, str], dict[str, str]]:
    """A view's list asks only for its order (`sort`, `order`): as the search schema loads them, or
    its messages."""
    raw = {key: args[key] for key in _ORDER_KEYS if args.get(key, "").strip()}
    try:
        return TicketQuerySchema(only=_ORDER_KEYS).load(raw), {}
    except ValidationError as invalid:
        return {}, {name: " ".join(flat_messages(messages)) for name, messages in invalid.messages.items()}


def _sorted_by(args: MultiDict, view: dict[str, Any] | None) -> tuple[str, str]:
    """The column and direction the list is in, to mark its header: the query string's, else the
    view's own, else the search's default (newest first)."""
    filters = view["filters"] if view else {}
    sort = args.get("sort") if args.get("sort") in SORTABLE else filters.get("sort") or "created_at"
    default = "asc" if sort == "due" else "desc"
    order = args.get("order") if args.get("order") in ("asc", "desc") else filters.get("order") or default
    return sort, order


def _render_index(
    args: MultiDict,
    *,
    save_form: SaveViewForm | None = None,
    bulk_form: BulkForm | None = None,
    refused: dict[int, list[str]] | None = None,
    status: int = 200,
):
    actor = current_agent()
    views = [shown_view(view) for view in search_services.list_views(actor=actor)]
    view_id = args.get("view") or None
    form = TicketSearchForm(formdata=None if view_id else args)
    queues = list(db.session.scalars(services.list_queues()))
    agents = list(db.session.scalars(accounts.list_agents(active=True)))
    form.set_queues(queues)
    form.set_agents(agents)
    view = None
    if view_id:
        view = next((v for v in views if v["id"] == view_id), None)
        ordering, problems = _ordering_from(args)
        # 404 for a view that isn't yours
        query = search_services.view_tickets(view_id, actor=actor, ordering=ordering)
    else:
        filters, problems = _filters_from(args)
        query = search_services.search_tickets(filters, actor=actor)
    page = None
    if not problems:
        page = db.paginate(
            query.options(selectinload(Ticket.sla_targets)),
            page=page_number(args),
            per_page=PAGE_SIZE,
            error_out=False,
        )
    filter_args = _filter_args(args)
    save_form = save_form or SaveViewForm(formdata=None, data={"query": urlencode(filter_args, doseq=True)})
    if has_permission(actor, Permission.TICKETS_BULK):
        list_args = {**filter_args, **({"view": [view_id]} if view_id else {})}
        if args.get("page"):
            list_args["page"] = [args["page"]]
        bulk_form = bulk_form or BulkForm(formdata=None, data={"query": urlencode(list_args, doseq=True)})
        bulk_form.set_agents(agents)
        bulk_form.set_queues(queues)
    else:
        bulk_form = None
    # The fold opens for a filter in use (the search box stays outside it) and for one refused.
    folded = [key for key in filter_args if key not in ("q", *_ORDER_KEYS)]
    sort, order = _sorted_by(args, view)
    # Refused tickets are named by the references the list shows (they were ticked on this page).
    references = {ticket.id: ticket.reference for ticket in (page.items if page else ())}
    refused = refused or {}
    return render_template(
        "tickets/index.html",
        form=form,
        views=views,
        view=view,
        view_id=view_id,
        counts=search_services.count_views(actor=actor),
        page=page,
        # Each refused filter under the label its box has on the form.
        problems={
            (form[name].label.text if name in form else label(name)): text for name, text in problems.items()
        },
        filter_args=filter_args,
        pager_args={**filter_args, **({"view": view_id} if view_id else {})},
        filters_in_use=len(folded),
        filters_open=bool(folded or problems),
        sort=sort,
        order=order,
        sortable=SORTABLE,
        save_form=save_form,
        bulk_form=bulk_form,
        refused=[(key, references.get(key, f"#{key}"), messages) for key, messages in refused.items()],
        refused_ids=set(refused),
        next_due=_next_due,
    ), (422 if problems else status)


@bp.get("/tickets")
@requires(Permission.TICKETS_READ)
def index():
    return _render_index(request.args)


@bp.post("/tickets/views")
@requires(Permission.TICKETS_READ)
def save_view():
    form = SaveViewForm()
    args = MultiDict(parse_qsl(form.query.data or "", keep_blank_values=True))
    refuse_nul(args)
    if form.validate_on_submit():
        filters, problems = _filters_from(args)
        if problems:
            form.query.errors = [_("The filters are invalid; fix them before saving.")]
        else:
            try:
                view = search_services.create_view(
                    name=form.name.data, filters=TicketQuerySchema().dump(filters), actor=current_agent()
                )
            except AppError as error:
                form.name.errors = [*form.name.errors, *(error.errors.get("name") or [error.message])]
                return _render_index(args, save_form=form, status=error.status)
            flash(_("The view “%(name)s” was saved.", name=view["name"]), "success")
            return redirect(url_for("tickets_pages.index", view=view["id"]))
    return _render_index(args, save_form=form, status=422)


@bp.post("/tickets/views/<view_id>/delete")
@requires(Permission.TICKETS_READ)
def delete_view(view_id):
    search_services.delete_view(view_id, actor=current_agent())
    flash(_("The view was deleted."), "success")
    return redirect(url_for("tickets_pages.index"))


@bp.post("/tickets/bulk")
@requires(Permission.TICKETS_BULK)
def bulk():
    """A supervisor's change to the tickets ticked in the list, through the API's all-or-none service:
    a refusal names each ticket that refused and why, and the list comes back with the same ticks."""
    form = BulkForm()
    args = MultiDict(parse_qsl(form.query.data or "", keep_blank_values=True))
    refuse_nul(args)
    if not form.validate_on_submit():
        form.problem = form.problem or _("Check the fields marked below.")
        return _render_index(args, bulk_form=form, status=422)
    try:
        changed = services.bulk_update(form.ticket_ids.data, form.changes, actor=current_agent())
    except AppError as error:
        form.problem = error.message
        tickets = error.errors.get("tickets") if isinstance(error.errors.get("tickets"), dict) else {}
        refused = {int(key): flat_messages(messages, label) for key, messages in tickets.items()}
        return _render_index(args, bulk_form=form, refused=refused, status=error.status)
    done = len(changed)
    flash(ngettext("%(num)d ticket was changed.", "%(num)d tickets were changed.", done), "success")
    return redirect(url_for("tickets_pages.index", **args.to_dict(flat=False)))


# -- opening ----------------------------------------------------------------------------------------


@bp.route("/tickets/new", methods=["GET", "POST"])
@requires(Permission.TICKETS_WRITE)
def new():
    # "New ticket for this customer" on a profile links here with the customer's number.
    form = NewTicketForm(data={"customer_id": request.args.get("customer_id", type=int)})
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            ticket = services.open_ticket(**form.ticket_fields(), actor=current_agent())
        except AppError as error:
            form.show_errors(error.errors)
            problem, status = error.message, error.status
        else:
            flash(_("Ticket %(reference)s was opened.", reference=ticket.reference), "success")
            if not services.may_see(current_agent(), ticket):
                # Opened for another team's queue closed to the agent: handed over, not theirs to open.
                return redirect(url_for("tickets_pages.index"))
            return redirect(url_for("tickets_pages.show", ticket_id=ticket.id))
    elif form.errors:
        problem, status = _("Check the fields marked below."), 422
    form.set_queues(db.session.scalars(services.list_queues()))
    return render_template(
        "tickets/new.html", form=form, problem=problem, picked=_picked_customer(form)
    ), status


def _picked_customer(form: NewTicketForm) -> Any:
    """The customer on file the form names, to show who the ticket is for; None if it names nobody."""
    if form.customer_id.data is None or form.customer_id.errors:
        return None
    try:
        return customers.get_customer(form.customer_id.data, viewer=current_agent())
    except AppError:
        return None


# -- the ticket page --------------------------------------------------------------------------------


def _customer_side(ticket: Ticket, viewer) -> tuple[Any, list[dict[str, Any]]]:
    """The profile beside the ticket and its latest timeline entries (those `viewer` may see); a deleted
    or merged-away profile shows only what the ticket knows."""
    try:
        customer = customers.get_customer(ticket.customer_id)
        timeline = customers.customer_timeline(customer.id, limit=TIMELINE_SIZE, viewer=viewer)["items"]
    except AppError:
        return None, []
    return customer, timeline


def _render_ticket(
    ticket_id: int,
    *,
    fields_form: TicketFieldsForm | None = None,
    complaint_form: ComplaintForm | None = None,
    reply_form: ReplyForm | None = None,
    macro_form: MacroForm | None = None,
    assign_form: AssignForm | None = None,
    attach_form: AttachFilesForm | None = None,
    problem: str | None = None,
    stale: bool = False,
    wanted: list[tuple[str, str]] | None = None,
    status: int = 200,
):
    actor = current_agent()
    ticket = services.readable_ticket(ticket_id, viewer=actor)
    # Another team's ticket the agent may read: shown without a single form to change it.
    read_only = not services.may_work(actor, ticket)
    queues = list(db.session.scalars(services.list_queues()))
    macros = list(db.session.scalars(services.list_macros()))
    agents = list(db.session.scalars(accounts.list_agents(active=True)))
    comments = db.session.scalars(
        services.list_comments(ticket_id, viewer=actor).options(
            selectinload(Comment.author), selectinload(Comment.mentions)
        )
    ).all()
    events = db.session.scalars(
        services.list_events(ticket_id, viewer=actor).options(selectinload(TicketEvent.actor))
    ).all()
    customer, timeline = _customer_side(ticket, actor)

    fields_form = fields_form or TicketFieldsForm.for_ticket(ticket)
    fields_form.offer_statuses(ticket)
    fields_form.set_queues(queues)
    if ticket.complaint is not None:
        complaint_form = complaint_form or ComplaintForm.for_ticket(ticket)
        complaint_form.offer_stages(ticket)
    else:
        # A complaint form posted to a ticket that is no complaint has no record to show it with.
        complaint_form = None
    reply_form = reply_form or ReplyForm(formdata=None)
    reply_form.offer_statuses(ticket)
    reply_form.set_agents(agents)
    # Agents claim; giving a ticket to someone else is for those allowed to assign.
    if has_permission(actor, Permission.TICKETS_ASSIGN):
        assign_form = assign_form or AssignForm.for_ticket(ticket)
        assign_form.set_agents(agents)
    else:
        assign_form = None
    macro_form = macro_form or MacroForm(formdata=None, data={"version": ticket.version})
    attach_form = attach_form or AttachFilesForm(formdata=None)
    macro_form.set_macros(macros)

    # Names for the ids the page shows (who uploaded a file), from the agents the page already knows.
    names = {agent.id: agent.name for agent in agents}
    if ticket.assignee is not None:
        names[ticket.assignee.id] = ticket.assignee.name

    def agent_name(agent_id: Any) -> str:
        return _("nobody") if agent_id is None else names.get(agent_id, _("agent #%(id)s", id=agent_id))

    newest_first = list(reversed(audit_words.lines(events)))
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        comments=comments,
        attachments=attachments.list_attachments(ticket_id, viewer=actor),
        recent_events=newest_first[:RECENT_EVENTS],
        older_events=newest_first[RECENT_EVENTS:],
        agent_name=agent_name,
        can_claim=ticket.assignee_id is None and ticket.status in UNSOLVED and not read_only,
        read_only=read_only,
        sla_rows=_sla_rows(sla.ticket_sla(ticket_id)),
        sections=_sections(ticket),
        customer=customer,
        timeline=timeline,
        fields_form=fields_form,
        complaint_form=complaint_form,
        reply_form=reply_form,
        macro_form=macro_form,
        assign_form=assign_form,
        attach_form=attach_form,
        upload_limits=attachments.limits(),
        has_macros=bool(macros),
        problem=problem,
        stale=stale,
        wanted=wanted or [],
        actor_name=audit_words.actor_name,
    ), status


def _write(
    ticket_id: int,
    form: Any,
    form_name: str,
    use_case: Callable[[], Any],
    *,
    done: str,
    anchor: str = "",
):
    """Run one use case for a posted form: on success flash `done` and go back to the ticket; if the
    service refuses, render the ticket page again with the reason and the agent's input. A ticket the
    agent may not change is refused before the form is read (404 hidden, 403 read-only), as the use
    case would refuse it, so that a half-filled form cannot tell them more."""
    services.workable_ticket(ticket_id, actor=current_agent())
    if not form.validate_on_submit():
        return _render_ticket(
            ticket_id, **{form_name: form}, problem=_("Check the fields marked below."), status=422
        )
    try:
        use_case()
    except StaleVersion as stale:
        # The current values replace the stale form; a reply keeps its text (it carries no version).
        kept = {form_name: form} if isinstance(form, ReplyForm) else {}
        wanted = None
        if isinstance(form, TicketFieldsForm):
            queue_names = {q.id: q.name for q in db.session.scalars(services.list_queues())}
            wanted = form.wanted(stale.current, queue_names)
        return _render_ticket(ticket_id, **kept, problem=stale.message, stale=True, wanted=wanted, status=409)
    except AppError as error:
        form.show_errors(error.errors)
        # A missing macro or the like: the ticket page itself exists, so the request was unprocessable.
        status = 422 if error.status == 404 else error.status
        return _render_ticket(ticket_id, **{form_name: form}, problem=error.message, status=status)
    flash(done, "success")
    return redirect(url_for("tickets_pages.show", ticket_id=ticket_id, _anchor=anchor or None))


@bp.get("/tickets/<int:ticket_id>")
@requires(Permission.TICKETS_READ)
def show(ticket_id):
    return _render_ticket(ticket_id)


@bp.post("/tickets/<int:ticket_id>/fields")
@requires(Permission.TICKETS_WRITE)
def update(ticket_id):
    form = TicketFieldsForm()
    return _write(
        ticket_id,
        form,
        "fields_form",
        lambda: services.update_ticket(
            ticket_id, form.changes(), expected_version=form.version.data, actor=current_agent()
        ),
        done=_("The ticket was saved."),
    )


@bp.post("/tickets/<int:ticket_id>/complaint")
@requires(Permission.TICKETS_WRITE)
def update_complaint(ticket_id):
    form = ComplaintForm()
    return _write(
        ticket_id,
        form,
        "complaint_form",
        lambda: services.update_ticket(
            ticket_id, form.changes(), expected_version=form.version.data, actor=current_agent()
        ),
        done=_("The complaint record was saved."),
        anchor="complaint",
    )


@bp.post("/tickets/<int:ticket_id>/comments")
@requires(Permission.TICKETS_WRITE)
def comment(ticket_id):
    form = ReplyForm()
    return _write(
        ticket_id,
        form,
        "reply_form",
        lambda: attachments.reply_with_files(
            ticket_id, form.chosen_files(), **form.comment_fields(), actor=current_agent()
        ),
        done=_("Your reply was sent.") if form.visibility.data != "internal" else _("Your note was added."),
        anchor="conversation",
    )


@bp.post("/tickets/<int:ticket_id>/attachments")
@requires(Permission.TICKETS_WRITE)
def attach(ticket_id):
    form = AttachFilesForm()
    return _write(
        ticket_id,
        form,
        "attach_form",
        lambda: attachments.add_attachments(ticket_id, form.chosen_files(), actor=current_agent()),
        done=_("The files were attached."),
        anchor="attachments",
    )


@bp.post("/tickets/<int:ticket_id>/claim")
@requires(Permission.TICKETS_WRITE)
def claim(ticket_id):
    try:
        services.claim_ticket(ticket_id, actor=current_agent())
    except AppError as error:
        if error.status == 404:
            raise
        return _render_ticket(ticket_id, problem=error.message, status=error.status)
    flash(_("The ticket is yours now."), "success")
    return redirect(url_for("tickets_pages.show", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/assign")
@requires(Permission.TICKETS_ASSIGN)
def assign(ticket_id):
    form = AssignForm()
    return _write(
        ticket_id,
        form,
        "assign_form",
        lambda: services.assign_ticket(
            ticket_id, form.assignee_id.data, expected_version=form.version.data, actor=current_agent()
        ),
        done=_("The ticket was assigned."),
    )


@bp.post("/tickets/<int:ticket_id>/macro")
@requires(Permission.TICKETS_WRITE)
def macro(ticket_id):
    form = MacroForm()
    return _write(
        ticket_id,
        form,
        "macro_form",
        lambda: services.apply_macro(
            ticket_id, form.macro_id.data, expected_version=form.version.data, actor=current_agent()
        ),
        done=_("The macro was applied."),
    )
