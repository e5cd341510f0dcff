"""Who may call what: every route of the URL map, for each kind of caller, answers as specified here.

`ACCESS` below is the specification, written by hand: one line per route (`"METHOD /rule"`, as the URL
map spells it) naming who may call it. It is not read from the implementation's access rules, so the
test fails when a rule changes by mistake, and it fails when a route has no line here (a new endpoint
must be placed in the table) or a line names no route.

Who may call a route:

- `PUBLIC`: anyone, signed in or not.
- `LINK`: whoever holds the case's private link (its tracking page, its survey): the token in the
  address is the credential. Anyone else, staff included, reaches a link that opens nothing: 404.
- `SIGNED_IN`: any signed-in person (agent, supervisor or admin), with no permission beyond that.
- `AGENT`, `SUPERVISOR`, `ADMIN`: the least role whose permissions allow it (each role holds every
  permission of the roles below it).
- `.own_only(...)`: a rule about single records on top of the role: the record is the agent's own
  (their saved view, their token), and the roles named get 404, as if it did not exist.
- `.removes()`: the route deletes or erases what its ids name, so each caller is given rows of their
  own (`DISPOSABLE` says how to make one for each kind of id).
- `.unless_signed(status)`: a webhook a telephony system signs with a secret nobody here holds: every
  caller gets `status`, the refusal of an unsigned request.

The callers: someone anonymous; a customer holding their case's links (who opened their tracking page
first, and who sends the tracking token as a bearer token to the API); an agent, a supervisor and an
admin, signed in through the login page for pages and with a bearer token for the API. Each route is
called with the ids of real rows and a body that need not be valid, since the gate answers before
anything is read. The gate's refusals are: 401 for the API and a redirect to the login page for pages
when nobody is signed in, 403 when the role lacks the permission. A caller who is let through may get
any other answer but 404 (200, 422 for the empty body...).

The OpenAPI document must say the same: 401 on every operation that needs a sign-in, 403 on every one
that needs a permission, and no credentials on public ones.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import IntEnum
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from werkzeug.datastructures import FileStorage

from app import create_app
from app.accounts import passwords
from app.accounts import services as accounts
from app.callcenter import services as callcenter
from app.callcenter.calls.models import Call
from app.callcenter.routing.models import Offer, OfferOutcome, WorkItem, WorkKind, WorkStatus
from app.customers.services import imports as customer_imports
from app.dbtypes import utcnow
from app.extensions import db
from app.portal import links
from app.portal import services as portal
from app.portal.surveys import services as surveys
from app.portal.surveys.models import FollowUpTask
from app.queue import enqueue
from app.tickets import services as tickets
from app.tickets.attachments import services as attachments
from app.tickets.history import services as history
from app.tickets.search.models import SavedView
from app.tickets.services import macros
from tests import backends
from tests.conftest import BASE_CONFIG, FreshContextClient, _sqlite_config
from tests.customer_factories import CustomerFactory
from tests.factories import PASSWORD, AgentFactory, TeamFactory, bind_factories
from tests.helpers import csrf_token_from, signed_in
from tests.sample_jobs import fail_always
from tests.ticket_factories import CalendarFactory, QueueFactory, SlaPolicyFactory


class Level(IntEnum):
    PUBLIC = 0
    LINK = 1
    SIGNED_IN = 2
    AGENT = 3
    SUPERVISOR = 4
    ADMIN = 5


ANONYMOUS, LINK_HOLDER, AGENT_ROLE, SUPERVISOR_ROLE, ADMIN_ROLE = (
    "anonymous",
    "link holder",
    "agent",
    "supervisor",
    "admin",
)
ROLES = (ANONYMOUS, LINK_HOLDER, AGENT_ROLE, SUPERVISOR_ROLE, ADMIN_ROLE)
# The highest level each staff role reaches.
STAFF = {AGENT_ROLE: Level.AGENT, SUPERVISOR_ROLE: Level.SUPERVISOR, ADMIN_ROLE: Level.ADMIN}


@dataclass(frozen=True)
class Access:
    level: Level
    not_theirs: tuple[str, ...] = ()
    fresh_rows: bool = False
    unsigned: str | None = None

    def own_only(self, *roles: str) -> Access:
        """The record is the agent's own; `roles` pass the gate but get 404."""
        return replace(self, not_theirs=roles)

    def unless_signed(self, status: str) -> Access:
        """Public, but refused with `status` unless signed with the provider's secret."""
        return replace(self, unsigned=status)

    def removes(self) -> Access:
        """The route deletes (or erases) what its ids name: each caller gets rows of their own."""
        return replace(self, fresh_rows=True)


