"""The settings trail: every create, change and delete of a named setting says who made it and what each
field was before and after; a refused change leaves no record; admins alone read it, by API and page."""

from __future__ import annotations

import json

import pytest

from app.accounts import services as accounts
from app.accounts.models import SettingChange
from app.errors import AppError
from app.extensions import db
from app.tickets import services as tickets
from app.tickets.sla import services as sla
from tests.factories import AgentFactory
from tests.helpers import nothing_pending, signed_in

HOURS = {"mon": [["09:00", "17:00"]]}

# path, what a creation posts, what an update changes, and the record that change leaves.
KINDS = {
    "team": (
        "/api/v1/teams",
        {"name": "Billing", "description": "Money"},
        {"description": "Invoices"},
        {"description": ["Money", "Invoices"]},
    ),
    "queue": (
        "/api/v1/queues",
        {"name": "Billing", "description": "Money"},
        {"description": "Invoices"},
        {"description": ["Money", "Invoices"]},
    ),
    "macro": (
        "/api/v1/macros",
        {"name": "Billing", "actions": {"set": {"priority": "high"}}},
        {"actions": {"set": {"priority": "low"}}},
        {"actions": [{"set": {"priority": "high"}}, {"set": {"priority": "low"}}]},
    ),
    "calendar": (
        "/api/v1/calendars",
        {"name": "Billing", "timezone": "UTC", "weekly_hours": HOURS},
        {"timezone": "Asia/Shanghai"},
        {"timezone": ["UTC", "Asia/Shanghai"]},
    ),
    "sla_policy": (
        "/api/v1/sla-policies",
        {"name": "Billing", "priority": "urgent", "first_response_seconds": 600},
        {"first_response_seconds": 300},
        {"first_response_seconds": [600, 300]},
    ),
}
DELETABLE = [kind for kind in KINDS if kind != "queue"]
# A change that renames the setting and then names something that does not exist: refused halfway.
REFUSED_UPDATES = {
    "team": {"name": "Renamed", "member_ids": [99999]},
    "queue": {"name": "Renamed", "team_id": 99999},
    "macro": {"name": "Renamed", "actions": {"set": {"queue_id": 99999}}},
    "calendar": {"name": "Renamed", "timezone": "Mars/Olympus_Mons"},
    "sla_policy": {"name": "Renamed", "queue_id": 99999},
}
UPDATES = {
    "team": accounts.update_team,
    "queue": tickets.update_queue,
    "macro": tickets.update_macro,
    "calendar": sla.update_calendar,
    "sla_policy": sla.update_policy,
}


def _trail(as_admin, **filters) -> list[dict]:
    response = as_admin.get("/api/v1/settings-changes", query_string=filters)
    assert response.status_code == 200
    return response.json


def _create(client, kind: str) -> dict:
    path, values, _update, _recorded = KINDS[kind]
    response = client.post(path, json=values)
    assert response.status_code == 201, response.json
    return response.json


# -- what is recorded -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_creating_a_setting_records_who_and_its_values(as_supervisor, as_admin, supervisor, kind):
    created = _create(as_supervisor, kind)

    [record] = _trail(as_admin)
    assert (record["kind"], record["setting_id"], record["name"]) == (kind, created["id"], "Billing")
    assert (record["action"], record["actor_id"], record["actor"]["name"]) == (
        "created",
        supervisor.id,
        "Sam Supervisor",
    )
    assert record["changes"]["name"] == [None, "Billing"]
    assert all(old is None for old, _new in record["changes"].values())


@pytest.mark.parametrize("kind", KINDS)
def test_changing_a_setting_records_each_changed_field_before_and_after(as_supervisor, as_admin, kind):
    path, _values, update, recorded = KINDS[kind]
    created = _create(as_supervisor, kind)

    response = as_supervisor.patch(f"{path}/{created['id']}", json={**update, "version": created["version"]})

    assert response.status_code == 200, response.json
    changed, _created = _trail(as_admin, kind=kind)
    assert (changed["action"], changed["setting_id"], changed["changes"]) == (
        "updated",
        created["id"],
        recorded,
    )


def test_renaming_records_the_old_and_the_new_name(as_supervisor, as_admin):
    team = _create(as_supervisor, "team")

    as_supervisor.patch(f"/api/v1/teams/{team['id']}", json={"name": "Invoices", "version": team["version"]})

    renamed = _trail(as_admin)[0]
    assert (renamed["name"], renamed["changes"]) == ("Invoices", {"name": ["Billing", "Invoices"]})


def test_a_change_that_changes_nothing_records_nothing(as_supervisor, as_admin):
    team = _create(as_supervisor, "team")

    response = as_supervisor.patch(f"/api/v1/teams/{team['id']}", json={"description": "Money", "version": 1})

    assert response.status_code == 200
    assert response.json["version"] == 1  # nothing changed: no new version either
    assert [record["action"] for record in _trail(as_admin)] == ["created"]


@pytest.mark.parametrize("kind", DELETABLE)
def test_deleting_a_setting_records_its_last_values(as_supervisor, as_admin, supervisor, kind):
    path = KINDS[kind][0]
    created = _create(as_supervisor, kind)

    response = as_supervisor.delete(f"{path}/{created['id']}", headers={"If-Match": str(created["version"])})

    assert response.status_code == 204

    deleted, _created = _trail(as_admin, kind=kind)
    assert (deleted["action"], deleted["setting_id"], deleted["actor_id"]) == (
        "deleted",
        created["id"],
        supervisor.id,
    )
    assert deleted["changes"]["name"] == ["Billing", None]
    assert all(new is None for _old, new in deleted["changes"].values())


