"""The public front door: the complaint and request forms, the tracking pages, lost links. All public.

Pleasant for people, hostile to abuse:

- every post carries a CSRF token; the submission forms carry an idempotency key (one ticket per
  double click) and a honeypot (a bot that fills it in is told "thank you" and nothing is created);
- rate limits per client address (`PORTAL_RATE_LIMIT`, shared by the forms and the lost-link page),
  per e-mail address (`PORTAL_EMAIL_RATE_LIMIT`) and on tracking pages (`TRACKING_RATE_LIMIT`); the
  client address is `request.remote_addr`, which believes `X-Forwarded-For` only as far as
  `TRUSTED_PROXY_COUNT` says (ProxyFix in `create_app`);
- bodies are capped below the app-wide limit (`PORTAL_MAX_BODY_BYTES`, `PORTAL_MAX_FORM_MEMORY`),
  answered with a page of our own;
- tracking pages are never cached, indexed, or named in a Referer header, since their address is the key.

After a submission the confirmation is shown by a redirect (Post/Redirect/Get); the tracking token
rides to it once in the session.
"""

from __future__ import annotations

import secrets
from functools import wraps

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.access import public
from app.customers import services as customers
from app.errors import DATABASE_ERRORS, AppError, Invalid, NotFound, handle_database_error
from app.extensions import csrf, limiter
from app.forms import error_summary
from app.i18n import current_language, use_customer
from app.portal import links
from app.portal import services as portal
from app.portal.forms import (
    COMPLAINT_FIELDS,
    REQUEST_FIELDS,
    LostLinksForm,
    PortalComplaintForm,
    PortalReplyForm,
    PortalRequestForm,
)
from app.portal.signals import tracking_sections_requested
from app.tickets.models import ComplaintStage, Status, TicketType

bp = Blueprint("portal", __name__, template_folder="templates")

SENT_KEY = "portal_sent"
TRACKING_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
STATUS_LABELS = {
    Status.NEW: _l("Received"),
    Status.OPEN: _l("In progress"),
    Status.PENDING: _l("Waiting for your reply"),
    Status.ON_HOLD: _l("Waiting for a third party"),
    Status.SOLVED: _l("Solved"),
    Status.CLOSED: _l("Closed"),
}
STAGE_LABELS = {
    ComplaintStage.RECEIVED: _l("Received"),
    ComplaintStage.ACKNOWLEDGED: _l("Acknowledged"),
    ComplaintStage.INVESTIGATING: _l("Being investigated"),
    ComplaintStage.REMEDY_PROPOSED: _l("Remedy proposed"),
    ComplaintStage.RESOLVED: _l("Resolved"),
    ComplaintStage.FOLLOWED_UP: _l("Followed up"),
}


# -- limits ------------------------------------------------------------------------------------------


