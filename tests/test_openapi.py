"""The OpenAPI document: complete, served offline, and free of name clashes."""

import json
import warnings

import pytest

from tests.factories import TeamFactory


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_spec_is_served_and_lists_every_api_route(app, client):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # apispec warns when two schemas would share a name
        spec = client.get("/api/v1/openapi.json").json

    documented = set(spec["paths"])
    routes = {
        rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint.split(".")[0] != "api-docs"
    }
    assert routes <= documented
    assert "bearerAuth" in spec["components"]["securitySchemes"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_error_responses_use_the_envelope_schema(client):
    spec = client.get("/api/v1/openapi.json").json

    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "errors"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_operation_documents_the_503_of_a_database_away_for_a_moment(client):
    spec = client.get("/api/v1/openapi.json").json

    answer = spec["components"]["responses"]["DatabaseUnavailable"]
    assert "Retry-After" in answer["headers"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's, not an operation
                continue
            assert operation["responses"]["503"] == {"$ref": "#/components/responses/DatabaseUnavailable"}, (
                path,
                method,
            )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ticket_endpoints_document_their_error_responses(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    one = "/api/v1/tickets/{ticket_id}"
    expected = {
        (one, "get"): {"404"},
        (one, "patch"): {"404", "409", "422", "428"},
        (f"{one}/claim", "post"): {"404", "409"},
        (f"{one}/assign", "post"): {"403", "404", "422"},
        (f"{one}/comments", "get"): {"404"},
        (f"{one}/comments", "post"): {"404", "422"},
        (f"{one}/events", "get"): {"404"},
        (f"{one}/merge", "post"): {"404", "409", "422"},
        (f"{one}/links", "get"): {"404"},
        (f"{one}/links", "post"): {"404", "422"},
        (f"{one}/macro", "post"): {"404", "409", "422", "428"},
        ("/api/v1/tickets/bulk", "post"): {"403", "409", "422"},
        ("/api/v1/queues/{queue_id}", "patch"): {"409", "422", "428"},
        ("/api/v1/macros/{macro_id}", "patch"): {"409", "422", "428"},
        ("/api/v1/macros/{macro_id}", "delete"): {"409", "428"},
    }
    for (path, method), codes in expected.items():
        assert codes <= set(paths[path][method]["responses"]), (path, method)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_paging_header_is_documented_as_the_json_it_is(client, as_agent):
    spec = client.get("/api/v1/openapi.json").json
    header = spec["paths"]["/api/v1/teams"]["get"]["responses"]["200"]["headers"]["X-Pagination"]

    sent = as_agent.get("/api/v1/teams").headers["X-Pagination"]

    assert header["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginationMetadata"
    }
    assert json.loads(sent)["total"] == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_decimals_sent_as_text_are_documented_as_text_with_numeric_bounds(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]

    answered = schemas["Customer"]["properties"]["revenue_12m"]
    accepted = schemas["ComplaintUpdate"]["properties"]["compensation_amount"]

    assert answered["type"] == "string" and answered["format"] == "decimal"
    assert accepted["anyOf"] == [
        {"type": "number", "minimum": 0, "maximum": 10**9},
        {"type": "string", "format": "decimal"},
    ]


@pytest.mark.parametrize("body", [None, {}], ids=["no body", "empty object"])
def test_a_change_naming_no_field_is_refused(app, as_supervisor, body):
    team = TeamFactory(name="Front line")

    response = as_supervisor.patch(f"/api/v1/teams/{team.id}", **({} if body is None else {"json": body}))

    assert response.status_code == 422
    assert response.json["message"] == "Name at least one field to change."


def test_a_change_that_is_not_json_still_gets_the_parsers_400(app, as_supervisor):
    team = TeamFactory(name="Front line")

    response = as_supervisor.patch(
        f"/api/v1/teams/{team.id}", data="{name", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "field, value",
    [("first_response_seconds", 2.5), ("first_response_seconds", "60"), ("first_response_seconds", True)],
)
def test_a_body_integer_is_read_as_the_document_types_it(app, as_supervisor, field, value):
    response = as_supervisor.post("/api/v1/sla-policies", json={"name": "Gold", field: value})

    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_a_body_boolean_is_read_as_the_document_types_it(app, as_admin, value):
    body = {"label": "Loyalty number", "key": "loyalty", "type": "text", "required": value}

    response = as_admin.post("/api/v1/customers/fields", json=body)

    assert response.status_code == 422
    assert "required" in response.json["errors"]


def test_query_strings_still_read_numbers_and_booleans_from_text(app, as_supervisor):
    response = as_supervisor.get("/api/v1/customers?include_deleted=true&page=1&page_size=5")

    assert response.status_code == 200
