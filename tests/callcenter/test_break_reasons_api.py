"""Break reason codes: supervisors set them up, every agent reads them (their console offers them when
they go on break). They are a named setting like teams and queues: unique names, versioned changes
(tests/test_two_writers.py), every change in the settings trail."""

import pytest

from app.callcenter import services as callcenter
from app.errors import Invalid


def test_supervisor_sets_up_a_break_reason_that_agents_read(as_supervisor, as_agent):
    created = as_supervisor.post(
        "/api/v1/break-reasons", json={"name": " Lunch ", "paid": False, "max_minutes": 45}
    )

    assert created.status_code == 201
    assert {key: created.json[key] for key in ("name", "description", "paid", "max_minutes", "version")} == {
        "name": "Lunch",
        "description": "",
        "paid": False,
        "max_minutes": 45,
        "version": 1,
    }
    listed = as_agent.get("/api/v1/break-reasons")
    assert [reason["name"] for reason in listed.json] == ["Lunch"]
    read = as_agent.get(f"/api/v1/break-reasons/{created.json['id']}")
    assert read.headers["ETag"] == 'W/"1"'


def test_break_reasons_are_listed_by_name(as_supervisor, as_agent):
    for name in ("Training", "Coaching", "Lunch"):
        as_supervisor.post("/api/v1/break-reasons", json={"name": name})

    listed = as_agent.get("/api/v1/break-reasons").json

    assert [reason["name"] for reason in listed] == ["Coaching", "Lunch", "Training"]


def test_agents_cannot_set_up_break_reasons(as_agent):
    assert as_agent.post("/api/v1/break-reasons", json={"name": "Nap"}).status_code == 403


def test_names_are_unique_ignoring_case(as_supervisor):
    as_supervisor.post("/api/v1/break-reasons", json={"name": "Lunch"})

    response = as_supervisor.post("/api/v1/break-reasons", json={"name": "lunch"})

    assert response.status_code == 409
    assert "name" in response.json["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("name", "x" * 81), ("max_minutes", 0), ("max_minutes", 481), ("paid", "sometimes")],
)
def test_bad_values_get_422_and_create_nothing(as_supervisor, field, value):
    response = as_supervisor.post("/api/v1/break-reasons", json={"name": "Lunch", field: value})

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert as_supervisor.get("/api/v1/break-reasons").json == []


def test_the_service_refuses_a_break_longer_than_a_shift(app, supervisor):
    """Pages call the service, not the API's schema: the rule holds there too."""
    reason = callcenter.create_break_reason(name="Lunch", actor=supervisor)

    with pytest.raises(Invalid) as refused:
        callcenter.update_break_reason(reason.id, {"max_minutes": 481}, actor=supervisor, expected_version=1)

    assert "max_minutes" in refused.value.errors
    assert callcenter.get_break_reason(reason.id).max_minutes is None


def test_the_service_refuses_a_description_longer_than_the_apis(app, supervisor):
    with pytest.raises(Invalid) as refused:
        callcenter.create_break_reason(name="Lunch", description="x" * 2001, actor=supervisor)

    assert "description" in refused.value.errors


def test_changes_and_deletion_are_in_the_settings_trail(as_supervisor, as_admin, supervisor):
    reason_id = as_supervisor.post("/api/v1/break-reasons", json={"name": "Training"}).json["id"]

    changed = as_supervisor.patch(
        f"/api/v1/break-reasons/{reason_id}", json={"paid": True, "max_minutes": 60, "version": 1}
    )
    deleted = as_supervisor.delete(f"/api/v1/break-reasons/{reason_id}", headers={"If-Match": 'W/"2"'})

    assert (changed.status_code, changed.json["version"], deleted.status_code) == (200, 2, 204)
    assert as_supervisor.get(f"/api/v1/break-reasons/{reason_id}").status_code == 404
    trail = as_admin.get("/api/v1/settings-changes", query_string={"kind": "break_reason"}).json
    assert [(record["action"], record["actor_id"]) for record in trail] == [
        ("deleted", supervisor.id),
        ("updated", supervisor.id),
        ("created", supervisor.id),
    ]
    assert trail[1]["changes"] == {"paid": [False, True], "max_minutes": [None, 60]}


def test_a_missing_break_reason_is_404(as_agent):
    response = as_agent.get("/api/v1/break-reasons/9999")

    assert response.status_code == 404
    assert response.json["message"] == "Break reason 9999 not found."