PUBLIC = Access(Level.PUBLIC)
LINK = Access(Level.LINK)
SIGNED_IN = Access(Level.SIGNED_IN)
AGENT = Access(Level.AGENT)
SUPERVISOR = Access(Level.SUPERVISOR)
ADMIN = Access(Level.ADMIN)

ACCESS: dict[str, Access] = {
    # -- the customers' side: forms, tracking pages, surveys ------------------------------------------
    "GET /complaints/new": PUBLIC,
    "POST /complaints/new": PUBLIC,
    "GET /complaints/sent": PUBLIC,
    "GET /support/new": PUBLIC,
    "POST /support/new": PUBLIC,
    "GET /track/lost": PUBLIC,
    "POST /track/lost": PUBLIC,
    "GET /track/<token>": LINK,
    "POST /track/<token>": LINK,
    "GET /survey/<token>": LINK,
    "POST /survey/<token>": LINK,
    # The customer asks for a callback from their case's tracking page.
    "GET /track/<token>/callback": LINK,
    "POST /track/<token>/callback": LINK,
    # -- signing in --------------------------------------------------------------------------------
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "GET /language/<code>": PUBLIC,
    "POST /logout": SIGNED_IN,
    "GET /account/sessions": SIGNED_IN,
    "POST /account/sessions/sign-out-everywhere": SIGNED_IN,
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/me": SIGNED_IN,
    "GET /api/v1/auth/sessions": SIGNED_IN,
    "POST /api/v1/auth/sign-out-everywhere": SIGNED_IN,
    "POST /api/v1/auth/me/password": SIGNED_IN,
    "GET /api/v1/auth/tokens": SIGNED_IN,
    # Admins may revoke anyone's token; a supervisor another's not.
    "DELETE /api/v1/auth/tokens/<int:token_id>": SIGNED_IN.own_only(SUPERVISOR_ROLE).removes(),
    # -- people, teams, the settings trail ---------------------------------------------------------
    # The people page's old address, a redirect to its settings page.
    "GET /admin/agents": ADMIN,
    "GET /settings/people": ADMIN,
    "GET /settings/people/new": ADMIN,
    "POST /settings/people/new": ADMIN,
    "GET /settings/people/<int:agent_id>": ADMIN,
    "POST /settings/people/<int:agent_id>": ADMIN,
    "GET /settings/people/<int:agent_id>/disable": ADMIN,
    "POST /settings/people/<int:agent_id>/disable": ADMIN.removes(),
    "POST /settings/people/<int:agent_id>/enable": ADMIN,
    "GET /settings/teams": SUPERVISOR,
    "GET /settings/teams/new": SUPERVISOR,
    "POST /settings/teams/new": SUPERVISOR,
    "GET /settings/teams/<int:team_id>": SUPERVISOR,
    "POST /settings/teams/<int:team_id>": SUPERVISOR,
    "GET /settings/teams/<int:team_id>/delete": SUPERVISOR,
    "POST /settings/teams/<int:team_id>/delete": SUPERVISOR.removes(),
    "GET /settings/break-reasons": SUPERVISOR,
    "GET /settings/break-reasons/new": SUPERVISOR,
    "POST /settings/break-reasons/new": SUPERVISOR,
    "GET /settings/break-reasons/<int:reason_id>": SUPERVISOR,
    "POST /settings/break-reasons/<int:reason_id>": SUPERVISOR,
    "GET /settings/break-reasons/<int:reason_id>/delete": SUPERVISOR,
    "POST /settings/break-reasons/<int:reason_id>/delete": SUPERVISOR.removes(),
    "GET /api/v1/agents": AGENT,
    "POST /api/v1/agents": ADMIN,
    "GET /api/v1/agents/<int:agent_id>": AGENT,
    "PATCH /api/v1/agents/<int:agent_id>": ADMIN,
    "GET /api/v1/teams": AGENT,
    "POST /api/v1/teams": SUPERVISOR,
    "GET /api/v1/teams/<int:team_id>": AGENT,
    "PATCH /api/v1/teams/<int:team_id>": SUPERVISOR,
    "DELETE /api/v1/teams/<int:team_id>": SUPERVISOR.removes(),
    "GET /api/v1/skills": AGENT,
    # Every agent reads the break reasons (their console offers them); supervisors set them up.
    "GET /api/v1/break-reasons": AGENT,
    "POST /api/v1/break-reasons": SUPERVISOR,
    "GET /api/v1/break-reasons/<int:reason_id>": AGENT,
    "PATCH /api/v1/break-reasons/<int:reason_id>": SUPERVISOR,
    "DELETE /api/v1/break-reasons/<int:reason_id>": SUPERVISOR.removes(),
    # Presence: everyone reads anyone's state now (teammates see it live anyway). An agent sets their
    # own and reads their own history; supervisors anyone's. The table's agent id is someone else's: an
    # agent's PUT is refused for its empty body before the 403 another's would get, the history's GET
    # answers it (tests/callcenter/presence/test_presence_api.py checks both refusals).
    "GET /api/v1/callcenter/agents/<int:agent_id>/presence": AGENT,
    "PUT /api/v1/callcenter/agents/<int:agent_id>/presence": AGENT,
    "GET /api/v1/callcenter/agents/<int:agent_id>/presence/history": SUPERVISOR,
    # Routing: an agent answers the offers made to them (anyone else's is a 404) and lists their own;
    # supervisors list anyone's and set each queue's routing rules.
    "GET /api/v1/callcenter/offers": AGENT,
    "POST /api/v1/callcenter/offers/<int:offer_id>/accept": AGENT.own_only(SUPERVISOR_ROLE, ADMIN_ROLE),
    "POST /api/v1/callcenter/offers/<int:offer_id>/decline": AGENT.own_only(SUPERVISOR_ROLE, ADMIN_ROLE),
    "GET /api/v1/callcenter/queues/<int:queue_id>/routing": SUPERVISOR,
    "PUT /api/v1/callcenter/queues/<int:queue_id>/routing": SUPERVISOR,
    # The agent console: each signed-in person's own.
    "GET /console": SIGNED_IN,
    "GET /api/v1/callcenter/console": SIGNED_IN,
    # The live wallboard shows every queue and agent: supervisors and admins only.
    "GET /wallboard": SUPERVISOR,
    "GET /api/v1/callcenter/wallboard": SUPERVISOR,
    # The trail is how admins see what supervisors changed in the setup.
    "GET /admin/settings-changes": ADMIN,
    "GET /api/v1/settings-changes": ADMIN,
    # The mail log's mails carry customers' live tracking and survey links.
    "GET /admin/mail": ADMIN,
    # Failed jobs' arguments name any record; running one again is an operator's call.
    "GET /admin/jobs/failed": ADMIN,
    "POST /admin/jobs/failed/<job_id>/retry": ADMIN.removes(),
    "POST /admin/jobs/failed/<job_id>/delete": ADMIN.removes(),
    "GET /api/v1/jobs/failed": ADMIN,
    "POST /api/v1/jobs/failed/<job_id>/retry": ADMIN.removes(),
    "DELETE /api/v1/jobs/failed/<job_id>": ADMIN.removes(),
    # -- customers ---------------------------------------------------------------------------------
    "GET /": AGENT,
    "GET /customers": AGENT,
    "GET /customers/new": AGENT,
    "POST /customers/new": AGENT,
    "GET /customers/<int:customer_id>": AGENT,
    "POST /customers/<int:customer_id>/export": SUPERVISOR,
    "GET /customers/<int:customer_id>/erase": SUPERVISOR,
    "POST /customers/<int:customer_id>/erase": SUPERVISOR,
    "GET /customers/<int:customer_id>/accesses": SUPERVISOR,
    "GET /customers/<int:customer_id>/edit": AGENT,
    "POST /customers/<int:customer_id>/merge": SUPERVISOR,
    "POST /customers/<int:customer_id>/edit": AGENT,
    "GET /api/v1/customers": AGENT,
    "POST /api/v1/customers": AGENT,
    "GET /api/v1/customers/lookup": AGENT,
    "GET /api/v1/customers/<int:customer_id>": AGENT,
    "PATCH /api/v1/customers/<int:customer_id>": AGENT,
    "DELETE /api/v1/customers/<int:customer_id>": SUPERVISOR.removes(),
    # Personal data: the matrix's calls send no confirmation, so an erasure refuses and removes nothing.
    "POST /api/v1/customers/<int:customer_id>/export": SUPERVISOR,
    "POST /api/v1/customers/<int:customer_id>/erase": SUPERVISOR,
    "GET /api/v1/customers/<int:customer_id>/accesses": SUPERVISOR,
    "GET /api/v1/customers/<int:customer_id>/duplicates": AGENT,
    "POST /api/v1/customers/<int:customer_id>/merge": SUPERVISOR,
    "GET /api/v1/customers/<int:customer_id>/timeline": AGENT,
    "GET /api/v1/customers/fields": AGENT,
    "POST /api/v1/customers/fields": SUPERVISOR,
    "POST /api/v1/customers/imports": SUPERVISOR,
    "GET /api/v1/customers/imports/<int:import_id>": SUPERVISOR,
    # -- tickets -----------------------------------------------------------------------------------
    "GET /tickets": AGENT,
    "GET /tickets/new": AGENT,
    "POST /tickets/new": AGENT,
    "GET /tickets/<int:ticket_id>": AGENT,
    "POST /tickets/<int:ticket_id>/fields": AGENT,
    "POST /tickets/<int:ticket_id>/complaint": AGENT,
    "POST /tickets/<int:ticket_id>/comments": AGENT,
    "POST /tickets/<int:ticket_id>/claim": AGENT,
    "POST /tickets/<int:ticket_id>/macro": AGENT,
    "POST /tickets/<int:ticket_id>/assign": SUPERVISOR,
    "POST /tickets/<int:ticket_id>/attachments": AGENT,
    "GET /tickets/<int:ticket_id>/notifications": AGENT,
    "POST /tickets/bulk": SUPERVISOR,
    "GET /api/v1/tickets": AGENT,
    "POST /api/v1/tickets": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>": AGENT,
    "PATCH /api/v1/tickets/<int:ticket_id>": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/claim": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/assign": SUPERVISOR,
    "GET /api/v1/tickets/<int:ticket_id>/comments": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/comments": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>/events": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>/links": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/links": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/merge": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/macro": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>/attachments": AGENT,
    "POST /api/v1/tickets/<int:ticket_id>/attachments": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>/attachments/<int:attachment_id>": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>/notifications": AGENT,
    "GET /api/v1/tickets/<int:ticket_id>/survey": AGENT,
    "POST /api/v1/tickets/bulk": SUPERVISOR,
    "POST /api/v1/tickets/imports": SUPERVISOR,
    "GET /api/v1/tickets/imports/<int:import_id>": SUPERVISOR,
    # Saved views are each agent's own: nobody else sees them, admins neither.
    "POST /tickets/views": AGENT,
    "POST /tickets/views/<view_id>/delete": AGENT.own_only(SUPERVISOR_ROLE, ADMIN_ROLE).removes(),
    "GET /api/v1/views": AGENT,
    "POST /api/v1/views": AGENT,
    "GET /api/v1/views/<view_id>": AGENT.own_only(SUPERVISOR_ROLE, ADMIN_ROLE),
    "DELETE /api/v1/views/<view_id>": AGENT.own_only(SUPERVISOR_ROLE, ADMIN_ROLE).removes(),
    "GET /api/v1/views/<view_id>/tickets": AGENT.own_only(SUPERVISOR_ROLE, ADMIN_ROLE),
    # -- the desk's setup --------------------------------------------------------------------------
    "GET /api/v1/queues": AGENT,
    "POST /api/v1/queues": SUPERVISOR,
    "GET /api/v1/queues/<int:queue_id>": AGENT,
    "PATCH /api/v1/queues/<int:queue_id>": SUPERVISOR,
    "GET /api/v1/macros": AGENT,
    "POST /api/v1/macros": SUPERVISOR,
    "GET /api/v1/macros/<int:macro_id>": AGENT,
    "PATCH /api/v1/macros/<int:macro_id>": SUPERVISOR,
    "DELETE /api/v1/macros/<int:macro_id>": SUPERVISOR.removes(),
    "GET /api/v1/calendars": AGENT,
    "POST /api/v1/calendars": SUPERVISOR,
    "GET /api/v1/calendars/<int:calendar_id>": AGENT,
    "PATCH /api/v1/calendars/<int:calendar_id>": SUPERVISOR,
    "DELETE /api/v1/calendars/<int:calendar_id>": SUPERVISOR.removes(),
    "GET /api/v1/sla-policies": AGENT,
    "POST /api/v1/sla-policies": SUPERVISOR,
    "GET /api/v1/sla-policies/<int:policy_id>": AGENT,
    "PATCH /api/v1/sla-policies/<int:policy_id>": SUPERVISOR,
    "DELETE /api/v1/sla-policies/<int:policy_id>": SUPERVISOR.removes(),
    # The setup's pages: the index shows each person the sections they may manage (agents: none).
    "GET /settings": SIGNED_IN,
    "GET /settings/queues": SUPERVISOR,
    "GET /settings/queues/new": SUPERVISOR,
    "POST /settings/queues/new": SUPERVISOR,
    "GET /settings/queues/<int:queue_id>": SUPERVISOR,
    "POST /settings/queues/<int:queue_id>": SUPERVISOR,
    "GET /settings/macros": SUPERVISOR,
    "GET /settings/macros/new": SUPERVISOR,
    "POST /settings/macros/new": SUPERVISOR,
    "GET /settings/macros/<int:macro_id>": SUPERVISOR,
    "POST /settings/macros/<int:macro_id>": SUPERVISOR,
    "GET /settings/macros/<int:macro_id>/delete": SUPERVISOR,
    "POST /settings/macros/<int:macro_id>/delete": SUPERVISOR.removes(),
    "GET /settings/calendars": SUPERVISOR,
    "GET /settings/calendars/new": SUPERVISOR,
    "POST /settings/calendars/new": SUPERVISOR,
    "GET /settings/calendars/<int:calendar_id>": SUPERVISOR,
    "POST /settings/calendars/<int:calendar_id>": SUPERVISOR,
    "GET /settings/calendars/<int:calendar_id>/delete": SUPERVISOR,
    "POST /settings/calendars/<int:calendar_id>/delete": SUPERVISOR.removes(),
    "GET /settings/sla-policies": SUPERVISOR,
    "GET /settings/sla-policies/new": SUPERVISOR,
    "POST /settings/sla-policies/new": SUPERVISOR,
    "GET /settings/sla-policies/<int:policy_id>": SUPERVISOR,
    "POST /settings/sla-policies/<int:policy_id>": SUPERVISOR,
    "GET /settings/sla-policies/<int:policy_id>/delete": SUPERVISOR,
    "POST /settings/sla-policies/<int:policy_id>/delete": SUPERVISOR.removes(),
    "GET /settings/custom-fields": SUPERVISOR,
    "GET /settings/custom-fields/new": SUPERVISOR,
    "POST /settings/custom-fields/new": SUPERVISOR,
    "GET /api/v1/web-form-routes": AGENT,
    "PUT /api/v1/web-form-routes": SUPERVISOR,
    "GET /settings/web-form-routes": SUPERVISOR,
    "POST /settings/web-form-routes": SUPERVISOR,
    # -- follow-ups of poor survey answers ---------------------------------------------------------
    "GET /tasks": SUPERVISOR,
    "POST /tasks/<int:task_id>/done": SUPERVISOR,
    # -- the call center's calls -------------------------------------------------------------------
    # Telephony systems sign their webhooks (a shared secret, Twilio's auth token): no person calls them.
    "POST /api/v1/callcenter/events": PUBLIC.unless_signed("401"),
    "POST /api/v1/callcenter/twilio/voice": PUBLIC.unless_signed("403"),
    "POST /api/v1/callcenter/twilio/status": PUBLIC.unless_signed("403"),
    # Every agent reads call records and callbacks; a call's wrap-up is its agent's (or a supervisor's).
    "GET /api/v1/callcenter/calls": AGENT,
    "GET /api/v1/callcenter/calls/<int:call_id>": AGENT,
    "POST /api/v1/callcenter/calls/<int:call_id>/wrap-up": AGENT,
    "GET /api/v1/callcenter/callbacks": AGENT,
    "POST /api/v1/callcenter/callbacks": AGENT,
    # -- the API's own document --------------------------------------------------------------------
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/v1/docs": PUBLIC,
}

