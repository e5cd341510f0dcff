"""People in the browser: admins add people, change their role, teams, skills, language and time zone,
and disable them after a confirmation that says what disabling ends. The pages call the API's use
cases, so their rules and messages are the API's."""

from __future__ import annotations

import pytest

from app.accounts import services as accounts
from app.accounts.models import Agent, ApiToken, SignInSession
from app.extensions import db
from tests.factories import PASSWORD, AgentFactory, TeamFactory
from tests.helpers import csrf_token_from, sign_in, signed_in


@pytest.fixture
def browser(client, admin):
    return signed_in(client, admin)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _person(email: str) -> Agent | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Agent).where(Agent.email == email))


def _form(browser, path: str) -> dict[str, str]:
    """What the page's form sends as it is shown (its skill rows included)."""
    page = _text(browser.get(path))
    return {"csrf_token": csrf_token_from(page)}


NEW_PERSON = {
    "name": "Pat Lee",
    "email": "Pat@Example.com",
    "role": "supervisor",
    "language": "zh",
    "timezone": "Asia/Shanghai",
    "password": "pat's long password",
}


def test_an_admin_adds_a_person_with_teams_skills_language_and_time_zone(browser, client):
    billing = TeamFactory(name="Billing")
    accounts.create_agent(
        email="old@example.com", password=PASSWORD, name="Old Hand", skills=[{"name": "english", "level": 4}]
    )
    fields = {
        **_form(browser, "/settings/people/new"),
        **NEW_PERSON,
        "team_ids": str(billing.id),
        # The known skill's row, then a blank row typed into.
        "skills-0-name": "english",
        "skills-0-level": "5",
        "skills-1-name": "Mandarin",
        "skills-1-level": "2",
    }

    answer = browser.post("/settings/people/new", data=fields)

    assert answer.status_code == 302 and answer.headers["Location"] == "/settings/people"
    pat = _person("pat@example.com")
    assert (pat.name, pat.role, pat.language, pat.timezone) == (
        "Pat Lee",
        "supervisor",
        "zh",
        "Asia/Shanghai",
    )
    assert [team.name for team in pat.teams] == ["Billing"]
    assert sorted((entry.name, entry.level) for entry in pat.skills) == [("english", 5), ("mandarin", 2)]
    listing = _text(browser.get("/settings/people"))
    assert "Pat Lee" in listing and "mandarin (2)" in listing and "Asia/Shanghai" in listing


def test_the_new_person_form_offers_every_known_skill_and_blank_rows(browser):
    accounts.create_agent(
        email="old@example.com", password=PASSWORD, name="Old Hand", skills=[{"name": "german", "level": 3}]
    )

    page = _text(browser.get("/settings/people/new"))

    assert 'name="skills-0-name" type="text" value="german"' in page
    assert 'name="skills-2-name"' in page and 'name="skills-3-name"' not in page


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("name", "   ", 422),
        ("email", "not-an-email", 422),
        ("password", "short", 422),
        ("timezone", "Mars/Olympus_Mons", 422),
    ],
)
def test_a_refused_person_comes_back_filled_in_with_the_message_beside_the_field(
    browser, field, value, status
):
    fields = {**_form(browser, "/settings/people/new"), **NEW_PERSON, field: value}

    answer = browser.post("/settings/people/new", data=fields)

    page = _text(answer)
    assert answer.status_code == status
    assert f'id="{field}-errors"' in page
    if field != "email":
        assert 'value="Pat@Example.com"' in page
    assert _person("pat@example.com") is None


def test_a_skill_level_outside_1_to_5_is_the_services_refusal(browser):
    fields = {
        **_form(browser, "/settings/people/new"),
        **NEW_PERSON,
        "skills-0-name": "english",
        "skills-0-level": "9",
    }

    answer = browser.post("/settings/people/new", data=fields)

    assert answer.status_code == 422
    assert _person("pat@example.com") is None


def test_an_e_mail_in_use_is_refused_beside_the_e_mail(browser, agent):
    fields = {**_form(browser, "/settings/people/new"), **NEW_PERSON, "email": agent.email.upper()}

    answer = browser.post("/settings/people/new", data=fields)

    assert answer.status_code == 409
    assert 'id="email-errors"' in _text(answer)


