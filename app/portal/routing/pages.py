"""`/settings/web-form-routes`: supervisors choose the queue of each web form category."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.access import Permission, current_agent, requires
from app.errors import AppError
from app.extensions import db
from app.portal.routing import services
from app.portal.routing.forms import RoutesForm, form_label
from app.portal.routing.models import FORMS, REQUEST_FORM
from app.portal.routing.services import PRIORITY_OF_SEVERITY, StaleRouting
from app.setting_pages import Section
from app.tickets.services import list_queues

bp = Blueprint("web_form_routes_pages", __name__, template_folder="templates")

# The page's entry in the settings index.
SECTIONS = (
    Section(
        "web_form_routes_pages.edit",
        _l("Web form routes"),
        _l("The queue each complaint category of the public web form, and the support form, sends to."),
        Permission.QUEUES_MANAGE,
    ),
)


@bp.route("/settings/web-form-routes", methods=["GET", "POST"])
@requires(Permission.QUEUES_MANAGE)
def edit():
    form = RoutesForm()
    form.set_queues(list(db.session.scalars(list_queues())))
    problem, status = None, 200
    if not form.is_submitted():
        form.fill(services.get_routing())
    elif not form.validate():
        problem, status = _("Check the fields marked below."), 422
    else:
        try:
            services.replace_routing(
                default_queue_id=form.default_queue_id.data,
                routes=form.routes(),
                expected_version=form.version.data,
                actor=current_agent(),
            )
        except StaleRouting as stale:
            # Someone saved meanwhile: their map is shown, to be changed again.
            form = RoutesForm(formdata=None)
            form.set_queues(list(db.session.scalars(list_queues())))
            form.fill(stale.current)
            problem = _(
                "Someone else saved the routes meanwhile: they are shown as they are now. "
                "Make your change again."
            )
            status = 409
        except AppError as error:
            form.show_errors(error.errors)
            problem, status = error.message, 422
        else:
            flash(_("The web form routes were saved."), "success")
            return redirect(url_for("web_form_routes_pages.edit"))
    return render_template(
        "routing/web_form_routes.html",
        form=form,
        forms=FORMS,
        request_form=REQUEST_FORM,
        form_label=form_label,
        priority_of=PRIORITY_OF_SEVERITY,
        problem=problem,
    ), status
