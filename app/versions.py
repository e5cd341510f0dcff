"""Optimistic versions: a change names the version of the row it read, and a change to a row someone
else has changed since is refused with the row as it is now, never written over it.

A versioned row (a ticket, a named setting: models with the `Versioned` mixin) has a `version` column
that is SQLAlchemy's `version_id_col`: every UPDATE and DELETE of it says `WHERE version = <the version
read>` and an UPDATE bumps it (a change of collections alone is bumped by hand: `bump`). A change is
refused, with the same answer, at either of two moments:

- **before it is made**: the version the caller read (`expected_version`: the body's `version`, else the
  `If-Match` header) is no longer the row's (`check`);
- **at the write**: someone else committed between our read and our write, so the UPDATE or DELETE
  matches no row and SQLAlchemy raises `StaleDataError` (`lost_race_is_stale` turns it into the answer,
  the row read again once the failed write is undone).

The answer is `StaleVersion`: a 409 whose body carries, beside the error envelope, the row as it is now
(`current`, dumped by the schema its room registered with `dump_current_with`), so the client can show
what changed and apply its change again. A change that names no version is a 428 (`VersionRequired`).
Answers carrying one versioned row send its version as `ETag` (`response`), and `changes_version`
documents a versioned change in the OpenAPI document: the `If-Match` header, the 409 and the 428. A
read (`conditional_read`) answers `If-None-Match` naming the current version with 304 and no body, so a
client polling a row it holds pays for nothing when nobody changed it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from app.errors import AppError, Conflict, error_response
from app.extensions import ErrorSchema
from app.unit_of_work import roll_back

Row = TypeVar("Row")

_EXTENSION = "versions"  # app.extensions: model class -> the schema instance its `current` is dumped by

IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": 'The version you read (`3`, `"3"` or `W/"3"`, as the `ETag` sent it); a `version` '
    "field in the body, where the body has one, is read first.",
    "schema": {"type": "string"},
}
ETAG_HEADER = {
    "description": 'The version of the answer\'s row, as `W/"3"`: send it back as `If-Match` to change it.',
    "schema": {"type": "string"},
}
IF_NONE_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": 'The `ETag` of the copy you hold (`W/"3"`): while it is still the current version, the '
    "answer is 304 without a body.",
    "schema": {"type": "string"},
}
_VERSION_REQUIRED_DOC = "No version given (If-Match header or `version` field)."


class Versioned:
    """A model mixin: the `version` column, which SQLAlchemy checks and bumps (`version_id_col`).

    The ORM adds `WHERE version = <loaded>` to every UPDATE and DELETE of the row and bumps it on an
    UPDATE: a write based on a stale read fails (`StaleDataError`) instead of silently overwriting
    someone else's change.
    """

    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def version_field() -> fields.Int:
    """The `version` field of a change's body: the version the caller read."""
    return fields.Int(
        validate=validate.Range(min=1),
        metadata={"description": "The version you read; or send it in the If-Match header."},
    )


class VersionRequired(AppError):
    status = 428

    def __init__(self) -> None:
        super().__init__(
            _l("Say which version you are changing: send If-Match: <version> or a `version` field."),
            {"version": [_l("Send the version you read (If-Match header or version field).")]},
        )


class StaleVersion(Conflict):
    """Someone changed the row since the caller read it; `current` is the row as it is now.

    `what` names the row in the message ("Ticket T-1042", "Queue 7")."""

    def __init__(self, current: Any, what: str):
        super().__init__(
            _l(
                "%(what)s was changed by someone else (now version %(version)s); reload it and apply your "
                "change again.",
                what=what,
                version=current.version,
            ),
            {"version": [_l("Current version is %(version)s.", version=current.version)]},
        )
        self.current = current


def expected_version(data: dict[str, Any] | None = None) -> int:
    """The version the caller read: the body's `version` (taken out of `data`, which then holds only
    the changes), else the If-Match header (`3`, `"3"`, `W/"3"`); neither is a 428."""
    if data is not None and "version" in data:
        return data.pop("version")
    header = request.headers.get("If-Match", "").strip()
    header = header.removeprefix("W/").strip('"')
    if header.isascii() and header.isdigit():
        return int(header)
    raise VersionRequired()


def check(row: Row, expected: int | None, stale: Callable[[Row], StaleVersion]) -> None:
    """Refuse with `stale(row)` unless the caller read the row's version. No version (`None`: the demo
    loader, the command line, steps of other use cases) is no check; the write still refuses a lost
    race."""
    if expected is not None and row.version != expected:  # type: ignore[attr-defined]
        raise stale(row)


