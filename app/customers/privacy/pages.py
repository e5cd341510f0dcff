"""Pages for customers' personal data: the export button's download, the erasure with its
confirmation, and the access log (supervisors and admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import Permission, current_agent, requires
from app.customers import services as customers
from app.customers.privacy import services
from app.customers.privacy.api import export_file
from app.customers.privacy.forms import ErasureForm, ExportForm
from app.extensions import db

bp = Blueprint("customer_privacy_pages", __name__, template_folder="templates")

ACCESSES_PAGE_SIZE = 50


@bp.post("/customers/<int:customer_id>/export")
@requires(Permission.CUSTOMERS_EXPORT)
def export(customer_id):
    form = ExportForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("customers_pages.profile", customer_id=customer_id))
    return export_file(services.export_customer(customer_id, actor=current_agent()), customer_id)


@bp.route("/customers/<int:customer_id>/erase", methods=["GET", "POST"])
@requires(Permission.CUSTOMERS_ERASE)
def erase(customer_id):
    customer = customers.get_customer(customer_id, viewer=current_agent())
    erased = services.erased_at(customer_id)
    form = ErasureForm()
    if erased is None and form.validate_on_submit():
        services.erase_customer(customer_id, actor=current_agent())
        flash(_("The customer's personal data was erased."), "success")
        return redirect(url_for("customers_pages.profile", customer_id=customer_id))
    status = 422 if form.errors else 200
    return render_template("privacy/erase.html", customer=customer, erased_at=erased, form=form), status


@bp.get("/customers/<int:customer_id>/accesses")
@requires(Permission.CUSTOMER_ACCESS_LOG_READ)
def accesses(customer_id):
    customer = customers.get_customer(customer_id, viewer=current_agent())
    page = db.paginate(
        services.list_accesses(customer_id),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=ACCESSES_PAGE_SIZE,
        error_out=False,
    )
    requests = services.list_data_requests(customer_id)
    return render_template("privacy/accesses.html", customer=customer, page=page, requests=requests)