def test_an_admin_changes_a_persons_role_teams_skills_and_time_zone(browser, agent):
    team = TeamFactory(name="Tier 2")
    path = f"/settings/people/{agent.id}"
    page = _text(browser.get(path))
    assert f'value="{agent.email}"' in page
    fields = {
        "csrf_token": csrf_token_from(page),
        "name": agent.name,
        "email": agent.email,
        "role": "supervisor",
        "language": "en",
        "timezone": "Europe/Berlin",
        "team_ids": str(team.id),
        "skills-0-name": "billing",
        "skills-0-level": "4",
    }

    answer = browser.post(path, data=fields)

    assert answer.status_code == 302
    changed = _person(agent.email)
    assert (changed.role, changed.timezone, [t.name for t in changed.teams]) == (
        "supervisor",
        "Europe/Berlin",
        ["Tier 2"],
    )
    assert [(entry.name, entry.level) for entry in changed.skills] == [("billing", 4)]


def test_a_change_without_a_new_password_keeps_the_password(browser, client, agent):
    path = f"/settings/people/{agent.id}"
    fields = {
        **_form(browser, path),
        "name": "Renamed",
        "email": agent.email,
        "role": "agent",
        "language": "en",
        "timezone": "UTC",
    }

    assert browser.post(path, data=fields).status_code == 302
    assert accounts.authenticate(agent.email, PASSWORD) is not None


def test_an_admin_cannot_change_their_own_role_from_the_page(browser, admin):
    path = f"/settings/people/{admin.id}"
    fields = {
        **_form(browser, path),
        "name": admin.name,
        "email": admin.email,
        "role": "agent",
        "language": "en",
        "timezone": "UTC",
    }

    answer = browser.post(path, data=fields)

    assert answer.status_code == 409
    assert 'id="role-errors"' in _text(answer)
    assert _person(admin.email).role == "admin"


def test_disabling_asks_first_and_says_what_it_ends_and_what_stays(browser, app, agent):
    other = app.test_client()
    sign_in(other, agent.email, PASSWORD)
    accounts.create_api_token(agent.id, name="script")

    page = _text(browser.get(f"/settings/people/{agent.id}/disable"))

    assert "Their 1 open session" not in page  # one is said in the singular
    assert "Their open session ends" in page
    assert "Their API token is revoked" in page
    assert "Tickets assigned to them stay assigned to them" in page
    assert _person(agent.email).active


def test_confirming_disables_the_person_ends_their_sessions_and_revokes_their_tokens(browser, app, agent):
    other = app.test_client()
    sign_in(other, agent.email, PASSWORD)
    accounts.create_api_token(agent.id, name="script")
    path = f"/settings/people/{agent.id}/disable"

    answer = browser.post(path, data=_form(browser, path))

    assert answer.status_code == 302
    assert not _person(agent.email).active
    assert (
        db.session.scalar(
            db.select(SignInSession).where(
                SignInSession.ended_at.is_(None), SignInSession.agent_id == agent.id
            )
        )
        is None
    )
    assert db.session.scalar(db.select(ApiToken).where(ApiToken.revoked_at.is_(None))) is None
    assert other.get("/customers").status_code == 302  # back to the login page


def test_a_disabled_person_is_enabled_again_and_signs_in_with_their_password(browser, client, agent):
    accounts.update_agent(agent.id, {"active": False}, actor=AgentFactory(role="admin"))
    listing = _text(browser.get("/settings/people"))
    assert f"Enable {agent.name}" in listing

    answer = browser.post(
        f"/settings/people/{agent.id}/enable", data={"csrf_token": csrf_token_from(listing)}
    )

    assert answer.status_code == 302
    assert _person(agent.email).active
    assert accounts.authenticate(agent.email, PASSWORD) is not None


def test_an_admin_cannot_disable_themselves(browser, admin):
    path = f"/settings/people/{admin.id}/disable"

    answer = browser.post(path, data=_form(browser, path))

    assert answer.status_code == 409
    assert "You cannot disable your own account." in _text(answer)
    assert _person(admin.email).active


def test_a_missing_person_is_the_404_page(browser):
    assert browser.get("/settings/people/999999").status_code == 404


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_people_are_managed_by_admins_only(client, app, role):
    signed_in(client, AgentFactory(role=role))

    assert client.get("/settings/people").status_code == 403
    assert client.get("/settings/people/new").status_code == 403


def test_the_old_people_address_leads_to_the_settings_page(browser):
    answer = browser.get("/admin/agents")

    assert answer.status_code == 302 and answer.headers["Location"] == "/settings/people"
