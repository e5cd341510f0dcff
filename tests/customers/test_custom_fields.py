"""Custom fields: supervisors define them, every customer write is checked against the definitions."""

from __future__ import annotations

import pytest

from tests.customer_factories import CustomerFactory, FieldDefinitionFactory

URL = "/api/v1/customers"


@pytest.fixture
def definitions(app):
    FieldDefinitionFactory(key="tier", type="choice", choices=["gold", "silver"], required=True)
    FieldDefinitionFactory(key="seats", type="number")
    FieldDefinitionFactory(key="renewal", type="date")
    FieldDefinitionFactory(key="reseller", type="boolean")
    FieldDefinitionFactory(key="account_manager", type="text")


def test_valid_custom_fields_are_stored(as_agent, definitions):
    response = as_agent.post(
        URL,
        json={
            "name": "Acme buyer",
            "custom_fields": {"tier": "gold", "seats": 25, "renewal": "2026-01-31", "reseller": False},
        },
    )

    assert response.status_code == 201, response.json
    assert response.json["custom_fields"] == {
        "tier": "gold",
        "seats": 25,
        "renewal": "2026-01-31",
        "reseller": False,
    }


@pytest.mark.parametrize(
    ("custom_fields", "errors"),
    [
        ({"tier": "gold", "colour": "red"}, {"colour": ["Unknown field."]}),
        ({"tier": "bronze"}, {"tier": ["Must be one of: gold, silver."]}),
        ({"tier": "gold", "seats": "many"}, {"seats": ["Must be a number."]}),
        ({"tier": "gold", "seats": True}, {"seats": ["Must be a number."]}),
        ({"tier": "gold", "renewal": "31/01/2026"}, {"renewal": ["Must be a date as YYYY-MM-DD."]}),
        ({"tier": "gold", "reseller": "yes"}, {"reseller": ["Must be true or false."]}),
        ({"tier": "gold", "account_manager": 7}, {"account_manager": ["Must be text."]}),
        ({"seats": 3}, {"tier": ["Required."]}),
        ({}, {"tier": ["Required."]}),
    ],
)
def test_invalid_custom_fields_are_422_per_key(as_agent, definitions, custom_fields, errors):
    response = as_agent.post(URL, json={"name": "X", "custom_fields": custom_fields})

    assert response.status_code == 422
    assert response.json["errors"] == {"custom_fields": errors}


def test_patch_sets_and_removes_keys_and_keeps_the_rest(as_agent, definitions):
    customer = CustomerFactory(custom_fields={"tier": "gold", "seats": 3})

    response = as_agent.patch(
        f"{URL}/{customer.id}", json={"custom_fields": {"seats": None, "reseller": True}}
    )

    assert response.status_code == 200
    assert response.json["custom_fields"] == {"tier": "gold", "reseller": True}


def test_a_new_required_field_does_not_block_other_edits(as_agent, definitions):
    customer = CustomerFactory(custom_fields={})

    assert as_agent.patch(f"{URL}/{customer.id}", json={"name": "Renamed"}).status_code == 200
    response = as_agent.patch(f"{URL}/{customer.id}", json={"custom_fields": {"seats": 1}})
    assert response.json["errors"] == {"custom_fields": {"tier": ["Required."]}}


def test_supervisors_define_fields_and_everyone_lists_them(as_supervisor, as_agent):
    response = as_supervisor.post(
        f"{URL}/fields", json={"key": "plan", "label": "Plan", "type": "choice", "choices": ["free", "pro"]}
    )

    assert response.status_code == 201, response.json
    listed = as_agent.get(f"{URL}/fields").json
    assert [(f["key"], f["type"], f["choices"], f["required"]) for f in listed] == [
        ("plan", "choice", ["free", "pro"], False)
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Plan!", "label": "Plan", "type": "text"}, "key"),
        ({"key": "plan\n", "label": "Plan", "type": "text"}, "key"),
        ({"key": "plan", "label": "Pl\u0000an", "type": "text"}, "label"),
        ({"key": "plan", "label": "Plan", "type": "colour"}, "type"),
        ({"key": "plan", "label": "Plan", "type": "choice"}, "choices"),
        ({"key": "plan", "label": "Plan", "type": "text", "choices": ["a"]}, "choices"),
        ({"key": "plan", "label": "Plan", "type": "choice", "choices": ["a", "a"]}, "choices"),
        ({"key": "plan", "label": "   ", "type": "text"}, "label"),
        ({"key": "plan", "type": "text"}, "label"),
    ],
)
def test_bad_field_definitions_are_422(as_supervisor, body, field):
    response = as_supervisor.post(f"{URL}/fields", json=body)

    assert response.status_code == 422
    assert field in response.json["errors"]


def test_a_field_key_is_defined_once(as_supervisor):
    FieldDefinitionFactory(key="plan")

    response = as_supervisor.post(f"{URL}/fields", json={"key": "plan", "label": "Plan", "type": "text"})

    assert response.status_code == 409
