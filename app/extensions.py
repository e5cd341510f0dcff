"""Extension instances, created unbound here and bound to an app in `create_app`."""

from apispec import BasePlugin
from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

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
        extra = getattr(view, "api_doc", None)
        if not extra:
            return
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            for status, response in extra.get("responses", {}).items():
                if status not in responses and str(status) not in responses:
                    responses[status] = response
            if "security" in extra:
                operation.setdefault("security", extra["security"])


class SwitchboardApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        super().init_app(app, spec_kwargs={"extra_plugins": [ViewDocPlugin(app)], **(spec_kwargs or {})})


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint, parsing every request to an endpoint with one schema instance, JSON
    bodies through `app.inputs` (no NUL, no lone surrogate, bounded nesting).

    Given a schema class, webargs makes a new instance for each request, copying every field: about a
    tenth of a ticket creation's instructions. A marshmallow 4 schema keeps no state between loads, so one
    instance serves every request and thread.
    """

    ARGUMENTS_PARSER = InputParser()

    def arguments(self, schema, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


api = SwitchboardApi()
# The client address comes from ProxyFix (configured by TRUSTED_PROXY_COUNT), never straight from a
# header a client can forge.
limiter = Limiter(key_func=get_remote_address)
