"""Who a ticket opened on the new-ticket page is for: a customer on file, picked by number (the page's
search fills it in), or a new customer created with the ticket under the customer form's rules."""

from __future__ import annotations

import pytest

from app.customers.models import Customer
from app.extensions import db
from app.tickets.models import Ticket
from tests.customer_factories import CustomerFactory
from tests.helpers import csrf_token_from, signed_in


@pytest.fixture
def browser(client, agent):
    return signed_in(client, agent)


def _post(browser, **customer):
    token = csrf_token_from(browser.get("/tickets/new").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "subject": "Lamp broken",
        "type": "question",
        "priority": "normal",
        "channel": "phone",
        "customer_id": "",
        "customer_name": "",
        "customer_email": "",
        "customer_phone": "",
        **customer,
    }
    return browser.post("/tickets/new", data=data)


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_the_page_offers_a_search_that_asks_the_customers_api(browser):
    page = browser.get("/tickets/new").get_data(as_text=True)

    assert 'data-source="/api/v1/customers"' in page
    assert 'src="/static/js/customer-picker.js"' in page
    assert 'id="customer-search"' in page and 'name="customer_id"' in page


def test_the_search_answers_the_agents_session_by_name_e_mail_or_phone(browser):
    olivia = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"], phones=["+12015550123"])
    CustomerFactory(name="Sam Jones", emails=["sam@example.com"])

    for typed in ("olivia", "OLIVIA@EXAMPLE", "555-0123"):
        found = browser.get("/api/v1/customers", query_string={"q": typed, "page_size": 8})
        assert found.status_code == 200
        assert [c["id"] for c in found.json] == [olivia.id], typed


def test_a_ticket_for_a_customer_on_file(browser):
    olivia = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])

    response = _post(browser, customer_id=str(olivia.id))

    assert response.status_code == 302
    assert db.session.scalar(db.select(Ticket.customer_id)) == olivia.id
    assert _count(Customer) == 1


def test_an_unknown_customer_number_is_refused_next_to_it(browser):
    response = _post(browser, customer_id="999999")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="customer_id-errors" role="alert"' in page
    assert 'value="999999"' in page
    assert _count(Ticket) == 0


def test_a_new_customer_is_created_with_the_ticket(browser):
    response = _post(browser, customer_name="Rosa Díaz", customer_email="Rosa@Example.com")

    assert response.status_code == 302
    ticket = db.session.scalar(db.select(Ticket))
    customer = db.session.get(Customer, ticket.customer_id)
    assert customer.name == "Rosa Díaz"
    assert [cp.value for cp in customer.contact_points] == ["rosa@example.com"]


def test_a_new_customer_with_someone_elses_e_mail_is_refused_as_on_the_customer_form(browser):
    owner = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])

    response = _post(browser, customer_name="Olivia B.", customer_email="olivia@example.com")

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="customer_email-errors" role="alert"' in page
    assert f"olivia@example.com already belongs to customer {owner.id}." in page
    assert 'value="Olivia B."' in page
    assert (_count(Ticket), _count(Customer)) == (0, 1)


def test_a_ticket_refused_after_the_new_customer_was_made_leaves_no_customer_behind(browser):
    # The queue is checked after the customer is staged: the refusal takes both back.
    response = _post(browser, customer_name="Rosa Díaz", customer_phone="+12015550199", queue_id="999999")

    assert response.status_code == 422
    assert (_count(Ticket), _count(Customer)) == (0, 0)


@pytest.mark.parametrize(
    ("customer", "field", "message"),
    [
        ({}, "customer_id", "Pick a customer on file, or give a new customer&#39;s name and e-mail"),
        ({"customer_email": "rosa@example.com"}, "customer_name", "Give the new customer&#39;s name."),
        ({"customer_name": "Rosa"}, "customer_email", "Give the customer&#39;s e-mail or phone."),
        ({"customer_email": "not an address", "customer_name": "Rosa"}, "customer_email", "an @-sign"),
        ({"customer_id": "1", "customer_name": "Rosa"}, "customer_id", "not both."),
        ({"customer_id": "x"}, "customer_id", "Not a valid integer value."),
    ],
)
def test_the_customer_part_must_say_who_the_ticket_is_for(browser, customer, field, message):
    CustomerFactory()

    response = _post(browser, **customer)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-errors" role="alert"' in page
    assert message in page
    assert _count(Ticket) == 0
