"""The one error envelope: `{"code", "message", "errors"}` for the API, an HTML page for people.

Services raise the `AppError` subclasses below; adapters never build error responses themselves.
Their messages are marked with `flask_babel.lazy_gettext` (placeholders named) and stay lazy until they
are shown: the API renders them in English (`in_english`), a page in its reader's language (`shown`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from app.extensions import db
from app.forms import flat_messages, page_messages
from app.i18n import visitor_language


class AppError(Exception):
    """A failure the caller can act on, mapped to an HTTP status."""

    status = 400

    def __init__(self, message: str | LazyString, errors: dict[str, Any] | None = None):
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


def shown(value: Any) -> Any:
    """Messages (a text, or lists and dicts of them) rendered in the current language."""
    if isinstance(value, dict):
        return {key: shown(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [shown(item) for item in value]
    if isinstance(value, LazyString):
        return str(value)
    return value


def in_english(value: Any) -> Any:
    """Messages as the API sends and records keep them: in English, whoever asked."""
    with force_locale("en"):
        return shown(value)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(
    status: int,
    message: str | LazyString | None,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
):
    """`extra` adds keys beside the envelope's three (e.g. the current state with a 409)."""
    if wants_json():
        envelope = in_english({"code": status, "message": message, "errors": errors or {}})
        return jsonify({**envelope, **(extra or {})}), status
    # A page names the fields too: an address or a form no page of ours would send can still be sent.
    message = str(message) if message is not None else None
    field_messages = [
        (name, " ".join(str(text) for text in flat_messages(page_messages(messages))))
        for name, messages in (errors or {}).items()
    ]
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
    if not wants_json() and message == type(error).description:
        # Werkzeug's stock English sentence: the page says it in the reader's language by its status.
        message = None
    if error.code == 422 and errors:
        message = _l("The request has invalid fields.")
    elif (
        error.code == 400
        and "json" in errors
        and not isinstance(errors.get("json"), dict)
        and error.description == BadRequest.description  # webargs says no more than "bad request"
    ):
        message = _l("The request body is not valid JSON.")
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
    return error_response(409, _l("The change conflicts with existing data; reload and try again."))


def handle_data_error(error: DataError):
    # A value the schema let through but the database cannot hold (an id beyond its integer range,
    # say): the caller's input, so a 422 rather than a 500.
    db.session.rollback()
    return error_response(422, _l("A value is out of the range the database can store."))


def handle_unexpected(error: Exception):
    _discard_session()
    if not isinstance(error, HTTPException):
        current_app.logger.exception("Unhandled error", exc_info=error)
    return error_response(500, InternalServerError.description if wants_json() else None)


# SQLSTATE classes of failures that pass: connection exceptions, operator intervention (a shutdown or
# restart), transaction rollback (serialization, deadlock); and too many connections. Anything else a
# driver calls "operational" (a full disk, SQLite's "no such table") is a defect: a 500.
_PASSING_SQLSTATE_CLASSES = frozenset({"08", "57", "40"})
_TOO_MANY_CONNECTIONS = "53300"
DATABASE_UNAVAILABLE = "The database cannot be reached just now. Send the request again in a few seconds."


def database_unavailable(error: Exception) -> bool:
    """Whether `error` says the database is away for a moment (restarted, unreachable, its connections
    cut, out of connections, or locked on SQLite) rather than that the request or the code is wrong."""
    if isinstance(error, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate[:2] in _PASSING_SQLSTATE_CLASSES or sqlstate == _TOO_MANY_CONNECTIONS
    if type(original).__module__.startswith("sqlite3"):
        text = str(original).lower()
        return "locked" in text or "busy" in text
    # psycopg's failures to connect, or to use a connection the server closed, carry no SQLSTATE.
    return isinstance(error, InterfaceError) or type(original).__module__.startswith("psycopg")


# The errors a database away for a moment raises (`database_unavailable` tells them from defects).
DATABASE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


def handle_database_error(error: Exception, page: Callable[[], str] | None = None):
    """503 with `Retry-After` when the database is away for a moment (a restart, a failover, connections
    cut): the request's transaction died with its connection, so nothing of it was written and the
    client may send it again; SQLAlchemy has dropped the pool's connections, and the next request
    opens new ones. Any other database error is a defect: a 500.

    People get `page()` (default: a page saying to try again) rendered in the language their browser
    asks for: the layout would ask the database who is signed in, and so would a signed-in agent's
    language, so such a page must ask it nothing. A blueprint may hand its own (the form as it was sent).
    """
    if not database_unavailable(error):
        raise error  # on to Flask's handling of an unexpected error: logged, a 500
    _discard_session()
    current_app.logger.warning("Database unavailable (%s): %s", type(error).__name__, error)
    retry_after = {"Retry-After": str(current_app.config["DATABASE_RETRY_AFTER_SECONDS"])}
    if wants_json():
        return jsonify({"code": 503, "message": DATABASE_UNAVAILABLE, "errors": {}}), 503, retry_after
    with force_locale(visitor_language()):
        return (page or _unavailable_page)(), 503, retry_after


def _unavailable_page() -> str:
    return render_template("unavailable.html")


def _discard_session() -> None:
    """Undo what the failed request left in the session; a connection that died with the error may fail
    even that, and is dropped by the pool either way."""
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError, DisconnectionError):
        db.session.close()


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DataError, handle_data_error)
    for database_error in DATABASE_ERRORS:
        app.register_error_handler(database_error, handle_database_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
