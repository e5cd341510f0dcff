"""Custom fields in the browser: supervisors define them with the API's rules."""

from __future__ import annotations

import pytest

from app.customers import services
from app.customers.models import CustomFieldDefinition
from app.extensions import db
from tests.helpers import csrf_token_from, signed_in


@pytest.fixture
def browser(client, supervisor):
    return signed_in(client, supervisor)


def _post(client, **fields):
    path = "/settings/custom-fields/new"
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _definition(key: str) -> CustomFieldDefinition | None:
    return db.session.scalar(db.select(CustomFieldDefinition).where(CustomFieldDefinition.key == key))


def test_a_field_of_choices_takes_one_choice_per_line(browser):
    answer = _post(browser, key="plan", label="Plan", type="choice", choices="Free\r\nPro\r\n", required="y")

    assert answer.status_code == 302
    definition = _definition("plan")
    assert (definition.type, definition.choices, definition.required) == ("choice", ["Free", "Pro"], True)
    listing = browser.get("/settings/custom-fields").get_data(as_text=True)
    assert "Plan" in listing and "Free, Pro" in listing


def test_a_key_the_api_refuses_comes_back_beside_the_key(browser):
    answer = _post(browser, key="Plan Name", label="Plan", type="text")

    assert answer.status_code == 422
    assert 'id="key-errors"' in answer.get_data(as_text=True)
    assert _definition("Plan Name") is None


def test_a_key_in_use_is_refused(browser, supervisor):
    services.create_field_definition(key="plan", label="Plan", type="text", actor=supervisor)

    answer = _post(browser, key="plan", label="Other plan", type="text")

    assert answer.status_code == 409
    assert "Already in use." in answer.get_data(as_text=True)


def test_choices_on_a_text_field_are_the_services_refusal(browser):
    answer = _post(browser, key="plan", label="Plan", type="text", choices="Free")

    assert answer.status_code == 422
    assert "Only choice fields have choices." in answer.get_data(as_text=True)
