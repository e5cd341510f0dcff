"""Ticket views: the three built-in ones, computed for whoever asks, and each agent's own saved searches."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.dbtypes import utcnow
from app.extensions import db
from app.tickets import services, words
from app.tickets.search import services as search
from app.tickets.search.models import SavedView
from app.tickets.search.services import MAX_SAVED_VIEWS
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import ApiClient, signed_in
from tests.ticket_factories import QueueFactory
from tests.tickets.workflow import CUSTOMER, open_ticket, ticket_in

BUILT_IN = ["my-open", "unassigned-in-my-queues", "breaching-soon"]


def view_tickets(api, view_id: str, **params) -> list[int]:
    response = api.get(f"/api/v1/views/{view_id}/tickets", query_string={"page_size": 100, **params})
    assert response.status_code == 200, response.json
    return [ticket["id"] for ticket in response.json]


def save(api, name: str, filters: dict) -> dict:
    response = api.post("/api/v1/views", json={"name": name, "filters": filters})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def colleague(app):
    return AgentFactory(role="agent", name="Casey Colleague")


@pytest.fixture
def as_colleague(app, colleague) -> ApiClient:
    return ApiClient.for_agent(app, colleague)


# -- listing -----------------------------------------------------------------------------------------


def test_the_list_starts_with_the_built_in_views(as_agent):
    views = as_agent.get("/api/v1/views").json

    assert [view["id"] for view in views] == BUILT_IN
    assert [view["name"] for view in views] == ["My open", "Unassigned in my queues", "Breaching soon"]
    assert all(view["built_in"] for view in views)
    assert views[0]["filters"] == {"assignee_id": ["me"], "status": ["new", "open", "pending", "on_hold"]}
    assert views[2]["filters"]["breaching_within_seconds"] == 7200


def test_an_agent_reads_the_built_in_views_in_their_language_while_the_api_keeps_english(client):
    agent = AgentFactory(language="zh")
    api = ApiClient.for_agent(client.application, agent)
    page = signed_in(client, agent).get("/tickets").get_data(as_text=True)

    for name, description in (
        ("我的未解决工单", "分配给你的未解决工单。"),
        ("我的队列中未分配", "你的团队所服务的队列中无人认领的未解决工单。"),
        ("SLA 即将超时", "SLA 目标即将到期或已超时的未解决工单，最早到期的排在前面。"),  # noqa: RUF001 (Chinese punctuation)
    ):
        assert f'title="{description}">{name}' in page
    assert "My open" not in page
    assert [view["name"] for view in api.get("/api/v1/views").json[:3]] == [
        "My open",
        "Unassigned in my queues",
        "Breaching soon",
    ]


def test_the_pages_name_every_built_in_view_as_the_api_does_in_english(app):
    for view in search.BUILT_IN_VIEWS.values():
        name, description = words.BUILT_IN_VIEWS[view.id]
        assert (str(name), str(description)) == (view.name, view.description)


def test_views_need_a_signed_in_caller(client):
    assert client.get("/api/v1/views").status_code == 401
    assert client.get("/api/v1/views/my-open/tickets").status_code == 401
    assert client.post("/api/v1/views", json={"name": "x", "filters": {}}).status_code == 401


# -- built-in views ----------------------------------------------------------------------------------


def test_my_open_is_my_unsolved_tickets(as_agent, agent, supervisor, as_supervisor):
    mine = [
        ticket_in(as_agent, status, assignee_id=agent.id)["id"] for status in ("open", "pending", "on_hold")
    ]
    ticket_in(as_agent, "solved", assignee_id=agent.id)
    ticket_in(as_agent, "closed", assignee_id=agent.id)
    open_ticket(as_supervisor, assignee_id=supervisor.id)
    open_ticket(as_agent)

    assert set(view_tickets(as_agent, "my-open")) == set(mine)


def test_my_open_is_computed_for_whoever_asks(as_agent, agent, as_colleague, colleague):
    mine = open_ticket(as_agent, assignee_id=agent.id)["id"]
    theirs = open_ticket(as_colleague, assignee_id=colleague.id)["id"]

    assert view_tickets(as_agent, "my-open") == [mine]
    assert view_tickets(as_colleague, "my-open") == [theirs]


def test_unassigned_in_my_queues(as_agent, agent, supervisor, as_supervisor):
    my_team = TeamFactory(members=[agent])
    mine, also_mine = QueueFactory(team=my_team), QueueFactory(team=TeamFactory(members=[agent]))
    other = QueueFactory(team=TeamFactory(members=[supervisor]))
    waiting = open_ticket(as_agent, queue_id=mine.id)["id"]
    waiting_too = ticket_in(as_agent, "pending", queue_id=also_mine.id)["id"]
    open_ticket(as_supervisor, queue_id=mine.id, assignee_id=supervisor.id)  # taken
    ticket_in(as_agent, "solved", queue_id=mine.id)  # done
    open_ticket(as_agent, queue_id=other.id)  # not my team's
    open_ticket(as_agent)  # in no queue

    assert set(view_tickets(as_agent, "unassigned-in-my-queues")) == {waiting, waiting_too}


def test_unassigned_in_my_queues_is_empty_without_a_team(as_agent):
    open_ticket(as_agent, queue_id=QueueFactory(team=TeamFactory()).id)

    assert view_tickets(as_agent, "unassigned-in-my-queues") == []


def test_breaching_soon_lists_overdue_then_soonest_first(as_agent, agent):
    now = utcnow()
    # First responses: low 24 h, high 4 h, urgent 1 h after opening.
    overdue = services.open_ticket(
        subject="Old", customer=CUSTOMER, priority="low", actor=agent, at=now - timedelta(days=2)
    ).id
    soon = services.open_ticket(
        subject="Soon", customer=CUSTOMER, priority="high", actor=agent, at=now - timedelta(hours=3)
    ).id
    sooner = open_ticket(as_agent, priority="urgent")["id"]
    open_ticket(as_agent, priority="high")  # due in 4 h: not yet
    answered = open_ticket(as_agent, priority="urgent")
    as_agent.post(f"/api/v1/tickets/{answered['id']}/comments", json={"body": "On it."})  # met
    solved = services.open_ticket(
        subject="Done",
        customer=CUSTOMER,
        priority="low",
        actor=agent,
        assignee_id=agent.id,
        at=now - timedelta(days=2),
    )
    services.update_ticket(solved.id, {"status": "solved"}, expected_version=1, actor=agent)

    assert view_tickets(as_agent, "breaching-soon") == [overdue, soon, sooner]


def test_breaching_soon_window_is_a_setting(app, as_agent):
    open_ticket(as_agent, priority="urgent")  # due in 1 h
    app.config["SLA_BREACHING_SOON_SECONDS"] = 1800

    assert view_tickets(as_agent, "breaching-soon") == []
    assert as_agent.get("/api/v1/views/breaching-soon").json["filters"]["breaching_within_seconds"] == 1800


def test_view_tickets_are_paged(as_agent, agent):
    for _ in range(3):
        open_ticket(as_agent, assignee_id=agent.id)

    response = as_agent.get("/api/v1/views/my-open/tickets", query_string={"page_size": 2})

    assert len(response.json) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


def test_built_in_views_cannot_be_deleted(as_agent):
    response = as_agent.delete("/api/v1/views/my-open")

    assert response.status_code == 403
    assert [view["id"] for view in as_agent.get("/api/v1/views").json] == BUILT_IN


# -- saved views -------------------------------------------------------------------------------------


def test_a_saved_view_is_listed_after_the_built_in_ones_and_runs(as_agent, agent):
    urgent_mine = open_ticket(as_agent, priority="urgent", assignee_id=agent.id, subject="Printer fire")
    open_ticket(as_agent, priority="urgent", subject="Printer fire")
    open_ticket(as_agent, priority="low", assignee_id=agent.id, subject="Printer fire")

    view = save(as_agent, "Hot printers", {"priority": "urgent", "assignee_id": "me", "q": "printer"})

    assert view["built_in"] is False
    assert view["filters"] == {"priority": ["urgent"], "assignee_id": ["me"], "q": "printer"}
    listed = as_agent.get("/api/v1/views").json
    assert [v["id"] for v in listed] == [*BUILT_IN, view["id"]]
    assert as_agent.get(f"/api/v1/views/{view['id']}").json == view
    assert view_tickets(as_agent, view["id"]) == [urgent_mine["id"]]


def test_saved_views_are_listed_by_name(as_agent):
    save(as_agent, "Zebra", {})
    save(as_agent, "Apple", {})

    assert [v["name"] for v in as_agent.get("/api/v1/views").json][3:] == ["Apple", "Zebra"]


def test_a_saved_view_keeps_dates_sorting_and_lists(app, as_agent, agent):
    services.open_ticket(
        subject="Old", customer=CUSTOMER, priority="low", actor=agent, at=utcnow() - timedelta(days=3)
    )
    new_urgent = open_ticket(as_agent, priority="urgent")["id"]
    new_low = open_ticket(as_agent, priority="low")["id"]
    since = (utcnow() - timedelta(days=1)).isoformat()

    view = save(
        as_agent,
        "Recent",
        {"created_from": since, "status": ["new", "open"], "sort": "priority", "order": "asc"},
    )

    assert view["filters"]["created_from"].startswith(since[:19])
    assert view_tickets(as_agent, view["id"]) == [new_low, new_urgent]


def test_an_empty_filter_shows_every_ticket(as_agent):
    tickets = {open_ticket(as_agent)["id"] for _ in range(2)}

    view = save(as_agent, "Everything", {})

    assert set(view_tickets(as_agent, view["id"])) == tickets


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"assignee_id": "someone"}, "assignee_id"),
        ({"created_from": "2026-01-05", "created_to": "2026-01-01"}, "created_to"),
        ({"q": "x" * 201}, "q"),
        ({"stauts": "open"}, "stauts"),
        ({"page": 2}, "page"),
    ],
)
def test_saved_filters_are_checked_like_a_search(as_agent, filters, field):
    response = as_agent.post("/api/v1/views", json={"name": "Broken", "filters": filters})

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["filters"]
    assert len(as_agent.get("/api/v1/views").json) == 3


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "nul\x00"])
def test_a_view_needs_a_proper_name(as_agent, name):
    response = as_agent.post("/api/v1/views", json={"name": name, "filters": {}})

    assert response.status_code == 422
    assert "name" in response.json["errors"]


def test_names_are_unique_per_agent_ignoring_case_and_built_ins(as_agent, as_colleague):
    save(as_agent, "Billing", {"tag": "billing"})

    assert as_agent.post("/api/v1/views", json={"name": "BILLING", "filters": {}}).status_code == 409
    assert as_agent.post("/api/v1/views", json={"name": "my open", "filters": {}}).status_code == 409
    save(as_colleague, "Billing", {})  # another agent's names are theirs


def test_an_agent_has_at_most_so_many_saved_views(as_agent, agent):
    for n in range(MAX_SAVED_VIEWS):
        search.create_view(name=f"View {n}", filters={}, actor=agent)

    response = as_agent.post("/api/v1/views", json={"name": "One more", "filters": {}})

    assert response.status_code == 422


def test_deleting_a_saved_view(as_agent):
    view = save(as_agent, "Temporary", {})

    assert as_agent.delete(f"/api/v1/views/{view['id']}").status_code == 204
    assert as_agent.get(f"/api/v1/views/{view['id']}").status_code == 404
    assert as_agent.delete(f"/api/v1/views/{view['id']}").status_code == 404
    assert [v["id"] for v in as_agent.get("/api/v1/views").json] == BUILT_IN


def test_another_agents_saved_view_does_not_exist_for_me(as_agent, as_colleague, colleague):
    theirs = save(as_colleague, "Mine only", {"assignee_id": "me"})
    path = f"/api/v1/views/{theirs['id']}"

    assert as_agent.get(path).status_code == 404
    assert as_agent.get(f"{path}/tickets").status_code == 404
    assert as_agent.delete(path).status_code == 404
    assert [v["id"] for v in as_agent.get("/api/v1/views").json] == BUILT_IN
    assert as_colleague.get(path).status_code == 200  # still there


@pytest.mark.parametrize("view_id", ["nope", "0", "-1", "99999", str(2**31), "1e3", "٣"])
def test_unknown_views_are_404(as_agent, view_id):
    assert as_agent.get(f"/api/v1/views/{view_id}").status_code == 404
    assert as_agent.get(f"/api/v1/views/{view_id}/tickets").status_code == 404
    assert as_agent.delete(f"/api/v1/views/{view_id}").status_code == 404


def test_me_is_stored_as_a_word_for_the_owner(as_agent, agent):
    view = save(as_agent, "Mine", {"assignee_id": ["me"]})
    stored = db.session.get(SavedView, int(view["id"]))

    assert stored.filters == {"assignee_id": ["me"]}
    assert stored.agent_id == agent.id