@contextmanager
def lost_race_is_stale(reload: Callable[[], Row], stale: Callable[[Row], StaleVersion]) -> Iterator[None]:
    """Around the writes of a change (its flushes and its commit): a write that lost its race to
    another's commit is undone (`app.unit_of_work.roll_back`) and raised as `stale(reload())`, the row
    as it is now. `reload` answers 404 if the winner deleted it."""
    try:
        yield
    except StaleDataError as lost_race:
        roll_back()
        raise stale(reload()) from lost_race


def bump(row: Any, read: int) -> None:
    """Make a change the row's next version although it may write none of the row's columns.

    SQLAlchemy bumps the version when it writes a column; a change of a collection only (a team's
    members, a queue's skills) writes other tables' rows, so it would neither get a new version nor
    be checked against the one read. Setting the version by hand (SQLAlchemy's supported "manual bump")
    makes the write an UPDATE of the row `WHERE version = <read>`. A row already written in this change
    (a flush) has its new version already, and one change is one version.
    """
    if row.version == read:
        row.version = read + 1


def etag(row: Any) -> str:
    # Weak: the answer holds more than the row (a ticket's SLA targets, a team's members' names), and
    # that may change without a new version. It names the version, not the bytes.
    return f'W/"{row.version}"'


def response(blueprint: Any, schema: type[Schema] | Schema, status: int = 200) -> Callable:
    """`blueprint.response(status, schema)` for a view answering with one versioned row: the answer
    also carries the row's version as `ETag`, and says so in the API document."""
    respond = blueprint.response(status, schema, headers={"ETag": ETAG_HEADER})

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def tagged(*args: Any, **kwargs: Any) -> Any:
            row = view(*args, **kwargs)
            return row, {"ETag": etag(row)}

        return respond(tagged)

    return decorate


def conditional_read(blueprint: Any, schema: type[Schema] | Schema) -> Callable:
    """`response` for a GET of one versioned row that also answers `If-None-Match`: naming the row's
    version (weakly, as `ETag` sent it, or `*`) gets 304 with the `ETag` and no body. The view still
    loads the row first, so whoever may not see it gets the view's 404, never a 304."""
    respond = blueprint.response(200, schema, headers={"ETag": ETAG_HEADER})

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def unless_unchanged(*args: Any, **kwargs: Any) -> Any:
            row = view(*args, **kwargs)
            if request.if_none_match.contains_weak(str(row.version)):
                return Response(status=304, headers={"ETag": etag(row)})
            return row, {"ETag": etag(row)}

        documented = blueprint.alt_response(
            304,
            description="Not modified: `If-None-Match` names the current version.",
            headers={"ETag": ETAG_HEADER},
        )(respond(unless_unchanged))
        # The view takes no query or header arguments of its own (path parameters are on the path).
        return blueprint.doc(parameters=[IF_NONE_MATCH_PARAMETER])(documented)

    return decorate


@functools.cache
def stale_schema(schema: type[Schema]) -> type[Schema]:
    """The 409 body of a stale change to a `schema` row: the error envelope and `current`. One class per
    schema, so the API document has one component each (`StaleQueue`, ...)."""
    name = schema.__name__.removesuffix("Schema")
    return type(
        f"Stale{name}Schema",
        (ErrorSchema,),
        {
            "current": fields.Nested(
                schema, metadata={"description": "With a stale version: the row as it is now."}
            )
        },
    )


def changes_version(
    blueprint: Any, schema: type[Schema], *, what: str, conflicts: str | None = None
) -> Callable:
    """Documents a view that changes a versioned row: the If-Match header, the 428 without a version,
    and the 409 of a stale one, its body carrying `current` (`schema`). `what` names the row ("the
    queue"), `conflicts` the view's other 409s."""
    stale = f"Stale version: the body's `current` is {what} as it is now"
    description = f"{stale}; or {conflicts}." if conflicts else f"{stale}."

    def decorate(view: Callable) -> Callable:
        view = blueprint.alt_response(428, schema=ErrorSchema, description=_VERSION_REQUIRED_DOC)(view)
        view = blueprint.alt_response(409, schema=stale_schema(schema), description=description)(view)
        # A view's `parameters` doc replaces what flask-smorest would list: these views take no query
        # or header arguments of their own (path parameters are documented on the path).
        return blueprint.doc(parameters=[IF_MATCH_PARAMETER])(view)

    return decorate


def dump_current_with(app: Flask, schemas: Mapping[type, Schema]) -> None:
    """Name the schema each model's rows are dumped by as a stale change's `current` (a room's models)."""
    app.extensions.setdefault(_EXTENSION, {}).update(schemas)


def _answer_stale(error: StaleVersion):
    # The 409 carries the row as it is now, so the client can show what changed and retry.
    schema = current_app.extensions[_EXTENSION][type(error.current)]
    return error_response(409, error.message, error.errors, {"current": schema.dump(error.current)})


def init_app(app: Flask) -> None:
    app.extensions.setdefault(_EXTENSION, {})
    app.register_error_handler(StaleVersion, _answer_stale)
