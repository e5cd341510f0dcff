"""Extension instances, created unbound here and bound to an app in `create_app`."""

import functools
import logging

from apispec import BasePlugin
from flask import Flask, request
from flask.logging import default_handler
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_smorest.pagination import PaginationMetadataSchema
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.exceptions import UnprocessableEntity

from app.inputs import InputParser

# Named constraints let Alembic alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep what they hold after a commit: a use case commits once and the view then dumps the
# result, which would otherwise re-read every row it just wrote.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
# Configured (language and time zone selection, filters) by `app.i18n.init_app`.
babel = Babel()


class ErrorSchema(Schema):
    """The error envelope every endpoint answers with (see app/errors.py); documented in the spec."""

    code = fields.Int(metadata={"description": "The HTTP status code."})
    message = fields.Str(metadata={"description": "What went wrong, for people."})
    errors = fields.Dict(metadata={"description": "Messages per field, when fields were at fault."})


class ViewDocPlugin(BasePlugin):
    """Documents what a view's decorators outside flask-smorest add to its answers.

    A view may carry `api_doc`, a dict of OpenAPI operation fields: `responses` (status to a response
    component's name) and `security`. They are added to each of its operations where the operation does
    not say otherwise, so the access rules (`app.accounts.access`) document their 401 and 403 where they
    are declared, once for every operation.
    """

    def __init__(self, app: Flask):
        self.app = app

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
        extra = getattr(view, "api_doc", None) or {}
        for operation in (operations or {}).values():
            # Any operation may meet the database away for a moment (app/errors.py).
            operation.setdefault("responses", {}).setdefault(503, DATABASE_UNAVAILABLE_RESPONSE)
            responses = operation.setdefault("responses", {})
            for status, response in extra.get("responses", {}).items():
                if status not in responses and str(status) not in responses:
                    responses[status] = response
            if "security" in extra:
                operation.setdefault("security", extra["security"])


def _decimal_as_text(_converter, field, ret, **_kwargs) -> dict:
    """A decimal sent as text (`"48250.00"`, so no cent is lost to floating point) is documented so.

    apispec documents every `Decimal` field as a number, and its bounds as the field's text. Answers
    carry the text; requests may send either (marshmallow reads both), the number within the bounds.
    """
    if not isinstance(field, fields.Decimal) or not field.as_string:
        return {}
    bounds = {key: float(ret.pop(key)) for key in ("minimum", "maximum") if key in ret}
    ret.pop("type", None)
    text = {"type": "string", "format": "decimal"}
    if field.dump_only:
        return text
    return {"anyOf": [{"type": "number", **bounds}, text]}


class _Exactly:
    """Holds only the given boolean: `1 in {True}` is true in Python, and 1 is no JSON boolean."""

    def __init__(self, value: bool):
        self.value = value

    def __contains__(self, candidate) -> bool:
        return candidate is self.value


def _take_json_types_strictly(schema: Schema) -> None:
    """A JSON body's integers and booleans are read as the document types them, not coerced.

    marshmallow reads `2.5` as the integer 2, `"5"` as 5, and `0`, `"yes"` as booleans: right for query
    strings, where everything is text, but a body whose types break the document gets its 422. Each
    endpoint parses with its own schema instance (and field copies), so this changes no other reading.
    """
    for field in schema.fields.values():
        _take_field_strictly(field)


def _take_field_strictly(field: fields.Field) -> None:
    if isinstance(field, fields.Integer):
        field.strict = True
    elif isinstance(field, fields.Boolean):
        field.truthy, field.falsy = _Exactly(True), _Exactly(False)
    elif isinstance(field, fields.Nested):
        _take_json_types_strictly(field.schema)
    elif isinstance(field, fields.List):
        _take_field_strictly(field.inner)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        _take_field_strictly(field.value_field)


