"""Signing in through the browser: sessions, their end, and the admins' people page."""

from app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import csrf_token_from, sign_in


def test_demo_style_sign_in_lands_on_the_customers_page(client, agent):
    response = sign_in(client, agent.email, PASSWORD)

    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert agent.name in page.get_data(as_text=True)


def test_wrong_password_shows_the_form_again_with_a_message(client, agent):
    response = sign_in(client, agent.email, "wrong password")

    assert response.status_code == 401
    assert "Wrong e-mail or password" in response.get_data(as_text=True)


def test_pages_redirect_to_login_when_signed_out(client, app):
    response = client.get("/customers")

    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_login_without_csrf_token_is_refused(client, agent):
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})

    assert response.status_code != 302
    assert client.get("/customers").status_code == 302


def test_next_never_leaves_the_site(client, agent):
    page = client.get("/login?next=//evil.example/phish")
    token = csrf_token_from(page.get_data(as_text=True))

    response = client.post(
        "/login?next=//evil.example/phish",
        data={"email": agent.email, "password": PASSWORD, "csrf_token": token},
    )

    assert "evil.example" not in response.headers["Location"]


def test_disabling_an_agent_ends_their_browser_session_at_once(client, agent, app):
    sign_in(client, agent.email, PASSWORD)
    assert client.get("/customers").status_code == 200

    agent.active = False
    db.session.commit()

    assert client.get("/customers").status_code == 302


def test_session_cookie_cannot_post_to_the_api_without_csrf_token(client, admin):
    sign_in(client, admin.email, PASSWORD)

    response = client.post("/api/v1/teams", json={"name": "Sneaky"})

    assert response.status_code == 400
    assert client.get("/api/v1/teams").json == []


def test_session_with_csrf_header_may_post_to_the_api(client, admin):
    page = sign_in(client, admin.email, PASSWORD)
    token = csrf_token_from(client.get(page.headers["Location"]).get_data(as_text=True))

    response = client.post("/api/v1/teams", json={"name": "Legit"}, headers={"X-CSRFToken": token})

    assert response.status_code == 201


def test_supervisors_find_follow_ups_in_the_menu_and_admins_the_mail_log(client, supervisor, admin):
    sign_in(client, supervisor.email, PASSWORD)
    page = client.get("/customers").get_data(as_text=True)
    assert 'href="/tasks"' in page
    assert 'href="/admin/mail"' not in page

    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    sign_in(client, admin.email, PASSWORD)
    assert 'href="/admin/mail"' in client.get("/customers").get_data(as_text=True)


def test_agents_see_no_menu_links_they_could_not_open(client, agent):
    sign_in(client, agent.email, PASSWORD)

    page = client.get("/customers").get_data(as_text=True)

    assert 'href="/tasks"' not in page
    assert 'href="/admin/mail"' not in page
    assert client.get("/tasks").status_code == 403
