"""The settings index: the sections of the desk's setup each person may manage, and the one link to it."""

from __future__ import annotations

from tests.factories import AgentFactory
from tests.helpers import signed_in


def _page(client, path: str = "/settings") -> str:
    return client.get(path).get_data(as_text=True)


def test_a_supervisor_sees_the_sections_they_manage_and_not_the_admins_trail(client):
    signed_in(client, AgentFactory(role="supervisor"))

    page = _page(client)

    assert 'href="/settings/queues"' in page
    assert 'href="/settings/macros"' in page
    assert 'href="/admin/settings-changes"' not in page


def test_an_admin_also_finds_the_settings_trail_there(client):
    signed_in(client, AgentFactory(role="admin"))

    page = _page(client)

    assert 'href="/settings/queues"' in page
    assert 'href="/admin/settings-changes"' in page


def test_an_agent_manages_nothing_and_gets_no_settings_link(client):
    signed_in(client, AgentFactory(role="agent"))

    assert 'href="/settings"' not in _page(client, "/tickets")
    page = _page(client)
    assert 'href="/settings/' not in page
    assert "nothing here you may change" in page


def test_the_nav_leads_supervisors_to_the_settings(client):
    signed_in(client, AgentFactory(role="supervisor"))

    assert 'href="/settings"' in _page(client, "/tickets")


def test_the_index_speaks_chinese(client):
    signed_in(client, AgentFactory(role="supervisor", language="zh"))

    page = _page(client)

    assert "设置" in page and "队列" in page
    assert "Queues" not in page