# Files of the front end, served to anyone; not a route anybody decides about.
NOT_IN_THE_TABLE = {"static"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
NO_SUCH_LINK = "not-a-link-anybody-was-given"

ALLOWED = "let through"
SIGN_IN_PAGE = "redirect to the login page"


def routes(app: Flask) -> dict[str, object]:
    """`"METHOD /rule"` of every route and method in the URL map, to its rule."""
    return {
        f"{method} {rule.rule}": rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_IN_THE_TABLE
        for method in sorted(rule.methods - SKIPPED_METHODS)
    }


def _is_api(route: str) -> bool:
    return route.split(" ", 1)[1].startswith("/api/")


def expected_answer(access: Access, role: str, *, api: bool) -> str:
    if access.unsigned is not None:
        return access.unsigned
    if access.level is Level.PUBLIC:
        return ALLOWED
    if access.level is Level.LINK:
        return ALLOWED if role == LINK_HOLDER else "404"
    if role not in STAFF:
        return "401" if api else SIGN_IN_PAGE
    if STAFF[role] < access.level:
        return "403"
    return "404" if role in access.not_theirs else ALLOWED


def actual_answer(response, *, api: bool) -> str:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    if not api and 300 <= status < 400 and location.path == "/login" and "next=" in location.query:
        return SIGN_IN_PAGE
    refusals = {"401", "403", "404"} if api else {"403", "404"}
    if str(status) in refusals:
        return str(status)
    if not api and status == 400:
        return "400 (was the form's CSRF token refused?)"
    return ALLOWED


# -- the world: one per backend, shared by every route's test ---------------------------------------
#
# Building an app and its rows for each of a hundred routes would take most of a minute, so one world
# serves them all. What a caller let through changes stays harmless to the others: the customer whose
# case the links open is not the one the customer routes are called with, and each test signs its
# callers in afresh (a sign-out or a revoked token ends nothing a later test uses).

# Each page's test signs three people in: with Argon2's real cost that would be most of its time.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
CHEAP_HASH = CHEAP_HASHER.hash(PASSWORD)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@dataclass
class World:
    app: Flask
    people: dict[str, object]
    rows: dict[str, object]
    ticket: object
    tracking: str
    survey_link: str
    other_ticket: object
    other_tracking: str


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    config = {
        **BASE_CONFIG,
        "ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("files")),
        # Webhooks open, with secrets the callers do not hold.
        "TELEPHONY_WEBHOOK_SECRET": "a secret of the PBX",
        "TWILIO_AUTH_TOKEN": "a token of Twilio's",
    }
    if request.param == "sqlite":
        config.update(_sqlite_config())
    else:
        url, reason = backends.postgres_url()
        if url is None:
            backends.unavailable(reason)
        config["SQLALCHEMY_DATABASE_URI"] = url
    app = create_app(config)
    app.test_client_class = FreshContextClient
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        db.drop_all()
        db.create_all()
        bind_factories()
        yield _build_world(app)
        db.session.remove()
        db.engine.dispose()


def _build_world(app: Flask) -> World:
    people = {role: AgentFactory(role=role, name=f"The {role}", password_hash=CHEAP_HASH) for role in STAFF}
    agent, supervisor = people[AGENT_ROLE], people[SUPERVISOR_ROLE]
    ticket, tracking = _web_case("Rosa Díaz", "rosa@example.com", "The parcel arrived crushed.")
    other_ticket, other_tracking = _web_case("Tom Berg", "tom@example.com", "My invoice is wrong.")
    tickets.add_comment(ticket.id, body="A new parcel is on its way.", status="solved", actor=agent)
    survey = surveys.get_survey(ticket.id)
    survey_link = links.issue_survey_token(survey)
    task = FollowUpTask(ticket_id=ticket.id, survey_id=survey.id, assignee_id=supervisor.id, reason="csat")
    db.session.add(task)
    db.session.commit()
    png = FileStorage(BytesIO(PNG), filename="dot.png", content_type="image/png")
    rows = {
        "agent_id": AgentFactory(name="Bea Bystander").id,
        "team_id": TeamFactory().id,
        "customer_id": CustomerFactory(name="Ida Ives", emails=["ida@example.com"]).id,
        "ticket_id": ticket.id,
        "attachment_id": attachments.add_attachments(ticket.id, [png], actor=agent)[0].id,
        "view_id": str(_saved_view(agent).id),
        "task_id": task.id,
        "queue_id": QueueFactory().id,
        "macro_id": macros.create_macro(name="Urgent", actions={"priority": "high"}, actor=supervisor).id,
        "calendar_id": CalendarFactory().id,
        "policy_id": SlaPolicyFactory().id,
        "reason_id": _break_reason(),
        "offer_id": _offer_to(agent),
        "customer_import_id": customer_imports.create_import(
            filename="people.csv", content=b"name,email\nIda,ida@example.com\n", actor=supervisor
        ).id,
        "ticket_import_id": history.create_history_import(
            filename="history.jsonl", content=b"{}\n", actor=supervisor
        ).id,
        "code": "zh",
        "call_id": _call(),
    }
    return World(app, people, rows, ticket, tracking, survey_link, other_ticket, other_tracking)


def _web_case(name: str, email: str, description: str):
    """A case from the public web form, and its tracking link as the customer was mailed it."""
    return portal.submit_web_form(
        type="incident",
        name=name,
        email=email,
        phone=None,
        description=description,
        idempotency_key=portal.new_idempotency_key(),
    )


def path_of(rule, access: Access, world: World, role: str) -> str:
    values = {}
    for name in rule.arguments:
        if access.fresh_rows and name in DISPOSABLE:
            values[name] = DISPOSABLE[name](world)
        elif name == "token":
            tracking = rule.endpoint in ("portal.track", "calls_pages.callback")
            held = world.tracking if tracking else world.survey_link
            values[name] = held if role == LINK_HOLDER else NO_SUCH_LINK
        elif name == "import_id":
            which = "ticket_import_id" if rule.endpoint.startswith("ticket") else "customer_import_id"
            values[name] = world.rows[which]
        else:
            values[name] = world.rows[name]
    return rule.build(values, append_unknown=False)[1]


_names = itertools.count(1)
# Rows of their own for each caller of a route that `.removes()` (tokens and views are the agent's).
DISPOSABLE = {
    "agent_id": lambda world: AgentFactory().id,
    "team_id": lambda world: TeamFactory().id,
    "customer_id": lambda world: CustomerFactory().id,
    "macro_id": lambda world: (
        macros.create_macro(
            name=f"Macro {next(_names)}", actions={"priority": "low"}, actor=world.people[SUPERVISOR_ROLE]
        ).id
    ),
    "calendar_id": lambda world: CalendarFactory().id,
    "policy_id": lambda world: SlaPolicyFactory().id,
    "reason_id": lambda world: _break_reason(),
    "token_id": lambda world: accounts.create_api_token(world.people[AGENT_ROLE].id, name="spare")[0].id,
    "view_id": lambda world: str(_saved_view(world.people[AGENT_ROLE]).id),
    "job_id": lambda world: enqueue(fail_always, "for the matrix").id,
}


def _call() -> int:
    call = Call(provider="pbx", external_id="matrix-1", caller="+14155550100", offered_at=utcnow())
    db.session.add(call)
    db.session.commit()
    return call.id


def _break_reason() -> int:
    return callcenter.create_break_reason(name=f"Break {next(_names)}", actor=None).id


def _offer_to(agent) -> int:
    """A call offered to the agent, pending for an hour."""
    item = WorkItem(kind=WorkKind.CALL, subject_id=1, status=WorkStatus.OFFERED, agent_id=agent.id)
    db.session.add(item)
    db.session.flush()
    offer = Offer(
        work_item_id=item.id,
        agent_id=agent.id,
        offered_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=1),
        outcome=OfferOutcome.PENDING,
    )
    db.session.add(offer)
    db.session.commit()
    return offer.id


