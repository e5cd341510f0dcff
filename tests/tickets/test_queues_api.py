"""Queues: supervisors set them up, everyone signed in can read them."""

from tests.factories import TeamFactory


def test_supervisor_creates_a_queue_served_by_a_team_with_skills(as_supervisor):
    team = TeamFactory(name="Billing")

    response = as_supervisor.post(
        "/api/v1/queues", json={"name": "Billing", "team_id": team.id, "skills": ["Billing", "zh"]}
    )

    assert response.status_code == 201
    assert response.json["team_id"] == team.id
    assert response.json["skills"] == ["billing", "zh"]


def test_agents_read_but_do_not_create_queues(as_agent, as_supervisor):
    as_supervisor.post("/api/v1/queues", json={"name": "General"})

    assert [q["name"] for q in as_agent.get("/api/v1/queues").json] == ["General"]
    assert as_agent.post("/api/v1/queues", json={"name": "Mine"}).status_code == 403


def test_queue_names_are_unique(as_supervisor):
    as_supervisor.post("/api/v1/queues", json={"name": "General"})

    assert as_supervisor.post("/api/v1/queues", json={"name": "general"}).status_code == 409


def test_unknown_team_gets_422_and_no_queue(as_supervisor):
    response = as_supervisor.post("/api/v1/queues", json={"name": "Ghost", "team_id": 404})

    assert response.status_code == 422
    assert "team_id" in response.json["errors"]
    assert as_supervisor.get("/api/v1/queues").json == []


def test_rename_and_change_skills(as_supervisor):
    queue_id = as_supervisor.post("/api/v1/queues", json={"name": "General", "skills": ["en"]}).json["id"]

    response = as_supervisor.patch(
        f"/api/v1/queues/{queue_id}", json={"name": "Front desk", "skills": [], "version": 1}
    )

    assert response.json["name"] == "Front desk"
    assert response.json["skills"] == []