def _form_limit() -> str:
    return current_app.config["PORTAL_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["PORTAL_EMAIL_RATE_LIMIT"]


def _tracking_limit() -> str:
    return current_app.config["TRACKING_RATE_LIMIT"]


def _contact_key() -> str:
    """The limit's key: the e-mail address posted, else the phone number, else the client address.

    Contact points are keyed in the form the customers room stores them (an address with upper-case or
    full-width letters, `(415) 555-0100` and `+14155550100` each give one key), so writing one address
    another way does not dodge the limit; what cannot be normalized is keyed as typed.
    """
    for field, normalize in (("email", customers.normalize_email), ("phone", customers.normalize_phone)):
        raw = (request.form.get(field) or "").strip()
        if raw:
            try:
                return f"{field}:{normalize(raw)}"
            except Invalid:
                return f"{field}:{''.join(raw.split()).lower()}"
    return f"address:{request.remote_addr}"


def csrf_inside_limits(view):
    """Check the CSRF token inside the rate limits. The app-wide check runs before any view's limits
    (Flask-Limiter checks a view's own limits when the view is called), so without this a flood of
    posts without tokens would be refused one by one and never meet a 429. The blueprint is exempt
    from the app-wide check; every view of it takes this decorator below its limits."""

    @wraps(view)
    def checked(*args, **kwargs):
        if request.method == "POST":
            csrf.protect()
        return view(*args, **kwargs)

    return checked


form_limit = limiter.shared_limit(_form_limit, scope="portal-form", methods=["POST"])
email_limit = limiter.shared_limit(
    _email_limit, scope="portal-email", key_func=_contact_key, methods=["POST"]
)
tracking_limit = limiter.limit(_tracking_limit)


@bp.url_value_preprocessor
def _cap_body(_endpoint, _values) -> None:
    # Runs before every before_request hook, so the cap is in place before the CSRF check reads the form.
    request.max_content_length = current_app.config["PORTAL_MAX_BODY_BYTES"]
    request.max_form_memory_size = current_app.config["PORTAL_MAX_FORM_MEMORY"]


@bp.after_request
def _headers(response):
    if request.endpoint in ("portal.track", "portal.sent"):
        response.headers.update(TRACKING_HEADERS)
    return response


# -- errors ------------------------------------------------------------------------------------------


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    limit = current_app.config["PORTAL_MAX_BODY_BYTES"] // 1_000_000
    message = _(
        "What you sent is too large: at most %(size)d MB in all. Send fewer or smaller files, "
        "or send them later from your tracking page.",
        size=limit,
    )
    return render_template("portal/error.html", title=_("Too large"), message=message), 413


@bp.errorhandler(429)
def _too_many(_error):
    message = _("You have sent this too often. Please wait a few minutes and try again.")
    return render_template("portal/error.html", title=_("Please wait"), message=message), 429


@bp.errorhandler(CSRFError)
def _expired(_error):
    message = _("The page was open too long or was sent from elsewhere. Go back, reload it and try again.")
    return render_template("portal/error.html", title=_("Please try again"), message=message), 400


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    message = _("This tracking link is not valid. It may have expired.")
    return render_template(
        "portal/error.html", title=_("Link not valid"), message=message, lost_link=True
    ), 404


def _database_away(error: Exception):
    return handle_database_error(error, page=_not_sent_yet)


for _database_error in DATABASE_ERRORS:
    bp.register_error_handler(_database_error, _database_away)


def _not_sent_yet() -> str:
    """A submission the database could not take (a restart): the form again, filled in as it was sent
    (files must be chosen again) and with the same idempotency key, so that sending it again opens one
    ticket, even should the first try have been stored after all. Nothing the customer wrote is lost."""
    if request.method != "POST" or request.endpoint not in SUBMISSIONS:
        return render_template("unavailable.html")
    form_class, order, template = SUBMISSIONS[request.endpoint]
    message = _(
        "We could not save your message just now, but it is still here: send it again in a few "
        "seconds (choose your files again if you attached any)."
    )
    return render_template(template, form=form_class(), order=order, errors=[("", "", message)])


# -- submitting --------------------------------------------------------------------------------------


@bp.route("/complaints/new", methods=["GET", "POST"])
@public
@form_limit
@email_limit
@csrf_inside_limits
def new_complaint():
    return _submission(TicketType.COMPLAINT)


@bp.route("/support/new", methods=["GET", "POST"])
@public
@form_limit
@email_limit
@csrf_inside_limits
def new_request():
    return _submission(None)


SUBMISSIONS = {
    "portal.new_complaint": (PortalComplaintForm, COMPLAINT_FIELDS, "portal/complaint.html"),
    "portal.new_request": (PortalRequestForm, REQUEST_FIELDS, "portal/request.html"),
}


def _submission(ticket_type: str | None):
    """A submission form's GET and POST; `ticket_type` None lets the customer choose it."""
    form_class, order, template = SUBMISSIONS[request.endpoint]
    form = form_class()
    if request.method == "GET":
        form.idempotency_key.data = portal.new_idempotency_key()
    elif form.validate_on_submit():
        if form.is_bot:
            # Looks like any success to the bot: a reference and a link, neither of which exists.
            reference = f"SB-{secrets.randbelow(10**6):06d}"
            session[SENT_KEY] = {"reference": reference, "token": secrets.token_urlsafe(links.TOKEN_BYTES)}
            return redirect(url_for("portal.sent"))
        try:
            ticket, token = portal.submit_web_form(
                type=ticket_type or form.type.data,
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                description=form.description.data,
                idempotency_key=form.idempotency_key.data or "",
                category=getattr(form, "category", None) and form.category.data,
                desired_outcome=getattr(form, "desired_outcome", None) and form.desired_outcome.data,
                order_number=form.order_number.data,
                expected_satisfaction=getattr(form, "expected_satisfaction", None)
                and form.expected_satisfaction.data,
                files=request.files.getlist("files"),
                language=current_language(),
                remote_address=request.remote_addr,
            )
        except Invalid as error:
            _show_errors(form, error)
        else:
            session[SENT_KEY] = {"reference": ticket.reference, "token": token}
            return redirect(url_for("portal.sent"))
    status = 422 if form.errors else 200
    return render_template(template, form=form, order=order, errors=_error_list(form, order)), status


def _show_errors(form, error: AppError) -> None:
    """A service's refusal, next to the fields it names (what belongs to no field: under the description)."""
    errors = dict(error.errors or {})
    # The customers room names the contact point it refused: {"customer": {"phones": {...}}}.
    problems = errors.pop("customer", None)
    if isinstance(problems, dict):
        if "phones" in problems:
            errors["phone"] = [_("Enter a phone number with its country code, like +1 415 555 0100.")]
        if "emails" in problems or "phones" not in problems:
            errors["email"] = [_("Check your e-mail address and phone number.")]
    if not errors or not form.show_errors(errors):
        form.description.errors = [*form.description.errors, error.message]


def _error_list(form, order: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return error_summary(form, order, _("The page was open too long. Check your entries and send again."))


@bp.get("/complaints/sent")
@public
def sent():
    # Once: a reload (or the back button) shows the page without the token.
    shown = session.pop(SENT_KEY, None)
    # The address this person reached us at (the one e-mails use may differ, see PUBLIC_BASE_URL).
    link = url_for("portal.track", token=shown["token"], _external=True) if shown else None
    return render_template("portal/sent.html", sent=shown, link=link)


# -- tracking ----------------------------------------------------------------------------------------


@bp.route("/track/<token>", methods=["GET", "POST"])
@public
@tracking_limit
@csrf_inside_limits
def track(token: str):
    ticket = portal.find_tracked_ticket(token)
    use_customer(ticket.customer)
    form = PortalReplyForm()
    status = 200
    if form.validate_on_submit():
        try:
            shown = portal.reply_from_portal(token, form.body.data, request.files.getlist("files"))
        except Invalid as error:
            target = form.files if "files" in (error.errors or {}) else form.body
            messages = error.errors.get("files") or [error.message]
            target.errors = [*target.errors, *messages]
        else:
            flash(_("Thank you. Your message was added to your case."), "success")
            return redirect(url_for("portal.track", token=shown, _anchor="conversation"))
    if form.errors:
        status = 422
    return render_template(
        "portal/track.html",
        ticket=ticket,
        comments=portal.public_comments(ticket.id),
        status_label=STATUS_LABELS.get(ticket.status, ticket.status),
        stage_label=STAGE_LABELS.get(ticket.complaint.stage) if ticket.complaint else None,
        form=form,
        errors=_error_list(form, ("body", "files")),
        token=token,
        sections=[
            section
            for _receiver, answer in tracking_sections_requested.send(ticket, token=token)
            for section in answer or ()
        ],
    ), status


@bp.route("/track/lost", methods=["GET", "POST"])
@public
@form_limit
@email_limit
@csrf_inside_limits
def lost():
    form = LostLinksForm()
    if form.validate_on_submit():
        portal.request_tracking_links(form.email.data)
        # The same answer whether or not we know the address.
        flash(
            _(
                "If we have open or recent cases for %(email)s, we have sent you an e-mail with their links.",
                email=form.email.data,
            ),
            "success",
        )
        return redirect(url_for("portal.lost"))
    status = 422 if form.errors else 200
    return render_template("portal/lost.html", form=form, errors=_error_list(form, ("email",))), status
