"""The customer's satisfaction survey, opened from the link in the "solved" e-mail. Public: the link's
token is the credential. Rate limited, and answered once (the service arbitrates races)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import public
from app.errors import Conflict, Invalid, NotFound
from app.extensions import limiter
from app.forms import error_summary
from app.i18n import use_customer
from app.portal.surveys import services as surveys
from app.portal.surveys.forms import SurveyForm

bp = Blueprint("surveys", __name__, template_folder="templates")

DEFAULT_RATE_LIMIT = "10 per minute;100 per hour"
# A token in the address must not leak to other sites or linger in caches.
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _limit() -> str:
    return current_app.config.get("SURVEY_RATE_LIMIT") or DEFAULT_RATE_LIMIT


@bp.after_request
def _headers(response):
    response.headers.update(PRIVATE_HEADERS)
    return response


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return render_template(
        "surveys/message.html",
        title=_("Link not valid"),
        message=_("This survey link is not valid. It may have been replaced by a newer one."),
    ), 404


@bp.route("/survey/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit)
def answer(token: str):
    survey = surveys.survey_for_token(token)
    use_customer(survey.ticket.customer)
    if survey.answered_at is not None:
        return _thanks(survey, status=409 if request.method == "POST" else 200)
    form = SurveyForm()
    if request.method == "GET":
        form.expected.data = _str(surveys.expected_satisfaction(survey.ticket_id))
    elif form.validate_on_submit():
        try:
            surveys.answer_survey(token, form.answers())
        except Conflict:
            return _thanks(survey, status=409)
        except Invalid as error:
            form.show_errors(error.errors or {})
        else:
            return redirect(url_for("surveys.answer", token=token), code=303)
    status = 422 if form.errors else 200
    return render_template("surveys/answer.html", form=form, survey=survey, errors=_error_list(form)), status


def _thanks(survey, *, status: int):
    return render_template("surveys/thanks.html", survey=survey), status


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _error_list(form: SurveyForm) -> list[tuple[str, str, str]]:
    return error_summary(form, SurveyForm.ORDER, _("The page was open too long. Reload it and answer again."))
