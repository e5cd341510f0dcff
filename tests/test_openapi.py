"""The OpenAPI document: complete, served offline, and free of name clashes."""

import warnings

import pytest


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
        (f"{one}/macro", "post"): {"404", "409", "422"},
        ("/api/v1/tickets/bulk", "post"): {"403", "422"},
    }
    for (path, method), codes in expected.items():
        assert codes <= set(paths[path][method]["responses"]), (path, method)
