"""The `/wallboard` page: supervisors and admins only, linked from their navigation, in their language;
its script finds the snapshot's address, the namespace and its words on the page."""

from __future__ import annotations

import json
import re

from app.callcenter.models import BreakReason
from tests.callcenter.wallboard.rows import save
from tests.helpers import signed_in


def texts_of(html: str) -> dict:
    return json.loads(re.search(r"data-texts='([^']*)'", html).group(1))


def test_a_supervisor_opens_the_wallboard_from_the_navigation(app, client, supervisor):
    save(BreakReason(name="Lunch"))
    signed_in(client, supervisor)

    home = client.get("/customers").get_data(as_text=True)
    page = client.get("/wallboard")
    html = page.get_data(as_text=True)

    assert 'href="/wallboard"' in home
    assert page.status_code == 200
    assert 'data-snapshot-url="/api/v1/callcenter/wallboard"' in html
    assert 'data-namespace="/wallboard"' in html
    assert 'data-assign-url="/api/v1/tickets/0/assign"' in html  # the script puts the ticket's id in
    assert texts_of(html)["states"]["wrap_up"] == "Wrap-up"
    assert "On break: Lunch" in html


def test_agents_have_no_link_and_are_refused(app, client, agent):
    signed_in(client, agent)

    assert 'href="/wallboard"' not in client.get("/customers").get_data(as_text=True)
    assert client.get("/wallboard").status_code == 403


def test_the_wallboard_speaks_chinese(app, client, admin):
    signed_in(client, admin)
    client.get("/language/zh")

    html = client.get("/wallboard").get_data(as_text=True)

    assert "<h1>监控大屏</h1>" in html
    assert texts_of(html)["states"]["available"] == "空闲"
