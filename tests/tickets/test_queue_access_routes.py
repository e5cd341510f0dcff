"""Every ticket endpoint and page, walked for each kind of caller: who may see and work a queue's tickets.

The routes come from the URL map (every rule naming a `ticket_id`), so a new one is walked as soon as it
exists. Each is called, on a ticket of its own, by:

- a member of the team serving the ticket's queue (closed to outsiders): it works the ticket;
- an agent outside the team, the queue open to outsiders for reading: reads pass, changes get 403;
- an agent outside the team, the queue closed to outsiders: 404, as for a ticket that does not exist;
- a supervisor: passes.

"Passes" means the answer is not a refusal (401, 403, or the 404 of a ticket not found): a 409 or 422
from the use case itself, or the 404 of a ticket's survey it does not have yet, is past the rule.
Routes only supervisors may call refuse agents at the gate (403, `tests/test_authorization_matrix.py`).
A change through the API must send a body its schema accepts, or the schema's 422 would come before
the rule: a new API route that changes a ticket needs its line in `BODIES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage

from app import create_app
from app.accounts import passwords
from app.accounts import services as accounts
from app.extensions import db
from app.tickets import services as tickets
from app.tickets.attachments import services as attachments
from app.tickets.services import macros
from tests.conftest import BASE_CONFIG, FreshContextClient, _sqlite_config
from tests.factories import AgentFactory, TeamFactory, bind_factories
from tests.helpers import csrf_token_from, signed_in
from tests.test_authorization_matrix import ACCESS, CHEAP_HASH, CHEAP_HASHER, PNG, Level
from tests.tickets.workflow import CUSTOMER

ALLOWED, READ_ONLY, HIDDEN, GATE = "passes", "403", "404 (not found)", "403 (the gate)"
MEMBER, OUTSIDER_READ, OUTSIDER_NONE, SUPERVISOR = (
    "member of the queue's team",
    "outsider, queue open for reading",
    "outsider, queue closed to outsiders",
    "supervisor",
)
CALLERS = (MEMBER, OUTSIDER_READ, OUTSIDER_NONE, SUPERVISOR)
READS = {"GET"}


@dataclass
class World:
    app: Flask
    people: dict[str, object]
    queues: dict[str, int]
    macro_id: int


@dataclass
class Case:
    """The ticket one caller is given, with another ticket of the same customer, everyone's."""

    ticket: object
    sibling: object
    attachment_id: int


def _png() -> tuple[BytesIO, str]:
    return BytesIO(PNG), "dot.png"


