"""What services say back reaches people in their language on pages and stays English in the API; errors
read as help (a lowercase currency code is read, a refused filter leaves the form as typed)."""

from __future__ import annotations

import ast
from pathlib import Path

from app.accounts import services as accounts
from app.tickets import services
from app.tickets.sla import services as sla
from tests.factories import AgentFactory
from tests.helpers import ApiClient, signed_in

APP = Path(__file__).resolve().parents[1] / "app"
ERRORS = {"Invalid", "Conflict", "NotFound", "Forbidden", "AppError"}


def _complaint(agent):
    customer_ticket = services.open_ticket(
        subject="Lamp broken",
        channel="web",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        type="complaint",
        complaint={"category": "delivery", "severity": "high"},
        actor=agent,
    )
    return services.get_ticket(customer_ticket.id)


def test_every_message_a_service_raises_is_marked_for_translation():
    """A text given to an error as it is (a literal, an f-string) would reach a Chinese page in English."""
    unmarked = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS:
                texts = [*node.args[:1]]
                if len(node.args) > 1 and isinstance(node.args[1], ast.Dict):
                    texts += [e for v in node.args[1].values if isinstance(v, ast.List) for e in v.elts]
                unmarked += [
                    f"{path.relative_to(APP)}:{text.lineno}"
                    for text in texts
                    if isinstance(text, ast.JoinedStr)
                    or (isinstance(text, ast.Constant) and isinstance(text.value, str))
                ]
    assert unmarked == []


def test_the_api_answers_a_chinese_agent_in_english(app):
    agent = AgentFactory(language="zh", role="supervisor")
    api = ApiClient.for_agent(app, agent)
    ticket = _complaint(agent)

    missing = api.get("/api/v1/tickets/999999", headers={"Accept-Language": "zh-CN"})
    refused = api.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"version": ticket.version, "status": "closed", "queue_id": 2**31},
        headers={"Accept-Language": "zh-CN"},
    )

    assert missing.status_code == 404
    assert missing.json["message"] == "Ticket 999999 not found."
    assert refused.status_code == 422
    assert refused.json["message"] == "The request has invalid fields."
    assert refused.json["errors"]["queue_id"] == ["Must be an id from 1 to 2147483647."]


def test_a_chinese_agent_reads_a_refusal_on_the_page_and_the_404_page_in_chinese(client):
    agent = AgentFactory(language="zh")
    signed_in(client, agent)

    missing = client.get("/tickets/999999")

    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert "找不到工单 999999。" in page
    assert "not found" not in page


def test_a_lowercase_currency_code_is_read_as_the_code(app):
    agent = AgentFactory(role="supervisor")
    api = ApiClient.for_agent(app, agent)
    ticket = _complaint(agent)

    changed = api.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"version": ticket.version, "complaint": {"compensation_currency": "usd"}},
    )
    wrong = api.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"version": changed.json["version"], "complaint": {"compensation_currency": "US"}},
    )

    assert changed.status_code == 200
    assert changed.json["complaint"]["compensation_currency"] == "USD"
    assert wrong.status_code == 422
    assert wrong.json["errors"]["complaint"]["compensation_currency"] == [
        "Use a three-letter code such as USD."
    ]


def test_an_impossible_date_in_the_list_filter_is_named_above_the_form_as_typed(client):
    agent = AgentFactory(language="zh")
    signed_in(client, agent)

    answer = client.get("/tickets", query_string={"created_from": "2026-02-30", "q": "灯"})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'role="alert"' in page and "不是有效的日期和时间。" in page
    assert 'value="2026-02-30"' in page and 'value="灯"' in page
    assert 'id="results-h"' not in page
    assert "save-view" not in page
    assert "created_from" not in page.split('role="alert"', 1)[1].split("</div>", 1)[0]


def test_the_settings_trail_shows_names_durations_and_hours(client):
    admin = AgentFactory(role="admin", language="en")
    member = AgentFactory(name="Grace Hopper")
    team = accounts.create_team(name="Front line", member_ids=[member.id], actor=admin)
    queue = services.create_queue(name="Billing", team_id=team.id, actor=admin)
    calendar = sla.create_calendar(
        name="Office",
        timezone="Europe/Paris",
        weekly_hours={"mon": [["09:00", "17:00"]]},
        holidays=["2026-12-25"],
        actor=admin,
    )
    sla.create_policy(
        name="Billing urgent",
        queue_id=queue.id,
        priority="urgent",
        calendar_id=calendar.id,
        first_response_seconds=3600,
        actor=admin,
    )

    page = signed_in(client, admin).get("/admin/settings-changes").get_data(as_text=True)

    for shown in (
        "Grace Hopper",
        "Front line",
        "Billing",
        "Office",
        "Urgent",
        "1 hour",
        "Mon 09:00",
        "Dec 25, 2026",
    ):
        assert shown in page, shown
    for stored in ("3600", "[[", "member_ids", "→ urgent<"):
        assert stored not in page, stored


def test_a_message_naming_what_someone_typed_is_escaped_on_the_page(app):
    # flask-babel's lazy texts say they are HTML already; the page must still escape what they carry.
    from flask import render_template_string
    from flask_babel import lazy_gettext

    message = lazy_gettext("%(what)s %(id)s not found.", what="<script>alert(1)</script>", id=7)

    with app.test_request_context("/"):
        shown = render_template_string("<p>{{ message }}</p>", message=message)

    assert shown == "<p>&lt;script&gt;alert(1)&lt;/script&gt; 7 not found.</p>"
