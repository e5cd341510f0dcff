"""The SLA setup API: business-hours calendars and SLA policies. Supervisors and admins change them,
everyone signed in reads them."""

from __future__ import annotations

import pytest

from tests.ticket_factories import CalendarFactory, QueueFactory, SlaPolicyFactory

NINE_TO_FIVE = [["09:00", "17:00"]]
# A change names the version it read (a new setting is at 1): tests/test_two_writers.py.
VERSION_1 = {"If-Match": 'W/"1"'}
OFFICE = {
    "name": "London office",
    "timezone": "Europe/London",
    "weekly_hours": {"mon": NINE_TO_FIVE, "TUE": [["13:00", "17:00"], ["09:00", "12:00"]]},
    "holidays": ["2026-12-26", "2026-12-25"],
}


# -- calendars --------------------------------------------------------------------------------------


def test_a_supervisor_creates_a_calendar_and_gets_it_back_normalised(as_supervisor):
    response = as_supervisor.post("/api/v1/calendars", json=OFFICE)

    assert response.status_code == 201
    assert response.json["name"] == "London office"
    assert response.json["timezone"] == "Europe/London"
    assert response.json["weekly_hours"] == {
        "mon": NINE_TO_FIVE,
        "tue": [["09:00", "12:00"], ["13:00", "17:00"]],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [],
        "sun": [],
    }
    assert response.json["holidays"] == ["2026-12-25", "2026-12-26"]
    assert as_supervisor.get(f"/api/v1/calendars/{response.json['id']}").json == response.json


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"weekly_hours": {"mon": [["17:00", "09:00"]]}}, "weekly_hours", "must be before"),
        ({"weekly_hours": {"mon": [["09:00", "12:00"], ["11:00", "17:00"]]}}, "weekly_hours", "overlaps"),
        ({"weekly_hours": {"funday": NINE_TO_FIVE}}, "weekly_hours", "unknown weekday"),
        ({"weekly_hours": {"mon": [["9am", "5pm"]]}}, "weekly_hours", "HH:MM"),
        ({"weekly_hours": {"sat": []}}, "weekly_hours", "at least one interval"),
        ({"holidays": ["25/12/2026"]}, "holidays", "YYYY-MM-DD"),
    ],
)
def test_an_invalid_calendar_gets_422_naming_the_field(as_supervisor, change, field, words):
    response = as_supervisor.post("/api/v1/calendars", json=OFFICE | change)

    assert response.status_code == 422
    assert words in response.json["errors"][field][0]
    assert as_supervisor.get("/api/v1/calendars").json == []


def test_a_calendar_needs_a_name_a_time_zone_and_hours(as_supervisor):
    response = as_supervisor.post("/api/v1/calendars", json={})

    assert response.status_code == 422
    assert set(response.json["errors"]) == {"name", "timezone", "weekly_hours"}


def test_calendar_names_are_unique(as_supervisor):
    as_supervisor.post("/api/v1/calendars", json=OFFICE)

    assert as_supervisor.post("/api/v1/calendars", json=OFFICE | {"name": "london OFFICE"}).status_code == 409


def test_patching_a_calendar_changes_only_the_given_fields(as_supervisor):
    calendar_id = as_supervisor.post("/api/v1/calendars", json=OFFICE).json["id"]

    response = as_supervisor.patch(
        f"/api/v1/calendars/{calendar_id}", json={"holidays": ["2027-01-01"], "version": 1}
    )

    assert response.status_code == 200
    assert response.json["holidays"] == ["2027-01-01"]
    assert response.json["weekly_hours"]["mon"] == NINE_TO_FIVE
    assert response.json["timezone"] == "Europe/London"


def test_patching_in_invalid_hours_gets_422_and_keeps_the_calendar(as_supervisor):
    calendar_id = as_supervisor.post("/api/v1/calendars", json=OFFICE).json["id"]

    response = as_supervisor.patch(
        f"/api/v1/calendars/{calendar_id}", json={"weekly_hours": {"mon": [["24:00", "09:00"]]}, "version": 1}
    )

    assert response.status_code == 422
    assert "weekly_hours" in response.json["errors"]
    assert as_supervisor.get(f"/api/v1/calendars/{calendar_id}").json["weekly_hours"]["mon"] == NINE_TO_FIVE


def test_deleting_a_calendar(as_supervisor):
    calendar_id = as_supervisor.post("/api/v1/calendars", json=OFFICE).json["id"]

    assert as_supervisor.delete(f"/api/v1/calendars/{calendar_id}", headers=VERSION_1).status_code == 204
    assert as_supervisor.get(f"/api/v1/calendars/{calendar_id}").status_code == 404


