"""Settings pages of the tickets room: queues and macros (`app.setting_pages`), for those who may
manage them. Each view calls the use case the API calls."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.accounts.access import Permission, current_agent, requires
from app.extensions import db
from app.setting_pages import Column, Section, SettingPages
from app.tickets import schemas, services
from app.tickets.settings_forms import MacroForm, QueueForm
from app.tickets.words import label

bp = Blueprint("tickets_settings", __name__, template_folder="../templates")

QUEUES = SettingPages(
    endpoint="tickets_settings.queues",
    id_name="queue_id",
    title=_l("Queues"),
    new_title=_l("New queue"),
    intro=_l(
        "Lines of work. A queue is served by a team; routing offers its tickets to agents with its skills."
    ),
    form=QueueForm,
    rows=lambda: db.session.scalars(services.list_queues()),
    get=services.get_queue,
    create=lambda values, actor: services.create_queue(**values, actor=actor),
    update=services.update_queue,
    create_schema=schemas.QueueCreateSchema(),
    update_schema=schemas.QueueUpdateSchema(),
    columns=(
        Column(_l("Name"), lambda queue: queue.name),
        Column(_l("Team that serves it"), lambda queue: queue.team.name if queue.team else ""),
        Column(_l("Skills an agent needs"), lambda queue: ", ".join(s.name for s in queue.skills)),
        Column(_l("Description"), lambda queue: queue.description),
    ),
)


def _macro_actions(macro) -> str:
    """What a macro does, in the reader's words, for the list."""
    actions = macro.actions or {}
    done = [f"{label(field)}: {label(str(value))}" for field, value in (actions.get("set") or {}).items()]
    if actions.get("add_tags"):
        done.append(f"+ {', '.join(actions['add_tags'])}")
    if actions.get("remove_tags"):
        done.append(f"\u2212 {', '.join(actions['remove_tags'])}")
    if actions.get("reply"):
        done.append(str(_l("a reply") if actions["reply"].get("public", True) else _l("an internal note")))
    return "; ".join(done)


MACROS = SettingPages(
    endpoint="tickets_settings.macros",
    id_name="macro_id",
    title=_l("Macros"),
    new_title=_l("New macro"),
    intro=_l("Canned responses: one click on a ticket sets its fields, changes its tags and adds a reply."),
    form=MacroForm,
    template="tickets/macro_form.html",
    rows=lambda: db.session.scalars(services.list_macros()),
    get=services.get_macro,
    create=lambda values, actor: services.create_macro(**values, actor=actor),
    update=services.update_macro,
    delete=services.delete_macro,
    create_schema=schemas.MacroSchema(),
    update_schema=schemas.MacroUpdateSchema(),
    columns=(
        Column(_l("Name"), lambda macro: macro.name),
        Column(_l("What it does"), _macro_actions),
        Column(_l("Description"), lambda macro: macro.description),
    ),
    deleting=_l("Agents can no longer apply it; tickets it was applied to keep their changes and replies."),
)

SECTIONS = (
    Section(QUEUES.endpoint, QUEUES.title, QUEUES.intro, Permission.QUEUES_MANAGE),
    Section(MACROS.endpoint, MACROS.title, MACROS.intro, Permission.MACROS_MANAGE),
)


@bp.get("/settings/queues")
@requires(Permission.QUEUES_MANAGE)
def queues():
    return QUEUES.index()


@bp.route("/settings/queues/new", methods=["GET", "POST"])
@requires(Permission.QUEUES_MANAGE)
def queues_new():
    return QUEUES.new(actor=current_agent())


@bp.route("/settings/queues/<int:queue_id>", methods=["GET", "POST"])
@requires(Permission.QUEUES_MANAGE)
def queues_edit(queue_id):
    return QUEUES.edit(queue_id, actor=current_agent())


@bp.get("/settings/macros")
@requires(Permission.MACROS_MANAGE)
def macros():
    return MACROS.index()


@bp.route("/settings/macros/new", methods=["GET", "POST"])
@requires(Permission.MACROS_MANAGE)
def macros_new():
    return MACROS.new(actor=current_agent())


@bp.route("/settings/macros/<int:macro_id>", methods=["GET", "POST"])
@requires(Permission.MACROS_MANAGE)
def macros_edit(macro_id):
    return MACROS.edit(macro_id, actor=current_agent())


@bp.route("/settings/macros/<int:macro_id>/delete", methods=["GET", "POST"])
@requires(Permission.MACROS_MANAGE)
def macros_delete(macro_id):
    return MACROS.remove(macro_id, actor=current_agent())
