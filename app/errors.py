"""The one error envelope: `{"code", "message", "errors"}` for the API, an HTML page for people.

Services raise the `AppError` subclasses below; adapters never build error responses themselves.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from app.extensions import db
from app.forms import flat_messages


class AppError(Exception):
    """A failure the caller can act on, mapped to an HTTP status."""

    status = 400

    def __init__(self, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Invalid(AppError):
    """The input is well-formed but breaks a rule (field messages in `errors`)."""

    status = 422


class NotFound(AppError):
    """Missing, or not visible to the caller: both look the same from outside."""

    status = 404


class Conflict(AppError):
    """The request collides with the current state (duplicate, stale version, lost race)."""

    status = 409


class Forbidden(AppError):
    status = 403


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(
    status: int, message: str, errors: dict[str, Any] | None = None, extra: dict[str, Any] | None = None
):
    """`extra` adds keys beside the envelope's three (e.g. the current state with a 409)."""
    if wants_json():
        return jsonify({"code": status, "message": message, "errors": errors or {}, **(extra or {})}), status
    # A page names the fields too: an address or a form no page of ours would send can still be sent.
    field_messages = [(name, " ".join(flat_messages(messages))) for name, messages in (errors or {}).items()]
    return render_template("error.html", status=status, message=message, errors=field_messages), status


def _field_messages(error: HTTPException) -> dict[str, Any]:
    """webargs reports messages per location (`json`, `query`, ...); callers want them per field."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    if not isinstance(messages, dict):
        return {}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def handle_http_exception(error: HTTPException):
    if error.code is None or error.code >= 500:
        return handle_unexpected(error)
    errors = _field_messages(error)
    message = error.description or error.name
    if error.code == 422 and errors:
        message = "The request has invalid fields."
    elif (
        error.code == 400
        and "json" in errors
        and not isinstance(errors.get("json"), dict)
        and error.description == BadRequest.description  # webargs says no more than "bad request"
    ):
        message = "The request body is not valid JSON."
    response = error_response(error.code, message, errors)
    if error.code == 405 and (allowed := error.get_headers()):
        response[0].headers.extend(h for h in allowed if h[0] == "Allow")
    return response


def handle_app_error(error: AppError):
    db.session.rollback()
    return error_response(error.status, error.message, error.errors)


def handle_integrity_error(error: IntegrityError):
    # Services check uniqueness themselves; this is the backstop for the race they cannot see.
    db.session.rollback()
    return error_response(409, "The change conflicts with existing data; reload and try again.")


def handle_data_error(error: DataError):
    # A value the schema let through but the database cannot hold (an id beyond its integer range,
    # say): the caller's input, so a 422 rather than a 500.
    db.session.rollback()
    return error_response(422, "A value is out of the range the database can store.")


def handle_unexpected(error: Exception):
    db.session.rollback()
    if not isinstance(error, HTTPException):
        from flask import current_app

        current_app.logger.exception("Unhandled error", exc_info=error)
    return error_response(500, InternalServerError.description)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_data_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
