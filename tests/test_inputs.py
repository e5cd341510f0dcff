"""No input gets a 500: ids beyond what the database stores, text it cannot store (a NUL, a lone
surrogate) and JSON nested thousands deep are refused with a 4xx naming the field, before anything is
written, on SQLite and PostgreSQL alike, by the API and by the pages."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.accounts.models import Agent, Team
from app.customers.models import Customer
from app.extensions import db
from app.inputs import MAX_ID, MAX_JSON_DEPTH, read_json
from app.tickets.models import Comment, Queue, Ticket
from app.tickets.search.models import SavedView
from app.tickets.sla.models import SlaPolicy
from tests.customer_factories import CustomerFactory
from tests.helpers import csrf_token_from, signed_in
from tests.ticket_factories import TicketFactory

TOO_BIG = 2**63  # beyond even a 64-bit column: SQLite raised OverflowError binding it
LONE_SURROGATE = '"x\\ud800y"'  # JSON text as a client sends it; json.dumps could not write it
DEEP = '{"a":' * 3000 + "1" + "}" * 3000


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _raw(client, method: str, path: str, text: str):
    return client._call(method, path, data=text, content_type="application/json")


# -- ids ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/agents?team_id={TOO_BIG}", "team_id"),
        (f"/api/v1/tickets?customer_id={TOO_BIG}", "customer_id"),
        (f"/api/v1/settings-changes?actor_id={TOO_BIG}", "actor_id"),
        (f"/api/v1/settings-changes?setting_id={MAX_ID + 1}", "setting_id"),
    ],
)
def test_an_id_beyond_the_storable_range_in_a_query_is_422_naming_it(as_admin, path, field):
    response = as_admin.get(path)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    ("path", "body", "field", "model"),
    [
        ("/api/v1/teams", {"name": "T", "member_ids": [TOO_BIG]}, "member_ids", Team),
        (
            "/api/v1/agents",
            {"name": "A", "email": "a@example.org", "password": "password123", "team_ids": [TOO_BIG]},
            "team_ids",
            Agent,
        ),
        ("/api/v1/queues", {"name": "Q", "team_id": TOO_BIG}, "team_id", Queue),
        ("/api/v1/tickets", {"subject": "S", "customer_id": TOO_BIG}, "customer_id", Ticket),
        ("/api/v1/tickets", {"subject": "S", "customer_id": 1, "queue_id": MAX_ID + 1}, "queue_id", Ticket),
        ("/api/v1/sla-policies", {"name": "P", "calendar_id": TOO_BIG}, "calendar_id", SlaPolicy),
        ("/api/v1/sla-policies", {"name": "P", "queue_id": TOO_BIG}, "queue_id", SlaPolicy),
    ],
)
def test_an_id_beyond_the_storable_range_in_a_body_is_422_naming_it(as_admin, path, body, field, model):
    before = _count(model)

    response = as_admin.post(path, json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert _count(model) == before


@pytest.mark.parametrize("path", ["/customers", "/tickets", "/admin/settings-changes"])
@pytest.mark.parametrize("page", [TOO_BIG, 0])
def test_a_list_page_refuses_a_page_number_out_of_range_naming_it(client, admin, path, page):
    browser = signed_in(client, admin)

    response = browser.get(f"{path}?page={page}")

    assert response.status_code == 422
    assert "<code>page</code>" in response.get_data(as_text=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_integer_a_request_sends_is_bounded_in_the_api_document(client):
    """An `Id` field documents its range; an integer without one would reach the database unbounded."""
    spec = client.get("/api/v1/openapi.json").json
    components = spec["components"]["schemas"]
    # Reasons these are unbounded: a page past the end is answered empty without a query, and a
    # version is compared with the row's in Python (a wrong one is stale: 409).
    unbounded_on_purpose = {"page", "version"}

    def unbounded(schema, name, seen=frozenset()):
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[-1]
            return [] if ref in seen else unbounded(components[ref], name, seen | {ref})
        if schema.get("readOnly"):
            return []
        found = []
        kind = schema.get("type")
        if (kind == "integer" or "integer" in (kind or [])) and "maximum" not in schema:
            found.append(name)
        if "items" in schema:
            found += unbounded(schema["items"], name, seen)
        for prop, inner in schema.get("properties", {}).items():
            found += unbounded(inner, prop, seen)
        return found

    found = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                found.update(unbounded(parameter.get("schema", {}), parameter["name"]))
            for body in operation.get("requestBody", {}).get("content", {}).values():
                found.update(unbounded(body["schema"], "body"))
    assert found - unbounded_on_purpose == set()
    assert found  # the walk saw the paging parameters


# -- text the database cannot store --------------------------------------------------------------------


@pytest.fixture
def ticket(app):
    return TicketFactory(customer=CustomerFactory())


@pytest.mark.parametrize("bad", [LONE_SURROGATE, '"x\\u0000y"'], ids=["lone surrogate", "NUL"])
@pytest.mark.parametrize(
    ("method", "path", "body", "field", "model"),
    [
        ("POST", "/api/v1/customers", '{"name": BAD}', "name", Customer),
        ("POST", "/api/v1/tickets", '{"subject": BAD, "customer_id": CUSTOMER}', "subject", Ticket),
        (
            "POST",
            "/api/v1/tickets",
            '{"subject": "S", "description": BAD, "customer_id": CUSTOMER}',
            "description",
            Ticket,
        ),
        ("POST", "/api/v1/tickets/{ticket}/comments", '{"body": BAD}', "body", Comment),
        ("POST", "/api/v1/views", '{"name": BAD, "filters": {}}', "name", SavedView),
    ],
)
def test_text_the_database_cannot_store_in_a_json_body_is_422_naming_the_field(
    as_admin, ticket, bad, method, path, body, field, model
):
    before = _count(model)
    ids = {"customer": ticket.customer_id, "ticket": ticket.id}

    text = body.replace("BAD", bad).replace("CUSTOMER", str(ids["customer"]))

    response = _raw(as_admin, method, path.format(**ids), text)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert _count(model) == before


def test_bad_text_is_named_where_it_sits_in_a_nested_body(as_admin, ticket):
    body = f'{{"subject": "S", "customer_id": {ticket.customer_id}, "tags": ["ok", "a\\u0000"]}}'

    response = _raw(as_admin, "POST", "/api/v1/tickets", body)

    assert response.status_code == 422
    assert response.json["errors"] == {"tags": {"1": ["Must not contain NUL characters."]}}


def test_a_changed_name_with_a_lone_surrogate_leaves_the_customer_as_it_was(as_admin, ticket):
    path = f"/api/v1/customers/{ticket.customer_id}"
    name = as_admin.get(path).json["name"]

    response = _raw(as_admin, "PATCH", path, f'{{"name": {LONE_SURROGATE}}}')

    assert response.status_code == 422
    assert "name" in response.json["errors"]
    assert as_admin.get(path).json["name"] == name


def test_escaped_text_that_is_valid_unicode_is_accepted(as_admin, ticket):
    # A client escaping everything but ASCII (Python's json.dumps does) sends emoji as surrogate pairs.
    body = json.dumps({"subject": "Refund 😀 发票", "customer_id": ticket.customer_id})

    response = _raw(as_admin, "POST", "/api/v1/tickets", body)

    assert response.status_code == 201, response.json
    assert response.json["subject"] == "Refund 😀 发票"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/tickets?q=a%00b", "q"),
        ("/api/v1/tickets?tag=a%00", "tag"),
        ("/api/v1/customers?q=a%00", "q"),
    ],
)
def test_a_nul_in_a_query_string_is_422_naming_the_parameter(as_admin, path, field):
    response = as_admin.get(path)

    assert response.status_code == 422
    assert field in response.json["errors"]


def test_a_nul_in_a_form_field_is_refused_naming_the_field(client, admin):
    browser = signed_in(client, admin)
    token = csrf_token_from(browser.get("/customers/new").get_data(as_text=True))

    response = browser.post("/customers/new", data={"csrf_token": token, "name": "Ada\x00Lovelace"})

    assert response.status_code == 422
    assert "<code>name</code>" in response.get_data(as_text=True)
    assert _count(Customer) == 0


def test_a_nul_in_the_filters_a_page_saves_as_a_view_is_refused(client, admin):
    browser = signed_in(client, admin)
    token = csrf_token_from(browser.get("/tickets").get_data(as_text=True))

    response = browser.post("/tickets/views", data={"csrf_token": token, "name": "V", "query": "q=a%00b"})

    assert response.status_code == 422
    assert "<code>q</code>" in response.get_data(as_text=True)
    assert _count(SavedView) == 0


# -- nesting -------------------------------------------------------------------------------------------


def _says_too_deep(response) -> bool:
    return response.status_code == 400 and f"deeper than {MAX_JSON_DEPTH}" in response.json["message"]


def test_deeply_nested_json_is_refused_before_a_ticket_is_opened(as_admin):
    response = _raw(as_admin, "POST", "/api/v1/tickets", DEEP)

    assert _says_too_deep(response), response.json
    assert _count(Ticket) == 0


def test_deeply_nested_json_is_refused_before_a_customer_changes(as_admin, ticket):
    response = _raw(as_admin, "PATCH", f"/api/v1/customers/{ticket.customer_id}", DEEP)

    assert _says_too_deep(response), response.json


def test_deeply_nested_json_is_refused_without_signing_in(client):
    response = client.post("/api/v1/auth/token", data=DEEP, content_type="application/json")

    assert _says_too_deep(response), response.json


def test_nesting_is_refused_just_past_the_limit_and_named(as_admin):
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    body = f'{{"subject": "S", "custom_fields": {{"x": {nested}}}}}'

    response = _raw(as_admin, "POST", "/api/v1/tickets", body)

    assert _says_too_deep(response), response.json
    assert response.json["errors"] == {"json": [f"Nested deeper than {MAX_JSON_DEPTH} levels."]}


def test_a_body_within_the_limit_parses_as_it_is():
    text = '{"a": ' * (MAX_JSON_DEPTH - 1) + "[1]" + "}" * (MAX_JSON_DEPTH - 1)

    assert read_json(text) == json.loads(text)
