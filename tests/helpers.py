"""Small helpers that keep tests about behaviour rather than plumbing."""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.accounts import services as accounts
from app.extensions import db
from tests.factories import PASSWORD


class ApiClient:
    """A test client that sends a bearer token of one agent on every request."""

    def __init__(self, client: FlaskClient, token: str):
        self.client = client
        self.token = token

    @classmethod
    def for_agent(cls, app: Flask, agent) -> ApiClient:
        _token, raw = accounts.create_api_token(agent.id, name="test")
        return cls(app.test_client(), raw)

    def _call(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, path: str, **fields):
    """POST `fields` to the form page at `path`, with the CSRF token its GET hands out."""
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def version_shown(html: str) -> int:
    """The version a settings page's form carries in its hidden field."""
    match = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html)
    assert match, "no version field"
    return int(match.group(1))


def sign_in(client: FlaskClient, email: str, password: str):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def signed_in(client: FlaskClient, agent) -> FlaskClient:
    """The client, signed in through the login page as a factory-made agent (their factory password)."""
    response = sign_in(client, agent.email, PASSWORD)
    assert response.status_code == 302
    return client


@contextmanager
def captured(signal):
    """Collect `(sender, kwargs)` of every send of `signal` inside the block."""
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield seen
    finally:
        signal.disconnect(receiver)


@contextmanager
def statements_seen(engine):
    """Collect the SQL text of every statement `engine` executes inside the block."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def nothing_pending() -> bool:
    """Whether the session holds nothing a later commit would write: no staged objects, no changes,
    and no open transaction (where flushed rows could wait for a commit)."""
    session = db.session()
    return not (session.new or session.dirty or session.deleted) and not session.in_transaction()


def undocumented_nulls(client: FlaskClient, schema_name: str, answer: dict) -> set[str]:
    """Fields of an API answer that are null where the OpenAPI document's schema does not allow it."""
    properties = client.get("/api/v1/openapi.json").json["components"]["schemas"][schema_name]["properties"]

    def nullable(prop: dict) -> bool:
        # apispec documents a nullable nested schema as `anyOf: [{$ref}, {nullable: true}]`.
        return prop.get("nullable", False) or any(nullable(branch) for branch in prop.get("anyOf", []))

    return {name for name, value in answer.items() if value is None and not nullable(properties[name])}
