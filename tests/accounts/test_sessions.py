"""Sign-in sessions live on the server: signing out ends them, wherever their cookies were copied to."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import config
from app.accounts import services
from app.accounts.models import SignInSession
from app.dbtypes import utcnow
from app.extensions import db
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import ApiClient, csrf_token_from, sign_in, signed_in


def _sign_in_remembered(client, agent):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": agent.email, "password": PASSWORD, "remember": "y", "csrf_token": token}
    )
    assert response.status_code == 302
    return response


def _csrf(client) -> str:
    return csrf_token_from(client.get("/account/sessions").get_data(as_text=True))


def _sign_out(client):
    return client.post("/logout", data={"csrf_token": _csrf(client)})


def _with_cookie(app, name: str, value: str):
    """A browser of its own holding one copied cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief


def _me(client) -> int:
    return client.get("/api/v1/auth/me").status_code


def test_a_copied_session_cookie_stops_working_when_its_owner_signs_out(app, client, agent):
    signed_in(client, agent)
    copied = client.get_cookie("session").value
    assert _me(_with_cookie(app, "session", copied)) == 200

    _sign_out(client)

    assert _me(client) == 401
    assert _me(_with_cookie(app, "session", copied)) == 401


def test_a_copied_remember_cookie_stops_working_when_its_owner_signs_out(app, client, agent):
    _sign_in_remembered(client, agent)
    remembered = client.get_cookie("remember_token").value
    assert _me(_with_cookie(app, "remember_token", remembered)) == 200

    _sign_out(client)

    assert _me(_with_cookie(app, "remember_token", remembered)) == 401


def test_signing_out_ends_only_that_session(app, client, agent):
    other_browser = signed_in(app.test_client(), agent)
    signed_in(client, agent)

    _sign_out(client)

    assert _me(other_browser) == 200


def test_the_remember_cookie_is_http_only_and_same_site_lax(client, agent):
    response = _sign_in_remembered(client, agent)

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_remember_cookie_is_secure_where_the_session_cookie_is(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    assert config.from_environment(tmp_path)["REMEMBER_COOKIE_SECURE"] is True

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert config.from_environment(tmp_path)["REMEMBER_COOKIE_SECURE"] is False


def test_only_a_hash_of_the_session_key_is_stored(client, agent):
    signed_in(client, agent)

    [record] = db.session.scalars(select(SignInSession)).all()
    assert client.get_cookie("session").value.find(record.key_hash) == -1
    assert len(record.key_hash) == 64
    assert record.agent_id == agent.id
    assert record.user_agent.startswith("Werkzeug")


def test_sign_out_everywhere_ends_every_session_and_revokes_every_token(app, client, agent):
    laptop = signed_in(app.test_client(), agent)
    signed_in(client, agent)
    script = ApiClient.for_agent(app, agent)
    colleague = ApiClient.for_agent(app, AgentFactory())

    response = client.post("/api/v1/auth/sign-out-everywhere", headers={"X-CSRFToken": _csrf(client)})

    assert response.status_code == 200
    assert response.json == {"sessions_ended": 2, "tokens_revoked": 1}
    assert _me(client) == 401
    assert _me(laptop) == 401
    assert script.get("/api/v1/auth/me").status_code == 401
    assert colleague.get("/api/v1/auth/me").status_code == 200


def test_sign_out_everywhere_by_token_revokes_that_token_too(app, agent):
    browser = signed_in(app.test_client(), agent)
    script = ApiClient.for_agent(app, agent)

    response = script.post("/api/v1/auth/sign-out-everywhere")

    assert response.json == {"sessions_ended": 1, "tokens_revoked": 1}
    assert script.get("/api/v1/auth/me").status_code == 401
    assert _me(browser) == 401


def test_the_sessions_page_lists_ones_own_sessions_and_signs_out_everywhere(app, client, agent):
    signed_in(app.test_client(), AgentFactory())
    laptop = app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "Laptop browser"
    signed_in(laptop, agent)
    signed_in(client, agent)

    page = client.get("/account/sessions").get_data(as_text=True)

    assert page.count("<tr>") == 3  # the heading and two sessions: not the other agent's
    assert "Laptop browser" in page
    assert "this browser" in page
    response = client.post(
        "/account/sessions/sign-out-everywhere", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert _me(laptop) == 401
    assert "You are signed out everywhere" in client.get("/login").get_data(as_text=True)


def test_the_api_lists_ones_open_sessions(app, client, agent):
    signed_in(client, agent)
    other = signed_in(app.test_client(), agent)
    _sign_out(other)

    sessions = client.get("/api/v1/auth/sessions").json

    assert len(sessions) == 1
    assert set(sessions[0]) == {"id", "created_at", "last_seen_at", "user_agent", "remembered"}


def test_changing_ones_password_ends_every_session(app, client, agent):
    signed_in(client, agent)
    script = ApiClient.for_agent(app, agent)

    response = script.post(
        "/api/v1/auth/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
    )

    assert response.status_code == 204
    assert _me(client) == 401


def test_a_disabled_agent_enabled_again_does_not_get_old_sessions_back(app, client, admin, agent):
    signed_in(client, agent)
    as_admin = ApiClient.for_agent(app, admin)

    as_admin.patch(f"/api/v1/agents/{agent.id}", json={"active": False})
    as_admin.patch(f"/api/v1/agents/{agent.id}", json={"active": True})

    assert _me(client) == 401
    assert sign_in(client, agent.email, PASSWORD).status_code == 302


def test_last_seen_is_written_at_most_every_few_minutes(client, agent, monkeypatch):
    signed_in(client, agent)
    [record] = db.session.scalars(select(SignInSession)).all()
    signed_in_at = record.last_seen_at

    client.get("/api/v1/auth/me")
    db.session.refresh(record)
    assert record.last_seen_at == signed_in_at

    later = signed_in_at + services.SESSION_TOUCH_INTERVAL + timedelta(seconds=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    client.get("/api/v1/auth/me")
    db.session.refresh(record)
    assert record.last_seen_at == later


def test_a_session_unused_longer_than_the_remember_cookie_lives_is_over(app, client, agent, monkeypatch):
    signed_in(client, agent)

    idle = app.config["REMEMBER_COOKIE_DURATION"] + timedelta(minutes=1)
    monkeypatch.setattr(services, "utcnow", lambda: utcnow() + idle)

    assert _me(client) == 401


def test_ended_sessions_are_cleared_away_when_their_owner_signs_in_again(client, agent):
    signed_in(client, agent)
    _sign_out(client)

    signed_in(client, agent)

    [record] = db.session.scalars(select(SignInSession)).all()
    assert record.ended_at is None