def test_a_calendar_a_policy_uses_cannot_be_deleted(as_supervisor):
    calendar = CalendarFactory()
    SlaPolicyFactory(name="Office hours", calendar=calendar)

    response = as_supervisor.delete(f"/api/v1/calendars/{calendar.id}", headers=VERSION_1)

    assert response.status_code == 409
    assert "Office hours" in response.json["message"]
    assert as_supervisor.get(f"/api/v1/calendars/{calendar.id}").status_code == 200


def test_agents_read_calendars_but_do_not_change_them(as_agent):
    calendar = CalendarFactory(name="Office")

    assert [c["name"] for c in as_agent.get("/api/v1/calendars").json] == ["Office"]
    assert as_agent.post("/api/v1/calendars", json=OFFICE).status_code == 403
    assert as_agent.patch(f"/api/v1/calendars/{calendar.id}", json={"name": "Mine"}).status_code == 403
    assert as_agent.delete(f"/api/v1/calendars/{calendar.id}").status_code == 403


def test_a_missing_calendar_is_404(as_supervisor):
    assert as_supervisor.get("/api/v1/calendars/404").status_code == 404
    assert as_supervisor.patch("/api/v1/calendars/404", json={"name": "X", "version": 1}).status_code == 404
    assert as_supervisor.delete("/api/v1/calendars/404", headers=VERSION_1).status_code == 404


# -- policies ---------------------------------------------------------------------------------------


def test_a_supervisor_creates_a_policy(as_supervisor):
    queue, calendar = QueueFactory(name="Billing"), CalendarFactory()
    body = {
        "name": "Urgent billing",
        "queue_id": queue.id,
        "priority": "urgent",
        "ticket_type": "incident",
        "calendar_id": calendar.id,
        "first_response_seconds": 1800,
        "next_response_seconds": 3600,
        "resolution_seconds": 86400,
        "warning_seconds": 600,
    }

    response = as_supervisor.post("/api/v1/sla-policies", json=body)

    assert response.status_code == 201
    assert {key: response.json[key] for key in body} == body
    assert as_supervisor.get(f"/api/v1/sla-policies/{response.json['id']}").json == response.json


def test_a_policy_may_leave_out_targets_and_criteria(as_supervisor):
    response = as_supervisor.post(
        "/api/v1/sla-policies", json={"name": "Resolve in a day", "resolution_seconds": 86400}
    )

    assert response.status_code == 201
    assert response.json["queue_id"] is response.json["priority"] is response.json["ticket_type"] is None
    assert response.json["first_response_seconds"] is None
    assert response.json["warning_seconds"] == 3600


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_response_seconds": 0}, "first_response_seconds"),
        ({"resolution_seconds": 366 * 86400}, "resolution_seconds"),
        ({"next_response_seconds": -5}, "next_response_seconds"),
        ({"warning_seconds": -1}, "warning_seconds"),
        ({"priority": "whenever"}, "priority"),
        ({"ticket_type": "gripe"}, "ticket_type"),
        ({"queue_id": 404}, "queue_id"),
        ({"calendar_id": 404}, "calendar_id"),
        ({"name": ""}, "name"),
    ],
)
def test_an_invalid_policy_gets_422_naming_the_field(as_supervisor, change, field):
    response = as_supervisor.post(
        "/api/v1/sla-policies", json={"name": "P", "first_response_seconds": 60} | change
    )

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert as_supervisor.get("/api/v1/sla-policies").json == []


def test_a_policy_needs_at_least_one_target(as_supervisor):
    response = as_supervisor.post("/api/v1/sla-policies", json={"name": "Nothing", "priority": "low"})

    assert response.status_code == 422
    assert "at least one target" in response.json["errors"]["_schema"][0]


def test_patching_away_the_last_target_gets_422(as_supervisor):
    policy = SlaPolicyFactory(first_response_seconds=60, next_response_seconds=None, resolution_seconds=None)

    response = as_supervisor.patch(
        f"/api/v1/sla-policies/{policy.id}", json={"first_response_seconds": None, "version": 1}
    )

    assert response.status_code == 422
    assert as_supervisor.get(f"/api/v1/sla-policies/{policy.id}").json["first_response_seconds"] == 60


