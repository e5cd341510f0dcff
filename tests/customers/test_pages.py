"""The customer pages: the searchable list and the 360° profile, for people signed in with a browser."""

from __future__ import annotations

import pytest

from app.customers import services
from app.dbtypes import utcnow
from tests.customer_factories import CustomerFactory, FieldDefinitionFactory, OrganizationFactory
from tests.helpers import csrf_token_from, signed_in


@pytest.fixture
def browser(client, agent):
    return signed_in(client, agent)


def test_pages_send_strangers_to_sign_in(client):
    response = client.get("/customers")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_index_lists_customers_with_their_primary_contacts(browser):
    CustomerFactory(
        name="Jane Doe",
        organization=OrganizationFactory(name="Acme"),
        emails=["jane@example.com"],
        phones=["+12015550123"],
        tags=["vip"],
        value_tier="A",
    )

    page = browser.get("/").get_data(as_text=True)

    assert "Jane Doe" in page
    assert "Acme" in page and "jane@example.com" in page and "+12015550123" in page
    assert '<span class="tag">vip</span>' in page


def test_index_search_narrows_the_list(browser):
    CustomerFactory(name="Jane Doe")
    CustomerFactory(name="John Smith")

    page = browser.get("/customers", query_string={"q": "smith"}).get_data(as_text=True)

    assert "John Smith" in page and "Jane Doe" not in page
    assert 'value="smith"' in page


def test_index_pages_through_many_customers(browser):
    for n in range(30):
        CustomerFactory(name=f"Customer {n:02}")

    first = browser.get("/customers").get_data(as_text=True)
    second = browser.get("/customers", query_string={"page": 2}).get_data(as_text=True)

    assert "Customer 29" in first and "Customer 04" not in first
    assert "Customer 04" in second and "Page 2 of 2" in second


def test_profile_shows_the_360_view(browser, agent):
    FieldDefinitionFactory(key="plan", label="Support plan")
    customer = services.create_customer(
        name="Jane Doe",
        organization="Acme",
        emails=["jane@example.com"],
        phones=["2015550123"],
        tags=["vip"],
        custom_fields={"plan": "Premium <b>"},
        consent={"marketing": True},
        revenue_12m="99.50",
        notes="Line one\nLine <two>",
        actor=agent,
    )
    services.update_customer(customer.id, {"name": "Jane Q. Doe"}, actor=agent)

    response = browser.get(f"/customers/{customer.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Jane Q. Doe" in page and "Acme" in page
    assert "jane@example.com" in page and "+12015550123" in page
    assert "Support plan" in page and "Premium &lt;b&gt;" in page
    assert "$99.50" in page
    assert "Line one<br>Line &lt;two&gt;" in page
    assert page.index("Profile updated: name") < page.index("Profile created")


def test_profile_of_a_deleted_customer_is_404(browser):
    customer = CustomerFactory(deleted_at=utcnow())

    assert browser.get(f"/customers/{customer.id}").status_code == 404


def test_profile_of_a_merged_customer_leads_to_the_survivor(browser):
    source, target = CustomerFactory(), CustomerFactory()
    services.merge_customers(source.id, target.id, actor=None)

    response = browser.get(f"/customers/{source.id}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{target.id}")


def test_new_customer_form_creates_a_profile(browser):
    form = browser.get("/customers/new").get_data(as_text=True)

    response = browser.post(
        "/customers/new",
        data={
            "csrf_token": csrf_token_from(form),
            "name": "Jane Doe",
            "emails": "Jane@Example.com\n",
            "phones": "(201) 555-0123",
            "tags": "vip, billing",
            "preferred_channel": "phone",
        },
    )

    assert response.status_code == 302
    profile = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "jane@example.com" in profile and "+12015550123" in profile and "billing" in profile


def test_new_customer_form_shows_service_errors_next_to_the_field(browser):
    CustomerFactory(emails=["jane@example.com"])
    form = browser.get("/customers/new").get_data(as_text=True)

    response = browser.post(
        "/customers/new",
        data={
            "csrf_token": csrf_token_from(form),
            "name": "Jane",
            "emails": "jane@example.com",
            "phones": "12",
            "preferred_channel": "",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Item 1: Not a valid phone number." in page


def test_edit_form_changes_the_profile(browser):
    customer = CustomerFactory(name="Jane", emails=["jane@example.com"])
    form = browser.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert "jane@example.com" in form

    response = browser.post(
        f"/customers/{customer.id}/edit",
        data={
            "csrf_token": csrf_token_from(form),
            "name": "Jane Doe",
            "emails": "jane@example.com",
            "preferred_channel": "",
        },
    )

    assert response.status_code == 302
    assert "Jane Doe" in browser.get(f"/customers/{customer.id}").get_data(as_text=True)


def test_the_api_documentation_describes_the_customers_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json

    assert "/api/v1/customers/{customer_id}/merge" in spec["paths"]
    assert "/api/v1/customers/imports" in spec["paths"]
