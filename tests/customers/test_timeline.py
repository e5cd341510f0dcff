"""The 360° timeline: profile events and other rooms' entries, newest first, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import lazy_gettext

from app.customers import services as customers
from app.customers.models import CustomerEvent
from app.customers.signals import timeline_requested
from app.extensions import db
from tests.customer_factories import CustomerFactory
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in

URL = "/api/v1/customers"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _event(customer, minutes: int, kind: str = "updated", **data) -> CustomerEvent:
    event = CustomerEvent(
        customer_id=customer.id,
        kind=kind,
        occurred_at=T0 + timedelta(minutes=minutes),
        data=data or {"name": ["a", "b"]},
    )
    db.session.add(event)
    db.session.commit()
    return event


@pytest.fixture
def contributions():
    """A stand-in for a higher room (tickets) answering `timeline_requested`."""
    calls = []

    def tickets(customer_id, *, before, limit, customer_ids, viewer):
        calls.append(
            {"customer_id": customer_id, "before": before, "limit": limit, "customer_ids": customer_ids}
        )
        entries = [
            {
                "occurred_at": T0 + timedelta(minutes=m),
                "kind": "ticket_opened",
                "source": "tickets",
                "title": f"Ticket #{m} opened",
                "ref": {"type": "ticket", "id": m},
            }
            for m in (15, 5)
        ]
        return [e for e in entries if before is None or e["occurred_at"] < before][:limit]

    timeline_requested.connect(tickets)
    yield calls
    timeline_requested.disconnect(tickets)


def test_profile_changes_appear_newest_first(as_agent):
    created = as_agent.post(URL, json={"name": "Jane"}).json
    as_agent.patch(f"{URL}/{created['id']}", json={"name": "Jane Doe", "tags": ["vip"]})

    response = as_agent.get(f"{URL}/{created['id']}/timeline")

    assert response.status_code == 200
    items = response.json["items"]
    assert [i["kind"] for i in items] == ["updated", "created"]
    assert items[0]["title"] == "Profile updated: name, tags"
    assert items[0]["data"]["name"] == ["Jane", "Jane Doe"]
    assert items[0]["source"] == "customers"
    assert items[0]["ref"] == {"type": "customer", "id": created["id"]}
    assert response.json["next_before"] is None


def test_entries_of_other_rooms_are_merged_in_order(as_agent, contributions):
    customer = CustomerFactory()
    for minutes in (0, 10, 20):
        _event(customer, minutes)

    response = as_agent.get(f"{URL}/{customer.id}/timeline")

    items = response.json["items"]
    assert [(i["source"], i["occurred_at"][11:16]) for i in items] == [
        ("customers", "12:20"),
        ("tickets", "12:15"),
        ("customers", "12:10"),
        ("tickets", "12:05"),
        ("customers", "12:00"),
    ]
    assert items[1]["title"] == "Ticket #15 opened"
    assert items[1]["ref"] == {"type": "ticket", "id": 15}
    assert items[1]["data"] == {}
    assert contributions[0]["customer_id"] == customer.id and contributions[0]["limit"] == 50


def test_the_timeline_pages_with_before(as_agent, contributions):
    customer = CustomerFactory()
    for minutes in (0, 10, 20):
        _event(customer, minutes)

    first = as_agent.get(f"{URL}/{customer.id}/timeline", query_string={"limit": 2}).json
    second = as_agent.get(
        f"{URL}/{customer.id}/timeline", query_string={"limit": 2, "before": first["next_before"]}
    ).json
    third = as_agent.get(
        f"{URL}/{customer.id}/timeline", query_string={"limit": 2, "before": second["next_before"]}
    ).json

    seen = [i["occurred_at"][11:16] for page in (first, second, third) for i in page["items"]]
    assert seen == ["12:20", "12:15", "12:10", "12:05", "12:00"]
    assert contributions[1]["before"] == datetime.fromisoformat(first["next_before"])
    assert third["next_before"] is None


def test_a_page_does_not_split_entries_of_the_same_instant(as_agent):
    customer = CustomerFactory()
    _event(customer, 10)
    _event(customer, 0)
    _event(customer, 0)

    first = as_agent.get(f"{URL}/{customer.id}/timeline", query_string={"limit": 2}).json
    second = as_agent.get(
        f"{URL}/{customer.id}/timeline", query_string={"limit": 2, "before": first["next_before"]}
    ).json

    assert len(first["items"]) + len(second["items"]) == 3
    assert second["next_before"] is None


def test_a_merged_customers_history_shows_on_the_survivor(as_supervisor):
    source, target = CustomerFactory(), CustomerFactory()
    _event(source, 0, kind="created")
    as_supervisor.post(f"{URL}/{source.id}/merge", json={"into": target.id})

    response = as_supervisor.get(f"{URL}/{target.id}/timeline")

    kinds = [(i["kind"], i["ref"]["id"]) for i in response.json["items"]]
    assert ("created", source.id) in kinds
    # The merge is told once, by the survivor: the absorbed profile's own record of it is left out.
    assert ("merged", target.id) in kinds and ("merged_into", source.id) not in kinds
    [merged] = [i for i in response.json["items"] if i["kind"] == "merged"]
    assert merged["title"] == (
        f"{source.name} (customer {source.id}) was merged into {target.name} (customer {target.id})"
    )


def test_timeline_of_a_deleted_customer_is_404(as_agent):
    customer = CustomerFactory(deleted_at=T0)

    assert as_agent.get(f"{URL}/{customer.id}/timeline").status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 101}, {"before": "yesterday"}, {"before": "0001-01-01T00:00:00+14:00"}],
)
def test_timeline_parameters_are_checked(as_agent, query):
    customer = CustomerFactory()

    assert as_agent.get(f"{URL}/{customer.id}/timeline", query_string=query).status_code == 422


def test_profile_events_read_in_the_pages_language_and_stay_english_in_the_api(app, as_agent):
    created = as_agent.post(URL, json={"name": "Jane"}).json
    as_agent.patch(f"{URL}/{created['id']}", json={"name": "Jane Doe"})
    client = app.test_client()
    sign_in(client, AgentFactory(language="zh").email, PASSWORD)

    page = client.get(f"/customers/{created['id']}").get_data(as_text=True)
    titles = [i["title"] for i in client.get(f"{URL}/{created['id']}/timeline").json["items"]]

    timeline = page[page.index('id="timeline-h"') :]
    assert "客户资料已更新：name" in timeline and "客户资料已创建" in timeline  # noqa: RUF001 (Chinese punctuation)
    assert "Profile" not in timeline
    assert titles == ["Profile updated: name", "Profile created"]


def test_an_entry_contributed_with_a_text_only_gets_its_english_title(app, as_agent):
    customer = CustomerFactory()

    def contributor(customer_id, **_):
        return [
            {"occurred_at": T0, "kind": "note", "source": "tests", "text": lazy_gettext("Profile created")}
        ]

    timeline_requested.connect(contributor)
    try:
        with app.test_request_context(headers={"Accept-Language": "zh"}):
            [entry] = customers.customer_timeline(customer.id)["items"]
            assert (entry["title"], str(entry["text"])) == ("Profile created", "客户资料已创建")
        [item] = as_agent.get(f"{URL}/{customer.id}/timeline").json["items"]
    finally:
        timeline_requested.disconnect(contributor)

    assert item["title"] == "Profile created"
    assert "text" not in item