# What an API change sends, per route: a body its schema accepts, so the answer is the rule's.
BODIES = {
    "PATCH /api/v1/tickets/<int:ticket_id>": lambda world, case: {
        "json": {"priority": "high", "version": case.ticket.version}
    },
    "POST /api/v1/tickets/<int:ticket_id>/claim": lambda world, case: {},
    "POST /api/v1/tickets/<int:ticket_id>/assign": lambda world, case: {
        "json": {"assignee_id": world.people["member"].id}
    },
    "POST /api/v1/tickets/<int:ticket_id>/comments": lambda world, case: {
        "json": {"body": "We refunded the second charge.", "public": False}
    },
    "POST /api/v1/tickets/<int:ticket_id>/merge": lambda world, case: {"json": {"into": case.sibling.id}},
    "POST /api/v1/tickets/<int:ticket_id>/links": lambda world, case: {
        "json": {"ticket_id": case.sibling.id, "kind": "related"}
    },
    "POST /api/v1/tickets/<int:ticket_id>/macro": lambda world, case: {
        "json": {"macro_id": world.macro_id, "version": case.ticket.version}
    },
    "POST /api/v1/tickets/<int:ticket_id>/attachments": lambda world, case: {
        "data": {"files": [_png()]},
        "content_type": "multipart/form-data",
    },
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    config = {**BASE_CONFIG, **_sqlite_config(), "ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("files"))}
    app = create_app(config)
    app.test_client_class = FreshContextClient
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        db.drop_all()
        db.create_all()
        bind_factories()
        billing, front_line = TeamFactory(name="Billing"), TeamFactory(name="Front line")
        people = {
            "member": AgentFactory(name="Bea Billing", teams=[billing], password_hash=CHEAP_HASH),
            "outsider": AgentFactory(name="Fred Frontline", teams=[front_line], password_hash=CHEAP_HASH),
            "supervisor": AgentFactory(name="Sam Supervisor", role="supervisor", password_hash=CHEAP_HASH),
        }
        queues = {
            "read": tickets.create_queue(
                name="Billing", team_id=billing.id, outsider_access="read", actor=None
            ).id,
            "none": tickets.create_queue(
                name="Billing disputes", team_id=billing.id, outsider_access="none", actor=None
            ).id,
        }
        macro = macros.create_macro(name="Urgent", actions={"priority": "high"}, actor=people["supervisor"])
        yield World(app, people, queues, macro.id)
        db.session.remove()
        db.engine.dispose()


def _case(world: World, caller: str) -> Case:
    queue_id = world.queues["read" if caller == OUTSIDER_READ else "none"]
    ticket = tickets.open_ticket(
        subject="Invoice charged twice", customer=CUSTOMER, queue_id=queue_id, actor=None
    )
    sibling = tickets.open_ticket(subject="Another question", customer=CUSTOMER, actor=None)
    upload = FileStorage(BytesIO(PNG), filename="receipt.png", content_type="image/png")
    attachment = attachments.add_attachments(ticket.id, [upload], actor=None)[0]
    tickets.add_comment(ticket.id, body="Checking with the bank.", public=False, actor=world.people["member"])
    return Case(ticket, sibling, attachment.id)


def _person(world: World, caller: str):
    key = {MEMBER: "member", OUTSIDER_READ: "outsider", OUTSIDER_NONE: "outsider", SUPERVISOR: "supervisor"}
    return world.people[key[caller]]


def ticket_routes(app: Flask) -> list[str]:
    return sorted(
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if "ticket_id" in rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def expected_answer(route: str, caller: str) -> str:
    method = route.split(" ", 1)[0]
    if caller != SUPERVISOR and ACCESS[route].level > Level.AGENT:
        return GATE
    if caller == OUTSIDER_NONE:
        return HIDDEN
    if caller == OUTSIDER_READ and method not in READS:
        return READ_ONLY
    return ALLOWED


def actual_answer(response, ticket, *, gate_refusal: bool) -> str:
    if response.status_code == 403:
        return GATE if gate_refusal else READ_ONLY
    if response.status_code == 404 and f"Ticket {ticket.id} not found." in response.get_data(as_text=True):
        return HIDDEN
    if response.status_code == 401:
        return "401"
    # Another 404 names what is missing of a ticket found (its survey, before it has one): past the rule.
    return ALLOWED


def _call(world: World, route: str, caller: str, case: Case):
    method, rule = route.split(" ", 1)
    path = rule.replace("<int:ticket_id>", str(case.ticket.id)).replace(
        "<int:attachment_id>", str(case.attachment_id)
    )
    person = _person(world, caller)
    client = world.app.test_client()
    if rule.startswith("/api/"):
        body = BODIES[route](world, case) if method not in READS else {}
        _token, raw = accounts.create_api_token(person.id, name="walk")
        return client.open(path, method=method, headers={"Authorization": f"Bearer {raw}"}, **body)
    signed_in(client, person)
    data = None
    if method not in READS:
        data = {"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))}
    return client.open(path, method=method, data=data)


def test_every_ticket_route_is_walked(world):
    routes = ticket_routes(world.app)
    assert "GET /tickets/<int:ticket_id>" in routes and "POST /api/v1/tickets/<int:ticket_id>/claim" in routes
    missing = [r for r in routes if r.startswith(("POST", "PATCH", "PUT", "DELETE")) and "/api/" in r]
    assert sorted(set(missing) - BODIES.keys()) == [], "API changes the walk has no body for: add to BODIES"


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_the_answer_the_rule_gives(world, caller):
    wrong = []
    for route in ticket_routes(world.app):
        if route.startswith(("POST", "PATCH")) and "/api/" in route and route not in BODIES:
            continue  # reported by test_every_ticket_route_is_walked
        case = _case(world, caller)
        response = _call(world, route, caller, case)
        expected = expected_answer(route, caller)
        actual = actual_answer(response, case.ticket, gate_refusal=expected == GATE)
        if actual != expected:
            wrong.append(f"{route} answered {response.status_code} ({actual}), not {expected}")
    assert not wrong, f"{caller}:\n" + "\n".join(wrong)