def _refusing_empty_changes(view):
    """A PATCH that names no field would change nothing and answer 200 as if it had: refuse it.

    Every field of a change is optional, so the schema cannot say it. This runs after the parser, on
    what it read (a missing body reads as no fields), so the body is parsed once and a body that is not
    JSON keeps the parser's 400.
    """

    @functools.wraps(view)
    def refuse_empty_changes(*args, **kwargs):
        # webargs hands the parsed body on as the last positional argument.
        if request.method == "PATCH" and not args[-1]:
            raise UnprocessableEntity("Name at least one field to change.")
        return view(*args, **kwargs)

    return refuse_empty_changes


DATABASE_UNAVAILABLE_RESPONSE = "DatabaseUnavailable"


class SwitchboardApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        super().init_app(app, spec_kwargs={"extra_plugins": [ViewDocPlugin(app)], **(spec_kwargs or {})})
        self.ma_plugin.converter.add_attribute_function(_decimal_as_text)
        self.spec.components.response(
            DATABASE_UNAVAILABLE_RESPONSE,
            {
                "description": "The database cannot be reached for a moment (a restart, a failover). "
                "Nothing of the request was written: send it again after `Retry-After` seconds.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before sending the request again.",
                        "schema": {"type": "integer"},
                    }
                },
                "content": {"application/json": {"schema": ErrorSchema}},
            },
        )


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint, parsing every request to an endpoint with one schema instance, JSON
    bodies through `app.inputs` (no NUL, no lone surrogate, bounded nesting).

    Given a schema class, webargs makes a new instance for each request, copying every field: about a
    tenth of a ticket creation's instructions. A marshmallow 4 schema keeps no state between loads, so one
    instance serves every request and thread.
    """

    ARGUMENTS_PARSER = InputParser()

    def arguments(self, schema, **kwargs):
        schema = schema() if isinstance(schema, type) else schema
        parse = super().arguments(schema, **kwargs)
        if kwargs.get("location", "json") != "json":
            return parse
        _take_json_types_strictly(schema)
        return lambda view: parse(_refusing_empty_changes(view))

    def _document_pagination_metadata(self, spec, resp_doc):
        # flask-smorest sends the header as JSON text but documents it as an object, which a header
        # would carry as `key,value,...`; a header's `content` says that its value is JSON.
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Paging: `total`, `total_pages`, `first_page`, `last_page`, `page`, "
            "`previous_page`, `next_page`, as JSON.",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }


api = SwitchboardApi()
# The client address comes from ProxyFix (configured by TRUSTED_PROXY_COUNT), never straight from a
# header a client can forge.
limiter = Limiter(key_func=get_remote_address)


def init_limiter(app: Flask) -> None:
    """Bind the limiter: counts in Redis, shared by every web process; in this process's memory while
    Redis is out of reach.

    Flask-Limiter's in-memory fallback: the first request whose count fails in Redis marks the storage
    dead, and from then on every limit (the views' own, shared ones and all) counts in a memory store of
    this process, so a flood is still refused, by each process on its own. It pings Redis again after
    1, 2, 4... 32 seconds, from a request, and counts there again once Redis answers. The timeouts bound
    each try, so a Redis that does not answer costs a request seconds, not the request.
    """
    config = app.config
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if not config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {
                "socket_connect_timeout": config["REDIS_CONNECT_TIMEOUT_SECONDS"],
                "socket_timeout": config["REDIS_SOCKET_TIMEOUT_SECONDS"],
            },
        )
    limiter.init_app(app)
    # It says when it falls back to memory (a warning) and when Redis is back (information) on a
    # logger of its own that has only a NullHandler: under gunicorn nobody would read either. Those two
    # go where the app's own lines go; its line for every refused request stays out.
    log = logging.getLogger(LIMITER_LOGGER)
    log.setLevel(logging.INFO)
    log.addFilter(_storage_news)
    if default_handler not in log.handlers:
        log.addHandler(default_handler)


LIMITER_LOGGER = "flask-limiter"


def _storage_news(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or "storage" in str(record.msg)
