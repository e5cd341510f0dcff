"""Every page of the app, read from its URL map, with the rows it shows and the visitor who may see it.

A page is a GET route outside the API (`OPENAPI_URL_PREFIX`), and the API's docs page. Desk pages (a
rule that needs a sign-in) are seen by an admin, who may see them all; the others by an anonymous
visitor, the customer's private pages through the links we mail them. A new page is walked by the
tests that use this without anyone listing it; a new kind of path argument fails them until
`ARGUMENTS` says how to fill it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, url_for

from app.accounts import services as accounts
from app.accounts.access import rule_of
from app.callcenter import services as callcenter
from app.extensions import db
from app.portal import links
from app.portal import services as portal
from app.tickets import services as tickets
from app.tickets.sla import services as sla
from tests.factories import AgentFactory

ADMIN = "admin"
ANONYMOUS = "anonymous"
DOCS_PAGE = "api-docs.openapi_swagger_ui"


@dataclass(frozen=True)
class Page:
    endpoint: str
    url: str
    visitor: str  # ADMIN or ANONYMOUS


@dataclass(frozen=True)
class PageRows:
    """The rows the pages show, and the links that open the customer's pages."""

    admin_email: str
    customer_id: int
    ticket_id: int
    tracking_token: str
    survey_token: str
    queue_id: int
    macro_id: int
    calendar_id: int
    policy_id: int
    team_id: int
    agent_id: int
    reason_id: int


# How to fill each path argument: by (endpoint, argument), else by argument.
ARGUMENTS = {
    "customer_id": lambda rows: rows.customer_id,
    "ticket_id": lambda rows: rows.ticket_id,
    "queue_id": lambda rows: rows.queue_id,
    "macro_id": lambda rows: rows.macro_id,
    "calendar_id": lambda rows: rows.calendar_id,
    "policy_id": lambda rows: rows.policy_id,
    "team_id": lambda rows: rows.team_id,
    "agent_id": lambda rows: rows.agent_id,
    "reason_id": lambda rows: rows.reason_id,
    # English: a switch to Chinese would carry over to the pages walked after it.
    "code": lambda rows: "en",
    ("portal.track", "token"): lambda rows: rows.tracking_token,
    ("calls_pages.callback", "token"): lambda rows: rows.tracking_token,
    ("surveys.answer", "token"): lambda rows: rows.survey_token,
}


def make_page_rows() -> PageRows:
    """An open web complaint with a public reply and a note (its tracking link), and a solved question
    of the same customer (its survey link); a queue, a macro, a calendar and an SLA policy using it; a
    team with an agent in it, and a break reason."""
    admin = AgentFactory(role="admin", name="Ada Admin", email="ada@example.com")
    complaint, tracking_token = _web_form(
        type="complaint", description="The parcel arrived crushed.", category="delivery"
    )
    tickets.add_comment(complaint.id, body="Checking with the courier.", public=False, actor=admin)
    tickets.add_comment(complaint.id, body="We asked the courier.", status="pending", actor=admin)
    question, _token = _web_form(type="question", description="Where is my invoice?")
    tickets.add_comment(question.id, body="It is attached to your account.", status="solved", actor=admin)
    survey_token = urlsplit(links.survey_link(question.id)).path.rsplit("/", 1)[1]
    db.session.commit()
    queue = tickets.create_queue(name="Billing", skills=["invoices"], actor=admin)
    macro = tickets.create_macro(name="Thanks", actions={"add_tags": ["thanked"]}, actor=admin)
    calendar = sla.create_calendar(
        name="Office", timezone="Europe/London", weekly_hours={"mon": [["09:00", "17:00"]]}, actor=admin
    )
    policy = sla.create_policy(
        name="Billing", queue_id=queue.id, calendar_id=calendar.id, first_response_seconds=3600, actor=admin
    )
    agent = accounts.create_agent(
        email="alex@example.com",
        password="alex's long password",
        name="Alex Agent",
        skills=[{"name": "invoices", "level": 4}],
    )
    team = accounts.create_team(name="Tier 1", member_ids=[agent.id], actor=admin)
    reason = callcenter.create_break_reason(name="Lunch", max_minutes=45, actor=admin)
    return PageRows(
        admin.email,
        complaint.customer_id,
        complaint.id,
        tracking_token,
        survey_token,
        queue.id,
        macro.id,
        calendar.id,
        policy.id,
        team.id,
        agent.id,
        reason.id,
    )


def _web_form(**fields):
    return portal.submit_web_form(
        name="Rosa Díaz",
        email="rosa@example.com",
        phone=None,
        order_number="A-1001",
        expected_satisfaction=2,
        idempotency_key=portal.new_idempotency_key(),
        **fields,
    )


def pages_of(app: Flask, rows: PageRows) -> list[Page]:
    """Every page, in URL-map order, its address filled from `rows` (fails on an argument it cannot fill)."""
    api_prefix = app.config["OPENAPI_URL_PREFIX"] + "/"
    pages: dict[str, Page] = {}
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            if rule.rule.startswith(api_prefix) and rule.endpoint != DOCS_PAGE:
                continue
            values = {argument: _value(rule.endpoint, argument, rows) for argument in rule.arguments}
            rule_ = rule_of(app.view_functions[rule.endpoint])
            visitor = ADMIN if rule_ is not None and rule_.sign_in else ANONYMOUS
            url = url_for(rule.endpoint, **values)
            # Two rules of one view (`/` and `/customers`) build one address.
            pages.setdefault(url, Page(rule.endpoint, url, visitor))
    return list(pages.values())


def _value(endpoint: str, argument: str, rows: PageRows):
    fill = ARGUMENTS.get((endpoint, argument)) or ARGUMENTS.get(argument)
    assert fill is not None, f"{endpoint}: tests/pages.py does not know how to fill <{argument}>"
    return fill(rows)