def _saved_view(agent) -> SavedView:
    view = SavedView(agent_id=agent.id, name=f"View {next(_names)}", filters={})
    db.session.add(view)
    db.session.commit()
    return view


@dataclass
class Caller:
    client: object
    bearer: str | None = None
    csrf_token: str | None = None

    def call(self, method: str, path: str, *, api: bool):
        if api:
            headers = {"Authorization": f"Bearer {self.bearer}"} if self.bearer else {}
            body = {} if method in BODY_METHODS else None
            return self.client.open(path, method=method, headers=headers, json=body)
        data = {"csrf_token": self.csrf_token} if method in BODY_METHODS else None
        return self.client.open(path, method=method, data=data)


def api_callers(world: World) -> dict[str, Caller]:
    """Bearer tokens: none, the customer's tracking token, and a new token of each staff member."""
    app = world.app
    callers = {ANONYMOUS: Caller(app.test_client()), LINK_HOLDER: Caller(app.test_client(), world.tracking)}
    for role, person in world.people.items():
        callers[role] = Caller(app.test_client(), accounts.create_api_token(person.id, name="matrix")[1])
    return callers


def page_callers(world: World) -> dict[str, Caller]:
    """Browsers: someone on the login page, the customer on their tracking page, staff signed in."""
    app = world.app
    anonymous, holder = app.test_client(), app.test_client()
    callers = {
        ANONYMOUS: Caller(anonymous, csrf_token=_csrf_token(anonymous, "/login")),
        LINK_HOLDER: Caller(holder, csrf_token=_csrf_token(holder, f"/track/{world.tracking}")),
    }
    for role, person in world.people.items():
        client = signed_in(app.test_client(), person)
        callers[role] = Caller(client, csrf_token=_csrf_token(client, "/"))
    return callers


