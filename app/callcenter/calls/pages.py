"""The customer's side of callbacks: on their case's tracking page they ask to be called back at a
time of their choosing. Public; the case's link (its token) is the credential, checked as the portal
checks it, inside the tracking pages' rate limit and with the form's CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import wraps

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import public
from app.callcenter.calls import services
from app.callcenter.calls.forms import CallbackForm
from app.errors import Invalid
from app.extensions import csrf, limiter
from app.forms import error_summary
from app.i18n import use_customer
from app.moments import viewer_zone
from app.portal import services as portal

bp = Blueprint("calls_pages", __name__, template_folder="templates")

# A case's pages are never cached, indexed, or named in a Referer header: their address is the key.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
ORDER = ("phone", "day", "clock")


def _tracking_limit() -> str:
    return current_app.config["TRACKING_RATE_LIMIT"]


def _csrf_inside_limits(view):
    """The CSRF check runs inside the rate limit (the blueprint is exempt from the app-wide one), so a
    flood of posts without tokens meets the limit too."""

    @wraps(view)
    def checked(*args, **kwargs):
        if request.method == "POST":
            csrf.protect()
        return view(*args, **kwargs)

    return checked


@bp.after_request
def _private(response):
    response.headers.update(PRIVATE_HEADERS)
    return response


@bp.route("/track/<token>/callback", methods=["GET", "POST"])
@public
@limiter.limit(_tracking_limit)
@_csrf_inside_limits
def callback(token: str):
    ticket = portal.find_tracked_ticket(token)
    use_customer(ticket.customer)
    form = CallbackForm()
    if request.method == "GET" and not form.phone.data:
        form.phone.data = _phone_of(ticket.customer)
    if form.validate_on_submit():
        local = datetime.combine(form.day.data, form.clock.data).replace(tzinfo=viewer_zone())
        try:
            services.request_callback_for_case(
                ticket, phone=form.phone.data, requested_for=local.astimezone(UTC)
            )
        except Invalid as error:
            for name, messages in (error.errors or {}).items():
                target = {"phone": form.phone, "requested_for": form.clock}.get(name, form.clock)
                target.errors = [*target.errors, *messages]
        else:
            flash(_("Thank you. We will call you at the time you chose."), "success")
            return redirect(url_for("portal.track", token=token))
    status = 422 if form.errors else 200
    errors = error_summary(form, ORDER, _("The page was open too long. Check your entries and send again."))
    return render_template(
        "calls/callback.html", ticket=ticket, form=form, errors=errors, token=token
    ), status


def _phone_of(customer) -> str:
    phones = [point for point in customer.contact_points if point.kind == "phone"]
    primary = [point for point in phones if point.is_primary] or phones
    return primary[0].value if primary else ""
