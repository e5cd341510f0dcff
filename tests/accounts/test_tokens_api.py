"""Bearer tokens: how scripts and the console sign in to the API."""

from app.accounts import services
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import undocumented_nulls


def test_token_for_right_password_opens_the_api(client, agent):
    response = client.post("/api/v1/auth/token", json={"email": agent.email, "password": PASSWORD})

    assert response.status_code == 201
    token = response.json["token"]
    assert token.startswith("sb_")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["email"] == agent.email


def test_email_is_matched_case_insensitively(client, agent):
    response = client.post("/api/v1/auth/token", json={"email": agent.email.upper(), "password": PASSWORD})

    assert response.status_code == 201


def test_wrong_password_gets_401_in_the_error_envelope(client, agent):
    response = client.post("/api/v1/auth/token", json={"email": agent.email, "password": "nope"})

    assert response.status_code == 401
    assert set(response.json) == {"code", "message", "errors"}
    assert response.json["code"] == 401


def test_unknown_email_gets_the_same_401(client):
    response = client.post("/api/v1/auth/token", json={"email": "ghost@example.com", "password": "x" * 12})

    assert response.status_code == 401


def test_missing_fields_get_422_with_field_messages(client):
    response = client.post("/api/v1/auth/token", json={"email": "a@example.com"})

    assert response.status_code == 422
    assert "password" in response.json["errors"]


def test_malformed_json_gets_400(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json["code"] == 400


def test_unknown_fields_are_rejected(client, agent):
    response = client.post(
        "/api/v1/auth/token", json={"email": agent.email, "password": PASSWORD, "admin": True}
    )

    assert response.status_code == 422
    assert "admin" in response.json["errors"]


def test_api_without_credentials_gets_401(client):
    response = client.get("/api/v1/agents")

    assert response.status_code == 401
    assert response.json["message"]


def test_garbage_bearer_token_gets_401(client):
    response = client.get("/api/v1/agents", headers={"Authorization": "Bearer sb_garbage"})

    assert response.status_code == 401


def test_revoked_token_stops_working_at_once(as_agent):
    token_id = as_agent.get("/api/v1/auth/tokens").json[0]["id"]

    assert as_agent.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 200

    assert as_agent.get("/api/v1/auth/me").status_code == 401


def test_agent_cannot_revoke_someone_elses_token(as_agent, app):
    other = AgentFactory()
    token, _raw = services.create_api_token(other.id, name="theirs")

    response = as_agent.delete(f"/api/v1/auth/tokens/{token.id}")

    assert response.status_code == 404


def test_disabling_an_agent_kills_their_tokens_at_once(as_admin, as_agent, agent):
    assert as_agent.get("/api/v1/auth/me").status_code == 200

    response = as_admin.patch(f"/api/v1/agents/{agent.id}", json={"active": False})

    assert response.status_code == 200
    assert as_agent.get("/api/v1/auth/me").status_code == 401


def test_disabled_agent_cannot_get_a_token(client, app):
    disabled = AgentFactory(active=False)

    response = client.post("/api/v1/auth/token", json={"email": disabled.email, "password": PASSWORD})

    assert response.status_code == 401


def test_expired_token_is_refused(app, agent, client):
    from datetime import timedelta

    from app.dbtypes import utcnow
    from app.extensions import db

    token, raw = services.create_api_token(agent.id, expires_in_days=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_token_list_never_shows_the_secret(as_agent):
    tokens = as_agent.get("/api/v1/auth/tokens").json

    assert tokens and all("token" not in t for t in tokens)


def test_password_change_ends_tokens(as_agent):
    response = as_agent.post(
        "/api/v1/auth/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )

    assert response.status_code == 204
    assert as_agent.get("/api/v1/auth/me").status_code == 401


def test_token_is_stored_hashed(app, agent):
    from app.accounts.models import ApiToken
    from app.extensions import db

    _token, raw = services.create_api_token(agent.id)

    stored = db.session.query(ApiToken.token_hash).all()
    assert raw not in {row.token_hash for row in stored}


def test_a_token_never_used_nor_revoked_is_answered_as_documented(as_agent, client):
    answer = as_agent.get("/api/v1/auth/tokens").json[0]

    assert answer["revoked_at"] is None and answer["expires_at"] is None
    assert undocumented_nulls(client, "Token", answer) == set()
