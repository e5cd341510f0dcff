"""A request authenticates by exactly one means: its bearer token when it sends an Authorization header
(its cookies ignored), else its session (and then state-changing API calls need the CSRF token)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.tickets.models import Comment
from tests.factories import AgentFactory
from tests.helpers import ApiClient, csrf_token_from, signed_in
from tests.ticket_factories import TicketFactory


@pytest.fixture
def browser(client, agent):
    return signed_in(client, agent)


@pytest.fixture
def ticket(app):
    return TicketFactory()


def _comment(client, ticket, **headers):
    return client.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": "Hello"}, headers=headers)


def test_a_session_without_the_csrf_token_may_not_comment(browser, ticket):
    assert _comment(browser, ticket).status_code == 400


def test_a_session_with_the_csrf_token_may_comment(browser, ticket):
    token = csrf_token_from(browser.get("/customers").get_data(as_text=True))

    assert _comment(browser, ticket, **{"X-CSRFToken": token}).status_code == 201


def test_an_invalid_bearer_token_beside_a_valid_session_is_refused(browser, ticket):
    response = _comment(browser, ticket, Authorization="Bearer anything")

    assert response.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


@pytest.mark.parametrize("header", ["Bearer", "Bearer sb_not-a-token", "Basic YWxleDpzZWNyZXQ=", ""])
def test_any_authorization_header_but_a_valid_token_is_401_even_with_a_session(browser, header):
    response = browser.get("/api/v1/auth/me", headers={"Authorization": header})

    assert response.status_code == 401


def test_an_invalid_bearer_token_beside_a_remember_cookie_is_refused(app, agent):
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    browser.post(
        "/login",
        data={"email": agent.email, "password": "correct horse battery", "remember": "y"}
        | {"csrf_token": csrf_token_from(page)},
    )
    remembered = app.test_client()
    remembered.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert remembered.get("/api/v1/auth/me").status_code == 200

    assert remembered.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_valid_bearer_token_speaks_for_its_agent_whatever_session_comes_with_it(app, browser, ticket):
    colleague = AgentFactory(name="Casey Colleague")
    token = ApiClient.for_agent(app, colleague).token

    me = browser.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    comment = _comment(browser, ticket, Authorization=f"Bearer {token}")

    assert me.json["id"] == colleague.id
    assert comment.status_code == 201
    assert comment.json["author"]["id"] == colleague.id
