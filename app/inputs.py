"""What every request's input must be before any room sees it.

Bad input is the caller's mistake and gets a 4xx naming the field, never a 500 from deep inside a
library or the database, and on SQLite as on PostgreSQL:

- **Ids** are `Id` fields: 1 to `MAX_ID`, what the INTEGER primary keys store (SQLite would raise
  OverflowError binding 2**63, PostgreSQL a DataError naming no field).
- **Text** holds no NUL character (PostgreSQL refuses it in text columns; SQLite stores it) and no lone
  surrogate (a JSON `"\\ud800"` escape decodes to one; it cannot be encoded as UTF-8 to be stored).
- **JSON bodies** nest at most `MAX_JSON_DEPTH` containers deep: Python's parser and every step after it
  recurse, and a few thousand levels would exhaust the stack.

JSON bodies are checked by `InputParser`, the arguments parser of every API blueprint; query strings
and form fields (API and pages alike) by a `before_request` hook that `init_app` installs, and a query
string carried inside a form field by `refuse_nul` when it is read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, UnprocessableEntity

# Primary keys are INTEGER columns: 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32

NUL_MESSAGE = _l("Must not contain NUL characters.")
SURROGATE_MESSAGE = _l("Must be valid Unicode text.")
TOO_DEEP_MESSAGE = _l("Nested deeper than %(depth)s levels.", depth=MAX_JSON_DEPTH)

# Both can reach a decoded JSON string only through a \u escape: a raw control character is not valid
# JSON and a raw surrogate is not valid UTF-8. Form fields and query strings are decoded with
# replacement characters, so only NUL reaches them.
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# The escapes that decode to one (a pair of surrogates, an emoji escaped, is fine but is walked too).
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class Id(fields.Integer):
    """The id of a stored row: a whole number from 1 to `MAX_ID` (documented as such in the spec)."""

    def __init__(self, **kwargs: Any):
        in_range = validate.Range(min=1, max=MAX_ID, error=_l("Must be an id from 1 to %(max)s.", max=MAX_ID))
        super().__init__(validate=in_range, **kwargs)


class CurrencyCode(fields.String):
    """An ISO 4217 code such as USD; `usd` or ` Usd ` is read as USD rather than refused: people type
    codes in any case, and the code means the same."""

    def __init__(self, **kwargs: Any):
        code = validate.Regexp(r"[A-Z]{3}\Z", error=_l("Use a three-letter code such as USD."))
        super().__init__(validate=code, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.strip().upper() if text is not None else None


def text_problem(text: str) -> str | None:
    """What is wrong with `text` as stored text (a NUL, a lone surrogate), or None."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def _printable(name: str) -> str:
    """A field name to show in an error even when the name itself is the bad text."""
    return name.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


class TooDeep(Exception):
    pass


def _problems(value: Any, depth: int) -> Any:
    """Field messages shaped as marshmallow's (list items keyed by position), or None when all is well."""
    if isinstance(value, str):
        problem = text_problem(value)
        return [problem] if problem else None
    if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
        raise TooDeep
    found: dict[Any, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if problem := text_problem(key):
                found[_printable(key)] = [problem]
            elif inner := _problems(item, depth + 1):
                found[key] = inner
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if inner := _problems(item, depth + 1):
                found[position] = inner
    return found or None


def _too_deep() -> BadRequest:
    error = BadRequest(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    error.data = {"messages": {"json": [TOO_DEEP_MESSAGE]}}
    return error


def read_json(text: str) -> Any:
    """`text` parsed, or ValidationError with field messages for bad text, or a 400 when it nests too
    deeply. ValueError (JSONDecodeError among them) for what is not JSON."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    # Only an escape can bring a NUL or a surrogate, and a body with no more brackets than the limit
    # cannot nest deeper: most bodies (a ticket, also one with escaped Chinese) skip the walk.
    if _RISKY_ESCAPE.search(text) or text.count("{") + text.count("[") > MAX_JSON_DEPTH:
        try:
            problems = _problems(data, 1)
        except TooDeep:
            raise _too_deep() from None
        if problems:
            raise ValidationError(problems)
    return data


class InputParser(FlaskParser):
    """webargs' Flask parser reading JSON bodies through `read_json`."""

    def load_json(self, req, schema):
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        try:
            return read_json(body.decode("utf-8"))
        except ValueError:  # not JSON, not UTF-8, or an integer too long to convert
            error = BadRequest()
            error.data = {"messages": {"json": [_l("Invalid JSON body.")]}}
            raise error from None


def refuse_nul(*sources: MultiDict) -> None:
    """UnprocessableEntity naming every field of `sources` (query strings, form fields) whose name or
    value holds a NUL character."""
    problems = {
        _printable(name): [NUL_MESSAGE]
        for values in sources
        for name, value in values.items(multi=True)
        if "\x00" in name or "\x00" in value
    }
    if problems:
        error = UnprocessableEntity()
        error.data = {"messages": {"input": problems}}
        raise error


def _refuse_nul_in_query_and_form() -> None:
    # A body over the general limit is left unread: an endpoint may raise its own limit in a blueprint
    # hook (the history import does), which runs after this one; elsewhere the view's read answers 413.
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        refuse_nul(request.args)
    else:
        refuse_nul(request.args, request.form)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_in_query_and_form)
