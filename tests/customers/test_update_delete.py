"""Changing and soft-deleting customers: every change is recorded; deleted customers disappear."""

from __future__ import annotations

from sqlalchemy import select

from app.customers.models import ContactPoint, CustomerEvent
from app.extensions import db
from tests.customer_factories import CustomerFactory

URL = "/api/v1/customers"


def _events(customer_id: int, kind: str | None = None) -> list[CustomerEvent]:
    query = select(CustomerEvent).where(CustomerEvent.customer_id == customer_id).order_by(CustomerEvent.id)
    if kind:
        query = query.where(CustomerEvent.kind == kind)
    return list(db.session.scalars(query))


def test_patch_changes_only_the_given_fields_and_records_old_and_new(as_agent, agent):
    customer = CustomerFactory(name="Jane", notes="old note", emails=["jane@example.com"])

    response = as_agent.patch(
        f"{URL}/{customer.id}", json={"name": "Jane Doe", "consent": {"sms": True}, "revenue_12m": 10}
    )

    assert response.status_code == 200, response.json
    assert response.json["name"] == "Jane Doe"
    assert response.json["notes"] == "old note"
    assert response.json["consent"]["sms"] is True
    assert response.json["emails"][0]["value"] == "jane@example.com"
    [event] = _events(customer.id, "updated")
    assert event.actor_id == agent.id
    assert event.data == {
        "name": ["Jane", "Jane Doe"],
        "consent_sms": [False, True],
        "revenue_12m": ["0.00", "10.00"],
    }


def test_patch_replaces_contact_lists_and_tags(as_agent):
    customer = CustomerFactory(
        emails=["old@example.com", "keep@example.com"], phones=["+12015550123"], tags=["a"]
    )

    response = as_agent.patch(
        f"{URL}/{customer.id}",
        json={"emails": ["KEEP@example.com", "new@example.com"], "phones": [], "tags": ["B", "c"]},
    )

    assert [e["value"] for e in response.json["emails"]] == ["keep@example.com", "new@example.com"]
    assert response.json["phones"] == []
    assert response.json["tags"] == ["b", "c"]
    [event] = _events(customer.id, "updated")
    assert set(event.data) == {"emails", "phones", "tags"}
    assert event.data["tags"] == [["a"], ["b", "c"]]


def test_patch_keeps_a_contact_points_label_when_none_is_given(as_agent):
    customer = CustomerFactory()
    as_agent.patch(f"{URL}/{customer.id}", json={"emails": [{"value": "jane@example.com", "label": "work"}]})

    response = as_agent.patch(f"{URL}/{customer.id}", json={"emails": ["jane@example.com", "x@example.com"]})

    assert response.json["emails"][0] == {"value": "jane@example.com", "label": "work", "is_primary": True}


def test_patch_that_changes_nothing_records_nothing(as_agent):
    customer = CustomerFactory(name="Jane", emails=["jane@example.com"])

    response = as_agent.patch(f"{URL}/{customer.id}", json={"name": "Jane", "emails": ["JANE@example.com"]})

    assert response.status_code == 200
    assert _events(customer.id) == []


def test_patch_with_a_contact_point_of_another_customer_is_409_and_changes_nothing(as_agent):
    owner = CustomerFactory(phones=["+12015550123"])
    customer = CustomerFactory(name="Jane")

    response = as_agent.patch(f"{URL}/{customer.id}", json={"name": "Changed", "phones": ["2015550123"]})

    assert response.status_code == 409
    assert response.json["errors"] == {"phones": [f"+12015550123 already belongs to customer {owner.id}."]}
    db.session.expire_all()
    assert customer.name == "Jane"
    assert _events(customer.id) == []


def test_patch_with_an_invalid_phone_leaves_the_profile_as_it_was(as_agent):
    customer = CustomerFactory(name="Jane", phones=["+12015550123"])

    response = as_agent.patch(f"{URL}/{customer.id}", json={"name": "Changed", "phones": ["nope"]})

    assert response.status_code == 422
    assert response.json["errors"] == {"phones": {"0": ["Not a valid phone number."]}}
    db.session.expire_all()
    assert customer.name == "Jane"
    assert [cp.value for cp in db.session.scalars(select(ContactPoint))] == ["+12015550123"]


def test_patch_rejects_unknown_fields_and_computed_ones(as_agent):
    customer = CustomerFactory()

    for payload in ({"nickname": "J"}, {"value_tier": "A"}, {"name": None}):
        response = as_agent.patch(f"{URL}/{customer.id}", json=payload)
        assert response.status_code == 422, payload


def test_delete_is_soft_and_hides_the_customer_from_agents(as_supervisor, as_agent, supervisor):
    customer = CustomerFactory(emails=["jane@example.com"])

    response = as_supervisor.delete(f"{URL}/{customer.id}")

    assert response.status_code == 204
    assert as_agent.get(f"{URL}/{customer.id}").status_code == 404
    assert as_agent.get(f"{URL}/{customer.id}/timeline").status_code == 404
    seen_by_supervisor = as_supervisor.get(f"{URL}/{customer.id}")
    assert seen_by_supervisor.status_code == 200 and seen_by_supervisor.json["deleted_at"]
    assert as_supervisor.patch(f"{URL}/{customer.id}", json={"name": "X"}).status_code == 404
    db.session.expire_all()
    assert customer.deleted_at is not None
    [event] = _events(customer.id, "deleted")
    assert event.actor_id == supervisor.id


def test_deleting_twice_is_404(as_supervisor):
    customer = CustomerFactory()
    as_supervisor.delete(f"{URL}/{customer.id}")

    assert as_supervisor.delete(f"{URL}/{customer.id}").status_code == 404
