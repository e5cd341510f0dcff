"""Creating a customer: normalized contact points, strict input, duplicates refused, nothing half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.customers.models import ContactPoint, Customer, CustomerEvent
from app.dbtypes import utcnow
from app.extensions import db
from tests.customer_factories import CustomerFactory

URL = "/api/v1/customers"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_normalizes_emails_and_phones(as_agent, agent):
    response = as_agent.post(
        URL,
        json={
            "name": "  Jane Doe ",
            "organization": "Acme Ltd",
            "emails": ["Jane.Doe@Example.COM", {"value": "jd@home.example", "label": "home"}],
            "phones": ["(201) 555-0123", "+44 20 7946 0958"],
            "tags": [" VIP ", "vip", "Billing"],
            "preferred_language": "zh",
            "preferred_channel": "phone",
            "consent": {"email": True},
            "revenue_12m": "1234.5",
            "currency": "EUR",
            "notes": "Prefers mornings.",
        },
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert body["name"] == "Jane Doe"
    assert body["organization"]["name"] == "Acme Ltd"
    assert body["emails"] == [
        {"value": "jane.doe@example.com", "label": "other", "is_primary": True},
        {"value": "jd@home.example", "label": "home", "is_primary": False},
    ]
    assert [p["value"] for p in body["phones"]] == ["+12015550123", "+442079460958"]
    assert body["tags"] == ["billing", "vip"]
    assert body["consent"] == {"email": True, "sms": False, "phone": False, "marketing": False}
    assert body["revenue_12m"] == "1234.50"
    assert body["lifetime_revenue"] == "0.00"
    assert body["currency"] == "EUR"
    assert body["lifecycle_stage"] is None and body["value_tier"] is None
    event = db.session.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == body["id"]))
    assert (event.kind, event.actor_id) == ("created", agent.id)


def test_create_reuses_an_organization_whatever_its_case(as_agent):
    first = as_agent.post(URL, json={"name": "A", "organization": "Acme"}).json
    second = as_agent.post(URL, json={"name": "B", "organization": "ACME"}).json

    assert second["organization"] == first["organization"]


def test_marking_a_later_contact_primary_is_respected(as_agent):
    response = as_agent.post(
        URL, json={"name": "P", "phones": ["2015550123", {"value": "2015550124", "is_primary": True}]}
    )

    assert response.json["phones"][0] == {"value": "+12015550124", "label": "other", "is_primary": True}


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"name": "X", "phones": ["12"]}, {"phones": {"0": ["Not a valid phone number."]}}),
        ({"name": "X", "phones": ["2015550123", "+1 555"]}, {"phones": {"1": ["Not a valid phone number."]}}),
        ({"name": "X", "phones": ["call me maybe"]}, {"phones": {"0": ["Not a valid phone number."]}}),
    ],
)
def test_invalid_phones_are_422_and_write_nothing(as_agent, payload, errors):
    response = as_agent.post(URL, json=payload)

    assert response.status_code == 422
    assert response.json["errors"] == errors
    assert _count(Customer) == 0
    assert _count(ContactPoint) == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@b@example.com", "jane@", "jane@example..com"])
def test_invalid_emails_are_422_with_a_message_per_item(as_agent, email):
    response = as_agent.post(URL, json={"name": "X", "emails": ["ok@example.com", email]})

    assert response.status_code == 422
    assert list(response.json["errors"]["emails"]) == ["1"]
    assert response.json["errors"]["emails"]["1"][0]
    assert _count(Customer) == 0


def test_all_bad_fields_are_reported_together(as_agent):
    response = as_agent.post(
        URL,
        json={"name": "  ", "emails": ["@"], "preferred_language": "english please", "currency": "dollars"},
    )

    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"preferred_language", "currency"}


def test_blank_name_is_rejected_by_the_service(as_agent):
    response = as_agent.post(URL, json={"name": "   ", "emails": ["a@example.com"]})

    assert response.status_code == 422
    assert response.json["errors"] == {"name": ["Must not be empty."]}
    assert _count(Customer) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "X", "favourite_colour": "blue"},
        {"name": "x" * 201},
        {"name": "X", "notes": "n" * 10_001},
        {"name": "X", "organization": "o" * 201},
        {"name": "X", "tags": ["t" * 51]},
        {"name": "X", "tags": [f"t{i}" for i in range(51)]},
        {"name": "X", "emails": [f"a{i}@example.com" for i in range(21)]},
        {"name": "X", "emails": [{"value": "a@example.com", "label": "secret"}]},
        {"name": "X", "emails": [{"value": "a@example.com", "extra": 1}]},
        {"name": "X", "emails": [42]},
        {"name": "X", "preferred_channel": "pigeon"},
        {"name": "X", "revenue_12m": "-1"},
        {"name": "X", "revenue_12m": "NaN"},
        {"name": "X", "revenue_12m": "1e1000000"},
        {"name": "X", "revenue_12m": 10**13},
        {"name": "X", "consent": {"email": "maybe"}},
        {"name": "X", "consent": {"telepathy": True}},
        {"name": "A\u0000B"},
        {"name": "X", "notes": "a\u0000"},
        {"name": "X", "tags": ["a\u0000"]},
        {"name": "X", "organization": "\u0000"},
        {"name": "X", "preferred_language": "en\n"},
        {"emails": ["a@example.com"]},
        {"name": 5},
        [],
    ],
)
def test_bad_input_is_422_with_field_messages(as_agent, payload):
    response = as_agent.post(URL, json=payload)

    assert response.status_code == 422
    assert response.json["code"] == 422
    assert response.json["errors"]
    assert _count(Customer) == 0


def test_malformed_json_is_400(as_agent):
    response = as_agent.post(URL, data='{"name": "X",', headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json["message"] == "The request body is not valid JSON."


def test_an_email_owned_by_another_customer_is_409_naming_it(as_agent):
    owner = CustomerFactory(emails=["jane@example.com"])

    response = as_agent.post(URL, json={"name": "Jane again", "emails": ["JANE@example.com"]})

    assert response.status_code == 409
    assert str(owner.id) in response.json["message"]
    assert response.json["errors"] == {
        "emails": [f"jane@example.com already belongs to customer {owner.id}."]
    }
    assert _count(Customer) == 1


def test_a_phone_owned_by_another_customer_in_another_format_is_409(as_agent):
    owner = CustomerFactory(phones=["+12015550123"])

    response = as_agent.post(URL, json={"name": "Caller", "phones": ["201.555.0123"]})

    assert response.status_code == 409
    assert response.json["errors"]["phones"] == [f"+12015550123 already belongs to customer {owner.id}."]


def test_a_deleted_customers_contact_points_are_free_again(as_agent):
    CustomerFactory(emails=["jane@example.com"], deleted_at=utcnow())

    response = as_agent.post(URL, json={"name": "Jane", "emails": ["jane@example.com"]})

    assert response.status_code == 201


# -- many writing-in customers at once (the ticket history import) --------------------------------------


def _one_by_one(contacts: list[dict]) -> list:
    from app.customers import services
    from app.errors import Invalid

    found = []
    for contact in contacts:
        try:
            found.append(services.find_or_add_customer(**contact, actor=None))
        except Invalid as error:
            found.append(error)
    return found


def _described(found: list) -> list:
    def contacts(customer):
        return sorted((c.kind, c.value) for c in customer.contact_points)

    return [
        ("invalid", entry.errors) if isinstance(entry, Exception) else (entry.name, contacts(entry))
        for entry in found
    ]


CONTACTS = [
    {"name": "Ann", "email": "Ann@Example.com"},
    {"name": "Ann again", "email": "ann@example.com", "phone": "+1 415 555 0100"},  # adds her phone
    {"name": None, "phone": "+14155550100"},  # found by that phone
    {"name": "Known", "email": "known@example.com", "phone": "+1 415 555 0199"},
    {"name": "Nobody", "email": "not-an-email"},
    {"name": "Bo", "phone": "+1 415 555 0177"},
]


@pytest.mark.parametrize("batch", [False, True])
def test_many_customers_at_once_as_one_after_the_other(app, batch):
    from app.customers import services

    known = CustomerFactory(name="Known", emails=["known@example.com"])

    found = services.find_or_add_customers(CONTACTS, actor=None) if batch else _one_by_one(CONTACTS)
    db.session.commit()

    assert _described(found) == [
        ("Ann", [("email", "ann@example.com"), ("phone", "+14155550100")]),
        ("Ann", [("email", "ann@example.com"), ("phone", "+14155550100")]),
        ("Ann", [("email", "ann@example.com"), ("phone", "+14155550100")]),
        ("Known", [("email", "known@example.com"), ("phone", "+14155550199")]),
        ("invalid", {"emails": {"0": ["An email address must have an @-sign."]}}),
        ("Bo", [("phone", "+14155550177")]),
    ]
    assert found[0] is found[1] is found[2] and found[3].id == known.id
    events = db.session.execute(
        select(CustomerEvent.customer_id, CustomerEvent.kind).order_by(CustomerEvent.id)
    )
    assert [
        (customer_id, kind) for customer_id, kind in events if customer_id != known.id or kind != "created"
    ] == [
        (found[0].id, "created"),
        (found[0].id, "updated"),
        (known.id, "updated"),
        (found[5].id, "created"),
    ]
