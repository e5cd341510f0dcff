"""The personal-data pages: the profile's export button, the erasure behind a confirmation, the access
log; supervisors and admins only, deleted customers for them only."""

from __future__ import annotations

import json

import pytest

from app.customers.models import Customer
from app.dbtypes import utcnow
from app.extensions import db
from tests.customer_factories import CustomerFactory
from tests.helpers import csrf_token_from, signed_in


@pytest.fixture
def as_supervisor_browser(client, supervisor):
    return signed_in(client, supervisor)


def test_an_agent_sees_no_personal_data_actions(client, agent):
    customer = CustomerFactory(name="Jo Plain")
    browser = signed_in(client, agent)

    page = browser.get(f"/customers/{customer.id}").get_data(as_text=True)

    assert "Jo Plain" in page
    assert f"/customers/{customer.id}/export" not in page and f"/customers/{customer.id}/erase" not in page
    assert browser.get(f"/customers/{customer.id}/accesses").status_code == 403
    assert browser.get(f"/customers/{customer.id}/erase").status_code == 403


def test_the_export_button_downloads_the_file(as_supervisor_browser):
    customer = CustomerFactory(name="Jo Export", emails=["jo@example.com"])
    page = as_supervisor_browser.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'action="/customers/{customer.id}/export"' in page

    response = as_supervisor_browser.post(
        f"/customers/{customer.id}/export", data={"csrf_token": csrf_token_from(page)}
    )

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.get_data(as_text=True))["customer"]["name"] == "Jo Export"


def test_the_export_without_a_csrf_token_downloads_nothing(as_supervisor_browser):
    customer = CustomerFactory()

    response = as_supervisor_browser.post(f"/customers/{customer.id}/export")

    assert response.status_code in (302, 400)
    assert "Content-Disposition" not in response.headers


def test_the_erasure_asks_for_confirmation(as_supervisor_browser):
    customer = CustomerFactory(name="Jo Erase")
    page = as_supervisor_browser.get(f"/customers/{customer.id}/erase").get_data(as_text=True)
    assert "cannot be undone" in page

    refused = as_supervisor_browser.post(
        f"/customers/{customer.id}/erase", data={"csrf_token": csrf_token_from(page)}
    )

    assert refused.status_code == 422
    assert db.session.get(Customer, customer.id).name == "Jo Erase"

    done = as_supervisor_browser.post(
        f"/customers/{customer.id}/erase", data={"csrf_token": csrf_token_from(page), "confirm": "y"}
    )

    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Erased customer"
    profile = as_supervisor_browser.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Jo Erase" not in profile and "was erased" in profile and "<h1>Erased customer" in profile


def test_the_access_log_page_names_who_opened_the_profile(app, agent, supervisor):
    customer = CustomerFactory()
    signed_in(app.test_client(), agent).get(f"/customers/{customer.id}")
    browser = signed_in(app.test_client(), supervisor)

    page = browser.get(f"/customers/{customer.id}/accesses").get_data(as_text=True)

    assert "Alex Agent" in page and "Profile page" in page


def test_a_supervisor_sees_a_deleted_profile_and_an_agent_does_not(app, agent, as_supervisor_browser):
    customer = CustomerFactory(name="Jo Deleted", deleted_at=utcnow())

    page = as_supervisor_browser.get(f"/customers/{customer.id}")

    assert page.status_code == 200 and "was deleted" in page.get_data(as_text=True)
    agent_browser = signed_in(app.test_client(), agent)
    assert agent_browser.get(f"/customers/{customer.id}").status_code == 404


def test_only_a_supervisor_may_list_deleted_customers_on_the_page(app, agent, as_supervisor_browser):
    CustomerFactory(name="Jo Deleted", deleted_at=utcnow())
    CustomerFactory(name="Jo Live")

    plain = as_supervisor_browser.get("/customers?q=Jo").get_data(as_text=True)
    listed = as_supervisor_browser.get("/customers?q=Jo&include_deleted=y").get_data(as_text=True)

    assert "Jo Live" in plain and "Jo Deleted" not in plain
    assert "Jo Deleted" in listed and 'name="include_deleted"' in listed
    agent_browser = signed_in(app.test_client(), agent)
    assert 'name="include_deleted"' not in agent_browser.get("/customers").get_data(as_text=True)
    assert agent_browser.get("/customers?q=Jo&include_deleted=y").status_code == 403
