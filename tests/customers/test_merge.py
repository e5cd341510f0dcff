"""Merging duplicates: everything moves to the survivor, both keep an audit record, twice is harmless."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.customers.models import Customer, CustomerEvent
from app.customers.services import merge_customers
from app.customers.signals import customers_merged
from app.dbtypes import utcnow
from app.errors import Conflict
from app.extensions import db
from tests.customer_factories import CustomerFactory, OrganizationFactory
from tests.helpers import nothing_pending

URL = "/api/v1/customers"


@pytest.fixture
def merged_signals():
    received = []

    def receiver(sender, *, source_id, target_id, actor):
        received.append(
            {"sender": sender.id, "source_id": source_id, "target_id": target_id, "actor": actor.id}
        )

    customers_merged.connect(receiver)
    yield received
    customers_merged.disconnect(receiver)


@pytest.fixture
def pair(app):
    acme = OrganizationFactory(name="Acme")
    source = CustomerFactory(
        name="J. Doe",
        organization=acme,
        emails=["jane@example.com", "shared@example.com"],
        phones=["+12015550123"],
        tags=["vip", "billing"],
        custom_fields={"tier": "gold", "region": "north"},
        notes="Called about invoice.",
        revenue_12m=Decimal("100.00"),
        lifetime_revenue=Decimal("250.00"),
        consent_marketing=True,
        preferred_language="zh",
    )
    target = CustomerFactory(
        name="Jane Doe",
        emails=["shared@example.com"],
        tags=["vip"],
        custom_fields={"tier": "silver"},
        notes="Prefers e-mail.",
        revenue_12m=Decimal("50.00"),
        lifetime_revenue=Decimal("50.00"),
        preferred_language="en",
    )
    return source, target


def _events(customer_id: int) -> list[CustomerEvent]:
    return list(db.session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id)))


def test_merge_moves_everything_into_the_target(as_supervisor, pair, supervisor, merged_signals):
    source, target = pair

    response = as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})

    assert response.status_code == 200, response.json
    body = response.json
    assert body["id"] == target.id
    assert body["name"] == "Jane Doe"
    assert sorted(e["value"] for e in body["emails"]) == ["jane@example.com", "shared@example.com"]
    assert [e["value"] for e in body["emails"] if e["is_primary"]] == ["shared@example.com"]
    assert body["phones"] == [{"value": "+12015550123", "label": "other", "is_primary": True}]
    assert body["tags"] == ["billing", "vip"]
    assert body["custom_fields"] == {"tier": "silver", "region": "north"}
    assert body["notes"].startswith("Prefers e-mail.") and body["notes"].endswith("Called about invoice.")
    assert (body["revenue_12m"], body["lifetime_revenue"]) == ("150.00", "300.00")
    assert body["consent"]["marketing"] is False
    assert body["organization"]["name"] == "Acme"
    assert body["preferred_language"] == "en"

    db.session.expire_all()
    gone = db.session.get(Customer, source.id)
    assert gone.merged_into_id == target.id and gone.deleted_at is not None
    assert gone.contact_points == [] and gone.tags == []
    [merged] = _events(target.id)
    assert (merged.kind, merged.actor_id) == ("merged", supervisor.id)
    assert merged.data["source_id"] == source.id
    assert merged.data["emails"] == ["jane@example.com"]
    assert merged.data["dropped"] == ["shared@example.com"]
    assert merged.data["tags"] == ["billing"]
    assert merged.data["custom_fields"] == ["region"]
    [merged_into] = _events(source.id)
    assert (merged_into.kind, merged_into.data) == ("merged_into", {"target_id": target.id})
    assert merged_signals == [
        {"sender": target.id, "source_id": source.id, "target_id": target.id, "actor": supervisor.id}
    ]


def test_the_merged_customer_answers_404_naming_the_survivor(as_supervisor, pair):
    source, target = pair
    as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})

    response = as_supervisor.get(f"{URL}/{source.id}")

    assert response.status_code == 404
    assert f"merged into customer {target.id}" in response.json["message"]
    assert response.json["errors"] == {"merged_into_id": target.id}


def test_lookup_after_a_merge_finds_the_survivor(as_supervisor, pair):
    source, target = pair
    as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})

    response = as_supervisor.get(f"{URL}/lookup", query_string={"phone": "+12015550123"})

    assert response.json["id"] == target.id


def test_merge_twice_changes_nothing(as_supervisor, pair, merged_signals):
    source, target = pair
    first = as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})
    events_before = len(_events(target.id)) + len(_events(source.id))

    second = as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})

    assert second.status_code == 200
    assert second.json == first.json
    assert len(_events(target.id)) + len(_events(source.id)) == events_before
    # Sent again, so a receiver that failed the first time can finish its re-pointing.
    assert len(merged_signals) == 2


def test_merging_a_customer_into_itself_is_422(as_supervisor):
    customer = CustomerFactory()

    response = as_supervisor.post(f"{URL}/{customer.id}/merge", json={"into": customer.id})

    assert response.status_code == 422
    assert "into" in response.json["errors"]


@pytest.mark.parametrize("state", ["missing", "deleted", "merged"])
def test_merging_into_a_target_that_is_not_there_is_404(as_supervisor, state):
    source = CustomerFactory()
    if state == "missing":
        target_id = 999
    elif state == "deleted":
        target_id = CustomerFactory(deleted_at=utcnow()).id
    else:
        survivor = CustomerFactory()
        target_id = CustomerFactory(deleted_at=utcnow(), merged_into_id=survivor.id).id

    response = as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target_id})

    assert response.status_code == 404
    assert "into" in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Customer, source.id).deleted_at is None


def test_a_source_already_merged_elsewhere_is_409(as_supervisor):
    first, second, source = CustomerFactory(), CustomerFactory(), CustomerFactory()
    as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": first.id})

    response = as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": second.id})

    assert response.status_code == 409
    assert str(first.id) in response.json["message"]


def test_merging_a_missing_source_is_404(as_supervisor):
    target = CustomerFactory()

    assert as_supervisor.post(f"{URL}/999/merge", json={"into": target.id}).status_code == 404


@pytest.mark.parametrize("body", [{}, {"into": "2"}, {"into": 0}, {"into": 2, "extra": 1}])
def test_merge_body_is_checked(as_supervisor, body):
    customer = CustomerFactory()

    assert as_supervisor.post(f"{URL}/{customer.id}/merge", json=body).status_code == 422


def test_revenue_in_different_currencies_is_not_added_up(as_supervisor):
    source = CustomerFactory(revenue_12m=Decimal("10.00"), currency="EUR")
    target = CustomerFactory(revenue_12m=Decimal("10.00"), currency="USD")

    response = as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})

    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Customer, source.id).deleted_at is None


def test_a_refused_merge_lets_go_of_both_customers_at_once(app, supervisor):
    source = CustomerFactory(revenue_12m=Decimal("10.00"), currency="EUR")
    target = CustomerFactory(revenue_12m=Decimal("10.00"), currency="USD")

    with pytest.raises(Conflict):
        merge_customers(source.id, target.id, actor=supervisor)

    # Rolled back: the rows it locked are free for the next merge, and nothing of it is left to commit.
    assert nothing_pending()


def test_earlier_merges_into_the_source_follow_it_to_the_survivor(as_supervisor):
    oldest, middle, survivor = CustomerFactory(), CustomerFactory(), CustomerFactory()
    as_supervisor.post(f"{URL}/{oldest.id}/merge", json={"into": middle.id})

    as_supervisor.post(f"{URL}/{middle.id}/merge", json={"into": survivor.id})

    response = as_supervisor.get(f"{URL}/{oldest.id}")
    assert f"merged into customer {survivor.id}" in response.json["message"]
