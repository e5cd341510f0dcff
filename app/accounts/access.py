"""Who may call what: every view declares one access rule, and one hook enforces them all.

A view declares its rule with a decorator (`@public`, `@signed_in`, `@requires(Permission.X)`). The
`before_request` hook below reads the rule of the matched endpoint and answers 401/403 before the view
runs. A view without a rule is refused, so forgetting one fails closed (and `tests/test_architecture.py`
lists such views).

Rules about single records (a soft-deleted customer, another agent's token) live in the services, which
answer 404 for what the caller may not see.

A request authenticates by one means (`sends_authorization`): its bearer token when it sends an
Authorization header, its session otherwise; only the session's API calls need the CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from app.accounts.models import Agent, Role
from app.errors import error_response
from app.extensions import csrf

F = TypeVar("F", bound=Callable[..., Any])


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_DELETE = "customers:delete"
    CUSTOMERS_MERGE = "customers:merge"
    CUSTOMERS_IMPORT = "customers:import"
    CUSTOMER_FIELDS_MANAGE = "customer-fields:manage"
    CUSTOMERS_READ_DELETED = "customers:read-deleted"
    CUSTOMERS_EXPORT = "customers:export"
    CUSTOMERS_ERASE = "customers:erase"
    CUSTOMER_ACCESS_LOG_READ = "customer-access-log:read"
    DIRECTORY_READ = "directory:read"
    TEAMS_MANAGE = "teams:manage"
    QUEUES_MANAGE = "queues:manage"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    TICKETS_ASSIGN = "tickets:assign"
    TICKETS_BULK = "tickets:bulk"
    TICKETS_EVERY_QUEUE = "tickets:every-queue"
    TICKETS_IMPORT = "tickets:import"
    SLA_MANAGE = "sla:manage"
    MACROS_MANAGE = "macros:manage"
    BREAK_REASONS_MANAGE = "break-reasons:manage"
    PRESENCE_MANAGE = "presence:manage"
    AGENTS_MANAGE = "agents:manage"
    FOLLOW_UPS_MANAGE = "follow-ups:manage"
    MAIL_LOG_READ = "mail-log:read"
    SETTINGS_CHANGES_READ = "settings-changes:read"
    JOBS_MANAGE = "jobs:manage"
    CALLS_WORK = "calls:work"
    CALLS_SUPERVISE = "calls:supervise"
    WALLBOARD_VIEW = "wallboard:view"


_AGENT = {
    Permission.CUSTOMERS_READ,
    Permission.CUSTOMERS_WRITE,
    Permission.DIRECTORY_READ,
    Permission.TICKETS_READ,
    Permission.TICKETS_WRITE,
    # Call records and callback requests; an agent wraps up their own calls.
    Permission.CALLS_WORK,
}
_SUPERVISOR = _AGENT | {
    Permission.CUSTOMERS_DELETE,
    Permission.CUSTOMERS_MERGE,
    Permission.CUSTOMERS_IMPORT,
    Permission.CUSTOMER_FIELDS_MANAGE,
    Permission.CUSTOMERS_READ_DELETED,
    Permission.CUSTOMERS_EXPORT,
    Permission.CUSTOMERS_ERASE,
    Permission.CUSTOMER_ACCESS_LOG_READ,
    Permission.TEAMS_MANAGE,
    Permission.QUEUES_MANAGE,
    Permission.TICKETS_ASSIGN,
    Permission.TICKETS_BULK,
    Permission.TICKETS_EVERY_QUEUE,
    Permission.TICKETS_IMPORT,
    Permission.SLA_MANAGE,
    Permission.MACROS_MANAGE,
    Permission.BREAK_REASONS_MANAGE,
    Permission.PRESENCE_MANAGE,
    Permission.FOLLOW_UPS_MANAGE,
    # Wrapping up any agent's call.
    Permission.CALLS_SUPERVISE,
    # The live wallboard: every queue's figures and every agent's state, and acting on them.
    Permission.WALLBOARD_VIEW,
}
# Agents see and work the tickets of their teams' queues (`app.tickets.services.access`); supervisors
# and admins (`TICKETS_EVERY_QUEUE`) those of every queue, as they assign and move work between teams.
# The mail log (`MAIL_LOG_READ`) is the admins' alone: its mails carry customers' live tracking and
# survey links, and supervisors must not answer the surveys about their own teams. So is the settings
# trail (`SETTINGS_CHANGES_READ`): it is how admins see what supervisors changed in the setup. So are
# failed jobs (`JOBS_MANAGE`): their arguments name any record, and running one again is an operator's call.
# An agent sets their own presence and reads their own presence history; supervisors and admins
# (`PRESENCE_MANAGE`) anyone's, as they run the floor.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.AGENT: frozenset(_AGENT),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(Permission),
}


def current_agent() -> Agent:
    """The signed-in agent itself, not Flask-Login's proxy: services pass the actor on in signals, and
    receivers may keep it after the request is over."""
    return current_user._get_current_object()


def has_permission(agent: Agent | None, permission: Permission) -> bool:
    return agent is not None and agent.active and permission in ROLE_PERMISSIONS.get(agent.role, ())


@dataclass(frozen=True)
class Rule:
    """`permission=None` with `sign_in=True` means any signed-in person; `sign_in=False` is public."""

    sign_in: bool = True
    permission: Permission | None = None

    def api_doc(self) -> dict[str, Any]:
        """What the gate adds to an API operation's answers, for the OpenAPI document
        (`app.extensions.ViewDocPlugin`): public operations need no credentials."""
        if not self.sign_in:
            return {"security": []}
        responses = {401: "UNAUTHORIZED"}
        if self.permission:
            responses[403] = "FORBIDDEN"
        return {"responses": responses}


def _declare(rule: Rule) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        view.api_doc = rule.api_doc()  # type: ignore[attr-defined]
        return view

    return decorate


public = _declare(Rule(sign_in=False))
signed_in = _declare(Rule())


def requires(permission: Permission) -> Callable[[F], F]:
    return _declare(Rule(permission=permission))


def rule_of(view: Callable[..., Any] | None) -> Rule | None:
    return getattr(getattr(view, "view_class", view), "access_rule", None)


# Endpoints that belong to extensions rather than to a room.
_EXTENSION_ENDPOINTS = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}


def enforce_access_rule():
    """The single authorization gate (registered as `before_request`)."""
    if request.endpoint is None or request.endpoint in _EXTENSION_ENDPOINTS:
        return None
    rule = rule_of(current_app.view_functions.get(request.endpoint))
    if rule is None:
        current_app.logger.error("Endpoint %s has no access rule; refusing.", request.endpoint)
        return error_response(403, "This endpoint declares no access rule.")
    if not rule.sign_in:
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            return error_response(401, "Sign in or send a valid bearer token.")
        return redirect(url_for("accounts_pages.login", next=request.full_path.rstrip("?")))
    if request.path.startswith("/api/") and request.method not in _SAFE_METHODS and not sends_authorization():
        # Signed in by session: a browser's session cookie rides along on cross-site requests, so
        # demand the CSRF token for anything that changes state. A request with an Authorization header
        # is its bearer token's alone (the accounts room's loaders ignore its cookies), and a browser
        # never adds that header on its own.
        csrf.protect()
    if rule.permission and not has_permission(current_user, rule.permission):
        return error_response(403, "Your role does not allow this.")
    return None


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def sends_authorization() -> bool:
    """Whether the request authenticates by its Authorization header (a bearer token), and so never by
    a session: a bad token is a 401 even beside a valid session cookie."""
    return "Authorization" in request.headers
