"""Teams in the browser: supervisors name them, describe them and choose their members, with the API's
rules, versions and trail."""

from __future__ import annotations

import pytest

from app.accounts import services as accounts
from app.accounts.models import SettingChange, Team
from app.extensions import db
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import csrf_token_from, post_form, signed_in, version_shown


@pytest.fixture
def browser(client, supervisor):
    return signed_in(client, supervisor)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _team(name: str) -> Team | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Team).where(Team.name == name))


def test_a_supervisor_creates_a_team_with_its_members(browser, supervisor, agent):
    answer = post_form(
        browser, "/settings/teams/new", name=" Billing ", description="Invoices", member_ids=str(agent.id)
    )

    assert answer.status_code == 302 and answer.headers["Location"] == "/settings/teams"
    team = _team("Billing")
    assert [member.id for member in team.members] == [agent.id]
    record = db.session.scalar(db.select(SettingChange).where(SettingChange.kind == "team"))
    assert (record.action, record.actor_id) == ("created", supervisor.id)
    assert agent.name in _text(browser.get("/settings/teams"))


def test_disabled_people_stay_members_when_a_team_is_saved(browser, supervisor, agent):
    """The members' boxes list disabled people too: saving must not drop them unseen."""
    team = accounts.create_team(name="Billing", member_ids=[agent.id], actor=supervisor)
    accounts.update_agent(agent.id, {"active": False}, actor=AgentFactory(role="admin"))
    path = f"/settings/teams/{team.id}"
    page = _text(browser.get(path))
    assert "(disabled)" in page

    answer = browser.post(
        path,
        data={
            "csrf_token": csrf_token_from(page),
            "version": version_shown(page),
            "name": "Billing",
            "description": "Now described",
            "member_ids": str(agent.id),
        },
    )

    assert answer.status_code == 302
    assert [member.id for member in _team("Billing").members] == [agent.id]


def test_a_name_in_use_is_refused_beside_the_name(browser):
    TeamFactory(name="Billing")

    answer = post_form(browser, "/settings/teams/new", name="billing")

    assert answer.status_code == 409
    assert 'id="name-errors"' in _text(answer)


def test_a_stale_edit_shows_the_team_as_it_is_now_and_keeps_what_was_typed(browser, supervisor, agent):
    team = accounts.create_team(name="Billing", description="Old words", actor=supervisor)
    path = f"/settings/teams/{team.id}"
    page = _text(browser.get(path))
    token, read = csrf_token_from(page), version_shown(page)
    # An admin puts an agent in the team from the agent's side: a new version of the team.
    accounts.update_agent(agent.id, {"team_ids": [team.id]}, actor=AgentFactory(role="admin"))

    answer = browser.post(
        path, data={"csrf_token": token, "version": read, "name": "Billing", "description": "Mine"}
    )

    page = _text(answer)
    assert answer.status_code == 409
    assert "Someone changed this meanwhile" in page and agent.name in page
    assert version_shown(page) == read + 1
    assert [member.id for member in _team("Billing").members] == [agent.id]


def test_deleting_a_team_asks_first_and_says_what_happens_to_its_queues(browser, supervisor):
    team = accounts.create_team(name="Billing", actor=supervisor)
    path = f"/settings/teams/{team.id}/delete"

    page = _text(browser.get(path))
    assert "served by no team" in page

    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": "1"})

    assert answer.status_code == 302
    assert _team("Billing") is None


def test_agents_do_not_manage_teams(client, agent):
    signed_in(client, agent)

    assert client.get("/settings/teams").status_code == 403
