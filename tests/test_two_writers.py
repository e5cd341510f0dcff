"""Two writers: two supervisors change the same named setting (a team, queue, macro, business-hours
calendar, SLA policy or break reason), the second one from what they read before the first one's change.
The second change is refused with the setting as it is now, and nothing of it is written: no lost update.

The rule is the tickets' (tests/tickets/test_tickets_api.py): a change or a deletion names the version
it read (the body's `version` or the `If-Match` header, as `ETag` sent it); a stale one is a 409 whose
body carries the setting as it is now (`current`) beside the error envelope; no version is a 428.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.accounts.models import Team
from app.callcenter.models import BreakReason
from app.tickets.models import Macro, Queue
from app.tickets.services import queues
from app.tickets.sla.models import Calendar, SlaPolicy
from tests.factories import AgentFactory
from tests.helpers import ApiClient


@dataclass(frozen=True)
class Kind:
    path: str
    model: type
    created: dict[str, Any]
    # Each supervisor's change, and how the first one looks in an answer.
    first: dict[str, Any]
    second: dict[str, Any]
    first_as_answered: dict[str, Any] = field(default_factory=dict)
    deletable: bool = True

    def answered(self) -> dict[str, Any]:
        return self.first_as_answered or self.first


HOURS = {"mon": [["09:00", "17:00"]]}
KINDS = {
    "team": Kind(
        "/api/v1/teams", Team, {"name": "Billing"}, {"description": "Invoices"}, {"description": "Refunds"}
    ),
    "queue": Kind(
        "/api/v1/queues",
        Queue,
        {"name": "Billing"},
        {"description": "Invoices"},
        {"description": "Refunds"},
        deletable=False,  # queues are not deleted
    ),
    "macro": Kind(
        "/api/v1/macros",
        Macro,
        {"name": "Billing", "actions": {"set": {"priority": "high"}}},
        {"actions": {"set": {"priority": "low"}}},
        {"actions": {"set": {"priority": "urgent"}}},
    ),
    "calendar": Kind(
        "/api/v1/calendars",
        Calendar,
        {"name": "Billing", "timezone": "UTC", "weekly_hours": HOURS},
        {"timezone": "Asia/Shanghai"},
        {"timezone": "Europe/Paris"},
    ),
    "sla_policy": Kind(
        "/api/v1/sla-policies",
        SlaPolicy,
        {"name": "Billing", "priority": "urgent", "first_response_seconds": 600},
        {"first_response_seconds": 300},
        {"first_response_seconds": 900},
    ),
    "break_reason": Kind(
        "/api/v1/break-reasons", BreakReason, {"name": "Lunch"}, {"max_minutes": 30}, {"max_minutes": 45}
    ),
}
DELETABLE = [name for name, kind in KINDS.items() if kind.deletable]


@pytest.fixture
def app_config(app_config, backend, tmp_path):
    # A file, not the in-memory database's one connection: another supervisor's request must be able to
    # commit on a connection of its own while this one's transaction is open (the race below).
    if backend == "sqlite":
        return {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'desk.db'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    return app_config


@pytest.fixture
def first(as_supervisor) -> ApiClient:
    return as_supervisor


@pytest.fixture
def second_supervisor(app):
    return AgentFactory(role="supervisor", name="Sue Second")


@pytest.fixture
def second(app, second_supervisor) -> ApiClient:
    return ApiClient.for_agent(app, second_supervisor)


def _create(client: ApiClient, kind: Kind) -> dict:
    response = client.post(kind.path, json=kind.created)
    assert response.status_code == 201, response.json
    return response.json


def _read(client: ApiClient, kind: Kind, setting_id: int):
    response = client.get(f"{kind.path}/{setting_id}")
    assert response.status_code == 200
    return response


def _trail(as_admin: ApiClient, kind_name: str) -> list[dict]:
    return as_admin.get("/api/v1/settings-changes", query_string={"kind": kind_name}).json


def _shows(answer: dict, values: dict) -> bool:
    return all(answer[name] == value for name, value in values.items())


# -- the second writer --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind_name", KINDS)
def test_the_second_of_two_supervisors_gets_409_with_the_first_ones_change(
    first, second, as_admin, supervisor, kind_name
):
    kind = KINDS[kind_name]
    setting_id = _create(first, kind)["id"]
    read_by_first, read_by_second = _read(first, kind, setting_id), _read(second, kind, setting_id)
    assert read_by_first.json["version"] == read_by_second.json["version"] == 1
    assert read_by_first.headers["ETag"] == 'W/"1"'

    won = first.patch(
        f"{kind.path}/{setting_id}", json=kind.first, headers={"If-Match": read_by_first.headers["ETag"]}
    )
    lost = second.patch(f"{kind.path}/{setting_id}", json={**kind.second, "version": 1})

    assert (won.status_code, won.json["version"], won.headers["ETag"]) == (200, 2, 'W/"2"')
    assert lost.status_code == 409
    assert lost.json["code"] == 409
    assert "was changed by someone else (now version 2)" in lost.json["message"]
    assert lost.json["errors"] == {"version": ["Current version is 2."]}
    assert lost.json["current"] == won.json
    stored = _read(first, kind, setting_id).json
    assert _shows(stored, kind.answered()) and stored["version"] == 2
    updated, _created = _trail(as_admin, kind_name)
    assert (updated["action"], updated["actor_id"]) == ("updated", supervisor.id)  # the first's alone
    assert updated["changes"] == {name: [read_by_first.json[name], new] for name, new in kind.first.items()}


@pytest.mark.parametrize("kind_name", ["team", "queue"])
def test_a_change_of_members_or_skills_alone_is_a_new_version_too(
    first, second, supervisor, second_supervisor, kind_name
):
    """Members and skills live in tables of their own: changing only them still makes a new version,
    so the second supervisor's list does not replace the first one's unseen."""
    kind = KINDS[kind_name]
    setting_id = _create(first, kind)["id"]
    field_name, (first_list, second_list), answered = {
        "team": ("member_ids", ([supervisor.id], [second_supervisor.id]), "members"),
        "queue": ("skills", (["english"], ["german"]), "skills"),
    }[kind_name]

    won = first.patch(f"{kind.path}/{setting_id}", json={field_name: first_list, "version": 1})
    lost = second.patch(f"{kind.path}/{setting_id}", json={field_name: second_list, "version": 1})

    assert (won.status_code, won.json["version"]) == (200, 2)
    assert lost.status_code == 409
    assert lost.json["current"][answered] == won.json[answered]
    assert _read(first, kind, setting_id).json == won.json


def test_an_agent_put_in_a_team_by_an_admin_is_a_new_version_of_the_team(first, as_admin, supervisor, agent):
    """A team's members change from the agent's side too (an admin setting their teams): a supervisor
    who read the members before must not drop the new one unseen."""
    team = first.post("/api/v1/teams", json={"name": "Billing", "member_ids": [supervisor.id]}).json

    joined = as_admin.patch(f"/api/v1/agents/{agent.id}", json={"team_ids": [team["id"]]})
    stale = first.patch(f"/api/v1/teams/{team['id']}", json={"member_ids": [supervisor.id], "version": 1})

    assert joined.status_code == 200
    assert stale.status_code == 409
    assert stale.json["current"]["version"] == 2
    assert {member["id"] for member in stale.json["current"]["members"]} == {supervisor.id, agent.id}


@pytest.mark.parametrize("kind_name", DELETABLE)
def test_deleting_a_setting_someone_changed_since_gets_409_and_keeps_it(first, second, as_admin, kind_name):
    """A deletion is a change too: deleting the version one read must not throw away a change one
    never saw."""
    kind = KINDS[kind_name]
    setting_id = _create(first, kind)["id"]
    won = first.patch(f"{kind.path}/{setting_id}", json={**kind.first, "version": 1})

    lost = second.delete(f"{kind.path}/{setting_id}", headers={"If-Match": 'W/"1"'})

    assert lost.status_code == 409
    assert lost.json["current"] == won.json
    assert _read(first, kind, setting_id).json == won.json
    assert [record["action"] for record in _trail(as_admin, kind_name)] == ["updated", "created"]
    # Having seen the change, they may delete it.
    assert second.delete(f"{kind.path}/{setting_id}", headers={"If-Match": 'W/"2"'}).status_code == 204


# -- naming the version ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    [{"headers": {"If-Match": value}} for value in ("1", '"1"', 'W/"1"')] + [{"version_in_body": 1}],
    ids=["If-Match 1", 'If-Match "1"', 'If-Match W/"1"', "body version"],
)
def test_the_version_read_may_be_sent_as_if_match_or_in_the_body(first, how):
    queue_id = _create(first, KINDS["queue"])["id"]
    body = {"description": "Invoices"}
    if "version_in_body" in how:
        body["version"] = how["version_in_body"]

    response = first.patch(f"/api/v1/queues/{queue_id}", json=body, headers=how.get("headers", {}))

    assert response.status_code == 200, response.json
    assert (response.json["description"], response.json["version"]) == ("Invoices", 2)


@pytest.mark.parametrize("kind_name", KINDS)
def test_a_change_without_a_version_gets_428_and_changes_nothing(first, as_admin, kind_name):
    kind = KINDS[kind_name]
    created = _create(first, kind)

    response = first.patch(f"{kind.path}/{created['id']}", json=kind.first)

    assert response.status_code == 428
    assert "version" in response.json["errors"]
    assert _read(first, kind, created["id"]).json == created
    assert [record["action"] for record in _trail(as_admin, kind_name)] == ["created"]


@pytest.mark.parametrize("kind_name", DELETABLE)
def test_a_deletion_without_a_version_gets_428_and_deletes_nothing(first, kind_name):
    kind = KINDS[kind_name]
    created = _create(first, kind)

    response = first.delete(f"{kind.path}/{created['id']}")

    assert response.status_code == 428
    assert _read(first, kind, created["id"]).json == created


def test_callers_that_read_nothing_first_change_settings_without_a_version(app, supervisor):
    """The demo loader and the command line name no version; they change what is there."""
    queue = queues.create_queue(name="Billing", actor=None)
    queues.update_queue(queue.id, {"description": "Invoices"}, actor=supervisor)

    changed = queues.update_queue(queue.id, {"description": "Refunds"}, actor=None)

    assert (changed.description, changed.version) == ("Refunds", 3)


# -- the race between the read and the write --------------------------------------------------------


@contextmanager
def another_supervisor_commits_first(model: type, change: Callable[[], Any]) -> Iterator[list]:
    """Runs `change` (another supervisor's request: its own session and connection) the moment a session
    is about to write a `model` row, after its use case read the row and checked the version: the other
    supervisor's change commits between this one's read and its write."""
    answers: list = []
    started = False

    def before_flush(session, _flush_context, _instances) -> None:
        nonlocal started
        writing = (*session.dirty, *session.deleted)
        if started or not any(isinstance(row, model) for row in writing):
            return
        started = True  # once: the other request's own flushes pass by
        answers.append(change())

    event.listen(Session, "before_flush", before_flush)
    try:
        yield answers
    finally:
        event.remove(Session, "before_flush", before_flush)


@pytest.mark.parametrize("kind_name", KINDS)
def test_a_change_that_loses_its_race_at_the_write_gets_the_same_409(first, second, as_admin, kind_name):
    kind = KINDS[kind_name]
    setting_id = _create(first, kind)["id"]
    path = f"{kind.path}/{setting_id}"

    with another_supervisor_commits_first(
        kind.model, lambda: first.patch(path, json={**kind.first, "version": 1})
    ) as won:
        lost = second.patch(path, json={**kind.second, "version": 1})

    assert won[0].status_code == 200
    assert lost.status_code == 409, lost.json
    assert lost.json["current"] == won[0].json
    assert "was changed by someone else (now version 2)" in lost.json["message"]
    stored = _read(first, kind, setting_id).json
    assert _shows(stored, kind.answered()) and stored["version"] == 2
    assert [record["action"] for record in _trail(as_admin, kind_name)] == ["updated", "created"]


@pytest.mark.parametrize("kind_name", DELETABLE)
def test_a_deletion_that_loses_its_race_at_the_write_gets_409_and_keeps_the_change(
    first, second, as_admin, kind_name
):
    kind = KINDS[kind_name]
    setting_id = _create(first, kind)["id"]
    path = f"{kind.path}/{setting_id}"

    with another_supervisor_commits_first(
        kind.model, lambda: first.patch(path, json={**kind.first, "version": 1})
    ) as won:
        lost = second.delete(path, headers={"If-Match": "1"})

    assert lost.status_code == 409, lost.json
    assert lost.json["current"] == won[0].json
    assert _read(first, kind, setting_id).json == won[0].json
    assert [record["action"] for record in _trail(as_admin, kind_name)] == ["updated", "created"]


def test_a_change_racing_a_deletion_is_told_the_setting_is_gone(first, second):
    macro_id = _create(first, KINDS["macro"])["id"]
    path = f"/api/v1/macros/{macro_id}"

    with another_supervisor_commits_first(Macro, lambda: first.delete(path, headers={"If-Match": "1"})):
        lost = second.patch(path, json={"description": "Mine", "version": 1})

    assert lost.status_code == 404
    assert first.get(path).status_code == 404


# -- what the API says ----------------------------------------------------------------------------------


def test_a_tickets_answer_carries_its_version_as_etag_too(first):
    from tests.tickets.test_tickets_api import open_ticket

    ticket = open_ticket(first)

    read = first.get(f"/api/v1/tickets/{ticket['id']}")
    changed = first.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"priority": "high"},
        headers={"If-Match": read.headers["ETag"]},
    )

    assert (read.headers["ETag"], changed.status_code, changed.headers["ETag"]) == ('W/"1"', 200, 'W/"2"')


VERSIONED_PATHS = {
    "/api/v1/tickets/{ticket_id}": ["patch"],
    "/api/v1/tickets/{ticket_id}/macro": ["post"],
    "/api/v1/teams/{team_id}": ["patch", "delete"],
    "/api/v1/queues/{queue_id}": ["patch"],
    "/api/v1/macros/{macro_id}": ["patch", "delete"],
    "/api/v1/calendars/{calendar_id}": ["patch", "delete"],
    "/api/v1/sla-policies/{policy_id}": ["patch", "delete"],
    "/api/v1/break-reasons/{reason_id}": ["patch", "delete"],
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_api_document_says_how_every_versioned_change_is_made(client):
    spec = client.get("/api/v1/openapi.json").json
    components = spec["components"]["schemas"]
    wrong = []
    for path, changes in VERSIONED_PATHS.items():
        operations = spec["paths"][path]
        for method in changes:
            operation = operations[method]
            stale = operation["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
            if "current" not in components[stale.rsplit("/", 1)[-1]]["properties"]:
                wrong.append(f"{method} {path}: no `current` in its 409")
            if "428" not in operation["responses"]:
                wrong.append(f"{method} {path}: no 428")
            if "If-Match" not in [parameter["name"] for parameter in operation.get("parameters", [])]:
                wrong.append(f"{method} {path}: no If-Match")
        for method in ("get", "patch", "post"):
            if method in operations and "ETag" not in operations[method]["responses"]["200"]["headers"]:
                wrong.append(f"{method} {path}: no ETag")
    assert not wrong, "\n".join(wrong)
