"""Admins manage people; everyone signed in can read the directory."""

import pytest

from app.accounts import services as accounts
from app.errors import Conflict, Invalid
from app.extensions import db
from tests.factories import PASSWORD, AgentFactory, TeamFactory
from tests.helpers import nothing_pending, undocumented_nulls

NEW_AGENT = {"email": "New.Person@Example.com", "name": "New Person", "password": "long enough pw"}


def test_admin_creates_an_agent_who_can_then_sign_in(as_admin, client):
    response = as_admin.post("/api/v1/agents", json=NEW_AGENT)

    assert response.status_code == 201
    assert response.json["email"] == "new.person@example.com"
    assert response.json["role"] == "agent"
    assert "password" not in response.json and "password_hash" not in response.json
    token = client.post(
        "/api/v1/auth/token", json={"email": "new.person@example.com", "password": "long enough pw"}
    )
    assert token.status_code == 201


@pytest.mark.parametrize("who", ["as_agent", "as_supervisor"])
def test_only_admins_create_accounts(app, request, who):
    response = request.getfixturevalue(who).post("/api/v1/agents", json=NEW_AGENT)

    assert response.status_code == 403


def test_duplicate_email_gets_409(as_admin, agent):
    response = as_admin.post("/api/v1/agents", json={**NEW_AGENT, "email": agent.email.upper()})

    assert response.status_code == 409
    assert "email" in response.json["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("password", "short"),
        ("role", "superuser"),
        ("name", "x" * 121),
        ("language", "klingon"),
        # Dates on their pages are shown in this zone: an unknown one is refused by the service.
        ("timezone", "Mars/Olympus_Mons"),
        ("name", "   "),
    ],
)
def test_bad_fields_get_422_and_create_nothing(as_admin, field, value):
    response = as_admin.post("/api/v1/agents", json={**NEW_AGENT, field: value})

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert all(a["email"] != "new.person@example.com" for a in as_admin.get("/api/v1/agents").json)


def test_unknown_team_rolls_back_the_whole_account(as_admin):
    response = as_admin.post("/api/v1/agents", json={**NEW_AGENT, "team_ids": [999]})

    assert response.status_code == 422
    assert "team_ids" in response.json["errors"]
    assert all(a["email"] != "new.person@example.com" for a in as_admin.get("/api/v1/agents").json)


@pytest.mark.parametrize("level", [0, 6])
def test_a_skill_level_outside_1_to_5_is_refused_by_the_service_too(app, admin, agent, level):
    """Pages call the service without the API's schema: the rule holds there as well."""
    with pytest.raises(Invalid) as refused:
        accounts.update_agent(agent.id, {"skills": [{"name": "billing", "level": level}]}, actor=admin)

    assert "skills" in refused.value.errors
    assert accounts.get_agent(agent.id).skills == []


def test_an_unknown_language_is_refused_by_the_service_too(app, admin, agent):
    with pytest.raises(Invalid) as refused:
        accounts.update_agent(agent.id, {"language": "fr"}, actor=admin)

    assert "language" in refused.value.errors
    assert accounts.get_agent(agent.id).language == "en"


def test_agent_with_teams_and_skills(as_admin):
    team = TeamFactory(name="Billing")

    response = as_admin.post(
        "/api/v1/agents",
        json={**NEW_AGENT, "team_ids": [team.id], "skills": [{"name": "Mandarin", "level": 5}]},
    )

    assert response.status_code == 201
    assert response.json["teams"] == [{"id": team.id, "name": "Billing"}]
    assert response.json["skills"] == [{"name": "mandarin", "level": 5}]
    assert [s["name"] for s in as_admin.get("/api/v1/skills").json] == ["mandarin"]


def test_directory_is_readable_by_agents_and_paginated(as_agent):
    AgentFactory.create_batch(3)

    response = as_agent.get("/api/v1/agents?page_size=2")

    assert response.status_code == 200
    assert len(response.json) == 2
    assert '"total": 4' in response.headers["X-Pagination"]


def test_page_size_is_bounded(as_agent):
    assert as_agent.get("/api/v1/agents?page_size=1000").status_code == 422


def test_directory_filters_by_role(as_agent, supervisor):
    response = as_agent.get("/api/v1/agents?role=supervisor")

    assert [a["id"] for a in response.json] == [supervisor.id]


def test_missing_agent_gets_404(as_agent):
    response = as_agent.get("/api/v1/agents/9999")

    assert response.status_code == 404
    assert response.json["code"] == 404


def test_admin_cannot_lock_themselves_out(as_admin, admin):
    assert as_admin.patch(f"/api/v1/agents/{admin.id}", json={"active": False}).status_code == 409
    assert as_admin.patch(f"/api/v1/agents/{admin.id}", json={"role": "agent"}).status_code == 409


def test_admin_promotes_an_agent(as_admin, agent):
    response = as_admin.patch(f"/api/v1/agents/{agent.id}", json={"role": "supervisor"})

    assert response.status_code == 200
    assert response.json["role"] == "supervisor"


def test_supervisor_manages_teams(as_supervisor, agent):
    created = as_supervisor.post("/api/v1/teams", json={"name": "Tier 1", "member_ids": [agent.id]})
    assert created.status_code == 201
    assert [m["id"] for m in created.json["members"]] == [agent.id]

    team_id = created.json["id"]
    renamed = as_supervisor.patch(
        f"/api/v1/teams/{team_id}", json={"name": "Tier One", "member_ids": [], "version": 1}
    )
    assert renamed.json["name"] == "Tier One"
    assert renamed.json["members"] == []

    deleted = as_supervisor.delete(f"/api/v1/teams/{team_id}", headers={"If-Match": renamed.headers["ETag"]})
    assert deleted.status_code == 204
    assert as_supervisor.get(f"/api/v1/teams/{team_id}").status_code == 404


def test_team_names_are_unique_ignoring_case(as_supervisor):
    TeamFactory(name="Billing")

    response = as_supervisor.post("/api/v1/teams", json={"name": "billing"})

    assert response.status_code == 409


def test_agents_cannot_manage_teams(as_agent):
    assert as_agent.post("/api/v1/teams", json={"name": "Mine"}).status_code == 403


def test_password_is_hashed_with_argon2(as_admin, app):
    from app.accounts.models import Agent
    from app.extensions import db

    as_admin.post("/api/v1/agents", json=NEW_AGENT)

    stored = db.session.query(Agent.password_hash).filter_by(email="new.person@example.com").scalar()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_page_far_past_the_end_is_empty_not_an_error(as_agent):
    response = as_agent.get("/api/v1/agents?page=1000000000000000000000")

    assert response.status_code == 200
    assert response.json == []


def test_id_beyond_the_database_integer_range_is_not_a_500(as_agent):
    response = as_agent.get("/api/v1/agents/99999999999")

    assert response.status_code in (404, 422)


def test_a_change_refused_halfway_leaves_the_account_as_it_was(app, admin):
    email = admin.email

    # The new e-mail is set before the rule about one's own role refuses.
    with pytest.raises(Conflict):
        accounts.update_agent(admin.id, {"email": "ada@example.com", "role": "agent"}, actor=admin)

    assert nothing_pending()
    db.session.expire_all()
    assert (admin.email, admin.role) == (email, "admin")


def test_an_agent_who_never_signed_in_is_answered_as_documented(as_agent, client):
    answer = as_agent.get("/api/v1/auth/me").json

    assert answer["last_login_at"] is None
    assert undocumented_nulls(client, "Agent", answer) == set()
