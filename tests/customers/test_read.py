"""Reading customers: one profile, search, the screen-pop lookup and duplicate detection."""

from __future__ import annotations

import json

import pytest

from app.customers import services
from app.customers.schemas import CustomerSchema
from app.dbtypes import utcnow
from app.extensions import db
from tests.customer_factories import CustomerFactory, OrganizationFactory
from tests.helpers import statements_seen, undocumented_nulls

URL = "/api/v1/customers"


def test_get_returns_the_profile(as_agent):
    customer = CustomerFactory(name="Jane Doe", emails=["jane@example.com"], tags=["vip"])

    response = as_agent.get(f"{URL}/{customer.id}")

    assert response.status_code == 200
    assert response.json["name"] == "Jane Doe"
    assert response.json["emails"][0]["value"] == "jane@example.com"
    assert response.json["tags"] == ["vip"]


def test_get_of_a_missing_customer_is_404(as_agent):
    response = as_agent.get(f"{URL}/999")

    assert response.status_code == 404
    assert response.json["code"] == 404


# -- search ------------------------------------------------------------------------------------------


@pytest.fixture
def people(app):
    acme = OrganizationFactory(name="Acme Corp")
    return {
        "jane": CustomerFactory(
            name="Jane Doe", emails=["jane@acme.example"], organization=acme, tags=["vip"]
        ),
        "john": CustomerFactory(name="John Smith", phones=["+12015550123"], tags=["billing"]),
        "zoe": CustomerFactory(name="Zoë Ng", emails=["zoe@example.org"], phones=["+442079460958"]),
    }


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return sorted(c["name"] for c in response.json)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "jane"}, ["Jane Doe"]),
        ({"q": "ACME"}, ["Jane Doe"]),
        ({"q": "zoe@example"}, ["Zoë Ng"]),
        ({"q": "(201) 555-0123"}, ["John Smith"]),
        ({"q": "555-01"}, ["John Smith"]),
        ({"name": "smith"}, ["John Smith"]),
        ({"email": "JANE@acme.example"}, ["Jane Doe"]),
        ({"phone": "020 7946 0958"}, []),
        ({"phone": "+44 20 7946 0958"}, ["Zoë Ng"]),
        ({"phone": "201.555.0123"}, ["John Smith"]),
        ({"organization": "acme"}, ["Jane Doe"]),
        ({"tag": "VIP"}, ["Jane Doe"]),
        ({"q": "o", "tag": "billing"}, ["John Smith"]),
        ({"q": "100%_"}, []),
        ({}, ["Jane Doe", "John Smith", "Zoë Ng"]),
    ],
)
def test_search_by_each_criterion(as_agent, people, query, expected):
    assert _names(as_agent.get(URL, query_string=query)) == expected


def test_search_is_paginated_newest_first(as_agent, people):
    response = as_agent.get(URL, query_string={"page_size": 2})

    assert [c["name"] for c in response.json] == ["Zoë Ng", "John Smith"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


def test_search_can_sort_by_name(as_agent, people):
    response = as_agent.get(URL, query_string={"sort": "name"})

    assert [c["name"] for c in response.json] == ["Jane Doe", "John Smith", "Zoë Ng"]


def test_search_leaves_deleted_customers_out_unless_a_supervisor_asks(as_supervisor, people):
    services.delete_customer(people["john"].id, actor=None)

    assert _names(as_supervisor.get(URL)) == ["Jane Doe", "Zoë Ng"]
    assert "John Smith" in _names(as_supervisor.get(URL, query_string={"include_deleted": "true"}))


def test_an_agent_asking_for_deleted_customers_is_refused(as_agent, people):
    services.delete_customer(people["john"].id, actor=None)

    response = as_agent.get(URL, query_string={"include_deleted": "true", "q": "John"})

    assert response.status_code == 403
    assert "include_deleted" in response.json["errors"]
    assert "John Smith" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query", [{"page_size": 1000}, {"page": 0}, {"sort": "random"}, {"q": "x" * 201}, {"q": "ja\x00ne"}]
)
def test_search_rejects_bad_paging_and_parameters(as_agent, query):
    response = as_agent.get(URL, query_string=query)

    assert response.status_code == 422
    assert response.json["errors"]