def test_defining_a_custom_field_is_recorded(as_supervisor, as_admin, supervisor):
    field = {"key": "contract", "label": "Contract", "type": "choice", "choices": ["gold", "silver"]}

    assert as_supervisor.post("/api/v1/customers/fields", json=field).status_code == 201

    [record] = _trail(as_admin, kind="custom_field")
    assert (record["name"], record["action"], record["actor_id"]) == ("contract", "created", supervisor.id)
    assert record["changes"]["choices"] == [None, ["gold", "silver"]]


# -- refused changes leave nothing ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_name_already_taken_is_refused_and_recorded_nowhere(as_supervisor, as_admin, kind):
    path, values, _update, _recorded = KINDS[kind]
    _create(as_supervisor, kind)

    response = as_supervisor.post(path, json={**values, "name": " BILLING "})

    assert response.status_code == 409
    assert [record["action"] for record in _trail(as_admin)] == ["created"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_refused_halfway_leaves_the_setting_and_the_trail_as_they_were(
    as_supervisor, as_admin, kind
):
    path = KINDS[kind][0]
    created = _create(as_supervisor, kind)

    response = as_supervisor.patch(f"{path}/{created['id']}", json={**REFUSED_UPDATES[kind], "version": 1})

    assert response.status_code == 422, response.json
    assert as_supervisor.get(f"{path}/{created['id']}").json["name"] == "Billing"
    assert [record["action"] for record in _trail(as_admin)] == ["created"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_use_case_refused_halfway_leaves_nothing_in_the_session(as_supervisor, supervisor, kind):
    created = _create(as_supervisor, kind)

    with pytest.raises(AppError):
        UPDATES[kind](created["id"], REFUSED_UPDATES[kind], actor=supervisor)

    assert nothing_pending()
    assert db.session.query(SettingChange).count() == 1


def test_a_blank_name_is_refused_for_every_kind(as_supervisor):
    for kind, (path, values, _update, _recorded) in KINDS.items():
        response = as_supervisor.post(path, json={**values, "name": "   "})

        assert response.status_code == 422, kind
        assert "name" in response.json["errors"]


# -- who reads it -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["as_agent", "as_supervisor"])
def test_only_admins_read_the_trail(app, request, who):
    assert request.getfixturevalue(who).get("/api/v1/settings-changes").status_code == 403


def test_the_trail_is_paged_newest_first_and_filtered(as_supervisor, as_admin, supervisor, admin):
    team = _create(as_supervisor, "team")
    queue = _create(as_supervisor, "queue")
    as_admin.patch(f"/api/v1/teams/{team['id']}", json={"description": "Invoices", "version": 1})

    response = as_admin.get("/api/v1/settings-changes", query_string={"page_size": 2})

    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert [(r["kind"], r["action"]) for r in response.json] == [("team", "updated"), ("queue", "created")]
    assert [r["action"] for r in _trail(as_admin, kind="team", setting_id=team["id"])] == [
        "updated",
        "created",
    ]
    assert [r["setting_id"] for r in _trail(as_admin, actor_id=supervisor.id)] == [queue["id"], team["id"]]
    assert [r["actor_id"] for r in _trail(as_admin, actor_id=admin.id)] == [admin.id]
    assert as_admin.get("/api/v1/settings-changes?kind=printer").status_code == 422


def test_the_trail_is_documented_in_the_api_spec(client):
    spec = client.get("/api/v1/openapi.json").json

    assert "get" in spec["paths"]["/api/v1/settings-changes"]
    assert {"kind", "setting_id", "name", "action", "changes", "actor_id"} <= set(
        spec["components"]["schemas"]["SettingChange"]["properties"]
    )


# -- the admins' page -------------------------------------------------------------------------------


def test_admins_see_the_changes_on_their_page(client, as_supervisor, admin):
    team = _create(as_supervisor, "team")
    as_supervisor.patch(f"/api/v1/teams/{team['id']}", json={"description": "Invoices", "version": 1})
    signed_in(client, admin)

    page = client.get("/admin/settings-changes").get_data(as_text=True)

    assert 'href="/settings"' in page  # in the navigation; the settings index links the trail
    assert "Sam Supervisor" in page and "Billing" in page
    assert "Description: Money → Invoices" in page
    assert page.index("Changed") < page.index("Created")


def test_the_page_shows_one_kind_of_setting(client, as_supervisor, admin):
    _create(as_supervisor, "team")
    _create(as_supervisor, "macro")
    signed_in(client, admin)

    page = client.get("/admin/settings-changes?kind=macro").get_data(as_text=True)

    assert "Macro · Billing" in page and "Team · Billing" not in page


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_page_is_only_for_admins(client, role):
    person = AgentFactory(role=role)
    signed_in(client, person)

    assert client.get("/admin/settings-changes").status_code == 403
    assert 'href="/admin/settings-changes"' not in client.get("/tickets").get_data(as_text=True)


def test_the_page_speaks_chinese_to_a_chinese_speaking_admin(client, as_supervisor):
    _create(as_supervisor, "sla_policy")
    signed_in(client, AgentFactory(role="admin", language="zh"))

    page = client.get("/admin/settings-changes").get_data(as_text=True)

    assert "设置变更" in page
    assert "SLA 策略" in page and "已创建" in page
    assert "首次响应（秒）" in page and "first_response_seconds" not in page  # noqa: RUF001 (Chinese punctuation); fields in their words too
    assert "Settings changes" not in page