def _csrf_token(client, path: str) -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


# -- the tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_route_has_a_line_in_the_table_and_every_line_a_route(app):
    in_the_map = set(routes(app))
    assert sorted(in_the_map - ACCESS.keys()) == [], "routes nobody said who may call: add them to ACCESS"
    assert sorted(ACCESS.keys() - in_the_map) == [], "lines of ACCESS that name no route"


@pytest.mark.parametrize("route", sorted(ACCESS))
def test_each_caller_gets_the_specified_answer(world, route):
    rule = routes(world.app).get(route)
    if rule is None:
        pytest.fail(f"{route} is not in the URL map")
    access, api = ACCESS[route], _is_api(route)
    method = route.split(" ", 1)[0]
    callers = api_callers(world) if api else page_callers(world)
    expected = {role: expected_answer(access, role, api=api) for role in ROLES}
    # Those to be refused go first, so that no caller let through has changed what they ask about.
    wrong = []
    for role in sorted(ROLES, key=lambda role: expected[role] == ALLOWED):
        path = path_of(rule, access, world, role)
        response = callers[role].call(method, path, api=api)
        actual = actual_answer(response, api=api)
        if actual != expected[role]:
            hint = " (did an earlier caller remove it? see `.removes()`)" if actual == "404" else ""
            status = str(response.status_code)
            answered = status if actual == status else f"{status} ({actual})"
            wrong.append(f"{role}: {method} {path} answered {answered}, not {expected[role]}{hint}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_openapi_document_says_who_may_call_each_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    wrong = []
    for route, access in ACCESS.items():
        method, rule = route.split(" ", 1)
        path = rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        operation = spec["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue  # a page, or the document itself
        documented = set(operation["responses"])
        if access.level >= Level.SIGNED_IN and "401" not in documented:
            wrong.append(f"{route}: needs a sign-in, 401 not documented")
        if access.level >= Level.AGENT and "403" not in documented:
            wrong.append(f"{route}: needs a permission, 403 not documented")
        if access.level is Level.PUBLIC and operation.get("security") != []:
            wrong.append(f"{route}: public, but documented as needing credentials")
    assert not wrong, "\n".join(wrong)
    assert {"UNAUTHORIZED", "FORBIDDEN"} <= set(spec["components"]["responses"])


# -- the customer's links ----------------------------------------------------------------------------


def test_a_tracking_link_opens_its_own_case_and_no_other(world):
    client = world.app.test_client()

    mine = client.get(f"/track/{world.tracking}").get_data(as_text=True)
    theirs = client.get(f"/track/{world.other_tracking}").get_data(as_text=True)

    assert world.ticket.reference in mine and world.other_ticket.reference not in mine
    assert "The parcel arrived crushed." in mine and "My invoice is wrong." not in mine
    assert world.other_ticket.reference in theirs and world.ticket.reference not in theirs


def test_a_case_link_opens_only_the_page_it_was_given_for(world):
    client = world.app.test_client()

    assert client.get(f"/survey/{world.tracking}").status_code == 404
    assert client.get(f"/track/{world.survey_link}").status_code == 404
    assert client.get(f"/track/{world.tracking}").status_code == 200
    assert client.get(f"/survey/{world.survey_link}").status_code == 200


def test_a_tracking_link_opens_nothing_of_the_desk_or_the_api(world):
    client = world.app.test_client()
    customer_id = world.ticket.customer_id
    as_customer = {"Authorization": f"Bearer {world.tracking}"}
    assert client.get(f"/track/{world.tracking}").status_code == 200  # their session, after their page

    page = client.get(f"/tickets/{world.ticket.id}")
    profile = client.get(f"/customers/{customer_id}")
    api = client.get(f"/api/v1/tickets/{world.ticket.id}", headers=as_customer)
    own_profile = client.get(f"/api/v1/customers/{customer_id}", headers=as_customer)

    assert [urlsplit(page.location).path, urlsplit(profile.location).path] == ["/login", "/login"]
    assert [api.status_code, own_profile.status_code] == [401, 401]