# -- lookup ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["+12015550123", "2015550123", "(201) 555-0123", "1-201-555-0123", " 12015550123"]
)
def test_lookup_finds_the_customer_by_phone_in_any_format(as_agent, phone):
    customer = CustomerFactory(phones=["+12015550123"])

    response = as_agent.get(f"{URL}/lookup", query_string={"phone": phone})

    assert response.status_code == 200, response.json
    assert response.json["id"] == customer.id


def test_lookup_survives_an_unencoded_plus(as_agent):
    customer = CustomerFactory(phones=["+442079460958"])

    response = as_agent.get(f"{URL}/lookup?phone=+442079460958")

    assert response.json["id"] == customer.id


def test_lookup_by_email_ignores_case(as_agent):
    customer = CustomerFactory(emails=["jane@example.com"])

    response = as_agent.get(f"{URL}/lookup", query_string={"email": "Jane@Example.com"})

    assert response.json["id"] == customer.id


def test_lookup_prefers_the_most_recently_updated_customer(as_agent):
    CustomerFactory(phones=["+12015550123"])
    recent = CustomerFactory(phones=["+12015550123"])

    response = as_agent.get(f"{URL}/lookup", query_string={"phone": "2015550123"})

    assert response.json["id"] == recent.id


def test_lookup_is_a_single_sql_statement(app):
    customer = CustomerFactory(
        emails=["jane@example.com"], phones=["+12015550123"], tags=["vip"], organization=OrganizationFactory()
    )
    db.session.expire_all()
    with statements_seen(db.engine) as statements:
        found = services.lookup_customer(phone="(201) 555-0123")
        dumped = CustomerSchema().dump(found)

    assert dumped["id"] == customer.id
    assert dumped["organization"]["name"] and dumped["tags"] == ["vip"] and dumped["emails"]
    assert len(statements) == 1, statements


def test_lookup_of_a_deleted_customer_is_404(as_agent):
    CustomerFactory(phones=["+12015550123"], deleted_at=utcnow())

    response = as_agent.get(f"{URL}/lookup", query_string={"phone": "2015550123"})

    assert response.status_code == 404


def test_lookup_of_an_unknown_number_is_404(as_agent):
    assert as_agent.get(f"{URL}/lookup", query_string={"phone": "2015550199"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"email": "nope"}, "email"),
        ({}, "_schema"),
        ({"phone": "1", "email": "a"}, "_schema"),
    ],
)
def test_lookup_needs_exactly_one_valid_contact_point(as_agent, query, field):
    response = as_agent.get(f"{URL}/lookup", query_string=query)

    assert response.status_code == 422
    assert field in response.json["errors"]


# -- duplicates --------------------------------------------------------------------------------------


def test_duplicates_share_a_contact_point_or_the_name_in_the_organization(as_agent):
    acme = OrganizationFactory()
    customer = CustomerFactory(name="Jane Doe", organization=acme, emails=["jane@example.com"])
    same_email = CustomerFactory(name="J. Doe", emails=["jane@example.com"])
    same_name = CustomerFactory(name="JANE DOE", organization=acme)
    CustomerFactory(name="Jane Doe")  # another organization (none)
    CustomerFactory(name="Other", emails=["jane@example.com"], deleted_at=utcnow())

    response = as_agent.get(f"{URL}/{customer.id}/duplicates")

    assert response.status_code == 200
    assert sorted(c["id"] for c in response.json) == sorted([same_email.id, same_name.id])


def test_an_id_beyond_the_databases_range_is_404_not_an_error(as_supervisor):
    for path in (f"{URL}/{2**31}", f"{URL}/{2**31}/timeline", f"{URL}/{10**30}", f"{URL}/imports/{2**31}"):
        assert as_supervisor.get(path).status_code == 404, path


def test_a_profile_with_blanks_is_answered_as_documented(as_agent, client):
    customer = CustomerFactory(name="Jane Doe")

    answer = as_agent.get(f"{URL}/{customer.id}").json

    assert answer["merged_into_id"] is None and answer["deleted_at"] is None
    assert undocumented_nulls(client, "Customer", answer) == set()
    assert isinstance(answer["revenue_12m"], str)
