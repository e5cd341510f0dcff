"""Pages of the customers room: the customer list with search, the 360° profile, create and edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import Permission, current_agent, requires
from app.customers import services
from app.customers.forms import CustomerForm, CustomerSearchForm, MergeForm
from app.customers.privacy import services as privacy
from app.customers.privacy.models import AccessChannel
from app.customers.signals import profile_sections_requested
from app.errors import AppError
from app.extensions import db
from app.pagination import page_number

bp = Blueprint("customers_pages", __name__, template_folder="../templates")

PAGE_SIZE = 25


@bp.get("/")
@bp.get("/customers")
@requires(Permission.CUSTOMERS_READ)
def index():
    form = CustomerSearchForm(request.args)
    valid = form.validate()
    q = form.q.data if valid else None
    include_deleted = bool(valid and form.include_deleted.data)
    page = db.paginate(
        services.search_customers(q=q, include_deleted=include_deleted, viewer=current_agent()),
        page=page_number(request.args),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "customers/index.html", form=form, q=q or "", include_deleted=include_deleted, page=page
    )


@bp.get("/customers/<int:customer_id>")
@requires(Permission.CUSTOMERS_READ)
def profile(customer_id):
    try:
        return _render_profile(customer_id, merging=request.args.get("merge", type=int))
    except services.CustomerMerged as merged:
        flash(_("That customer was merged into this one."), "info")
        return redirect(url_for("customers_pages.profile", customer_id=merged.target_id))


@bp.post("/customers/<int:customer_id>/merge")
@requires(Permission.CUSTOMERS_MERGE)
def merge(customer_id):
    form = MergeForm()
    if not form.validate_on_submit():
        return _render_profile(customer_id, problem=_("Choose the duplicate to merge."), status=422)
    source_id = form.source_id.data
    try:
        services.merge_customers(source_id, customer_id, actor=current_agent())
    except AppError as error:
        return _render_profile(customer_id, merging=source_id, problem=error.message, status=error.status)
    flash(_("Customer %(id)s was merged into this profile.", id=source_id), "success")
    return redirect(url_for("customers_pages.profile", customer_id=customer_id))


def _render_profile(customer_id: int, *, merging: int | None = None, problem: str | None = None, status=200):
    """The profile, its timeline, what rooms above add (the tickets), and its likely duplicates; with
    `merging`, the confirmation of merging that duplicate into this profile."""
    viewer = current_agent()
    customer = privacy.open_profile(customer_id, viewer=viewer, via=AccessChannel.PAGE)
    timeline = services.customer_timeline(customer_id, viewer=viewer)
    labels = {d.key: d.label for d in services.list_field_definitions()}
    # Only a deleted profile can have been erased: live ones spare the query.
    erased_at = privacy.erased_at(customer.id) if customer.deleted_at is not None else None
    duplicates = services.find_duplicates(customer.id) if customer.deleted_at is None else []
    merge_source = next((d for d in duplicates if d.id == merging), None)
    sections = [
        section
        for _receiver, answer in profile_sections_requested.send(customer, viewer=viewer)
        for section in answer or ()
    ]
    return render_template(
        "customers/profile.html",
        customer=customer,
        timeline=timeline,
        labels=labels,
        erased_at=erased_at,
        duplicates=duplicates,
        merge_source=merge_source,
        merge_form=MergeForm(formdata=None, data={"source_id": merge_source.id} if merge_source else None),
        sections=sections,
        problem=problem,
    ), status


@bp.route("/customers/new", methods=["GET", "POST"])
@requires(Permission.CUSTOMERS_WRITE)
def new():
    form = CustomerForm()
    if form.validate_on_submit():
        try:
            customer = services.create_customer(**form.profile_fields(), actor=current_agent())
        except AppError as error:
            if not form.show_errors(error.errors):
                flash(str(error.message), "error")
        else:
            flash(_("%(name)s was added.", name=customer.name), "success")
            return redirect(url_for("customers_pages.profile", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=None), 422 if form.errors else 200


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@requires(Permission.CUSTOMERS_WRITE)
def edit(customer_id):
    customer = services.get_customer(customer_id)
    form = CustomerForm() if request.method == "POST" else CustomerForm.for_customer(customer)
    if form.validate_on_submit():
        try:
            services.update_customer(customer_id, form.profile_fields(), actor=current_agent())
        except AppError as error:
            if not form.show_errors(error.errors):
                flash(str(error.message), "error")
        else:
            flash(_("The profile was saved."), "success")
            return redirect(url_for("customers_pages.profile", customer_id=customer_id))
    return render_template("customers/form.html", form=form, customer=customer), 422 if form.errors else 200