def test_patching_a_policy_changes_only_the_given_fields(as_supervisor):
    policy = SlaPolicyFactory(name="Old", priority="high", first_response_seconds=60)

    response = as_supervisor.patch(
        f"/api/v1/sla-policies/{policy.id}", json={"name": "New", "warning_seconds": 0, "version": 1}
    )

    assert response.status_code == 200
    assert (response.json["name"], response.json["priority"], response.json["warning_seconds"]) == (
        "New",
        "high",
        0,
    )
    assert response.json["first_response_seconds"] == 60


def test_policy_names_are_unique(as_supervisor):
    SlaPolicyFactory(name="Gold")

    response = as_supervisor.post("/api/v1/sla-policies", json={"name": "gold", "first_response_seconds": 60})

    assert response.status_code == 409


def test_a_second_policy_with_the_same_criteria_is_refused(as_supervisor):
    SlaPolicyFactory(name="High", priority="high", first_response_seconds=60)

    response = as_supervisor.post(
        "/api/v1/sla-policies", json={"name": "Also high", "priority": "high", "first_response_seconds": 30}
    )

    assert response.status_code == 409
    assert "High" in response.json["message"]


def test_deleting_a_policy(as_supervisor):
    policy = SlaPolicyFactory()

    assert as_supervisor.delete(f"/api/v1/sla-policies/{policy.id}", headers=VERSION_1).status_code == 204
    assert as_supervisor.get(f"/api/v1/sla-policies/{policy.id}").status_code == 404


def test_agents_read_policies_but_do_not_change_them(as_agent):
    policy = SlaPolicyFactory(name="Gold")

    assert [p["name"] for p in as_agent.get("/api/v1/sla-policies").json] == ["Gold"]
    assert (
        as_agent.post("/api/v1/sla-policies", json={"name": "Mine", "first_response_seconds": 60}).status_code
        == 403
    )
    assert as_agent.patch(f"/api/v1/sla-policies/{policy.id}", json={"name": "Mine"}).status_code == 403
    assert as_agent.delete(f"/api/v1/sla-policies/{policy.id}").status_code == 403


def test_admins_manage_policies_too(as_admin):
    response = as_admin.post("/api/v1/sla-policies", json={"name": "Admin's", "first_response_seconds": 60})

    assert response.status_code == 201


def test_signing_in_is_required(client):
    assert client.get("/api/v1/sla-policies").status_code == 401
    assert client.get("/api/v1/calendars").status_code == 401


def test_the_api_documentation_describes_the_sla_endpoints_and_their_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    calendar, policy = paths["/api/v1/calendars/{calendar_id}"], paths["/api/v1/sla-policies/{policy_id}"]
    assert {"get", "patch", "delete"} <= set(calendar) and {"get", "post"} <= set(paths["/api/v1/calendars"])
    assert {"get", "patch", "delete"} <= set(policy) and {"get", "post"} <= set(paths["/api/v1/sla-policies"])
    assert {"403", "404", "409"} <= set(calendar["delete"]["responses"])
    assert {"403", "404", "409", "422"} <= set(policy["patch"]["responses"])
    assert {"403", "409", "422"} <= set(paths["/api/v1/sla-policies"]["post"]["responses"])


# -- holiday names ----------------------------------------------------------------------------------


def test_holidays_may_be_named(as_supervisor):
    names = {"2026-12-25": "Christmas Day", "2026-12-26": " Boxing Day "}

    response = as_supervisor.post("/api/v1/calendars", json=OFFICE | {"holiday_names": names})

    assert response.status_code == 201
    assert response.json["holiday_names"] == {"2026-12-25": "Christmas Day", "2026-12-26": "Boxing Day"}


def test_a_name_for_a_day_that_is_no_holiday_is_refused(as_supervisor):
    response = as_supervisor.post(
        "/api/v1/calendars", json=OFFICE | {"holiday_names": {"2026-12-24": "Christmas Eve"}}
    )

    assert response.status_code == 422
    assert response.json["errors"]["holiday_names"] == ["2026-12-24 is not one of the holidays."]
    assert as_supervisor.get("/api/v1/calendars").json == []


def test_a_holiday_taken_out_takes_its_name_with_it(as_supervisor):
    names = {"2026-12-25": "Christmas Day", "2026-12-26": "Boxing Day"}
    calendar_id = as_supervisor.post("/api/v1/calendars", json=OFFICE | {"holiday_names": names}).json["id"]

    response = as_supervisor.patch(
        f"/api/v1/calendars/{calendar_id}", json={"holidays": ["2026-12-25"], "version": 1}
    )

    assert response.json["holiday_names"] == {"2026-12-25": "Christmas Day"}
