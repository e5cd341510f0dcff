"""The API does what its OpenAPI document says, whatever it is sent: schemathesis fuzzes every operation.

The app runs in this process (schemathesis calls the WSGI app directly), on demo data so that operations
meet real rows, with every schemathesis check but one (below): any 5xx fails, and so does an answer the
document does not describe (a status, a header, a body, a null where none is documented).

`make test` runs a bounded pass: a few examples per operation with a supervisor's token, on SQLite and
on PostgreSQL. `make fuzz` runs a long one: more examples, an agent's and a supervisor's token, and the
stateful phase (sequences of calls that follow the document's links). The environment sets the bounds:
`FUZZ_EXAMPLES` (examples per operation), `FUZZ_ROLES` (comma-separated roles whose tokens are used),
`FUZZ_STATEFUL_SCENARIOS` (0 leaves the stateful phase out), `FUZZ_RANDOM=1` (new examples each run).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import settings
from sqlalchemy.pool import StaticPool

from app import create_app
from app.accounts import services as accounts
from app.extensions import db
from tests import backends
from tests.conftest import BASE_CONFIG

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
FUZZ_ROLES = os.environ.get("FUZZ_ROLES", "supervisor").split(",")
FUZZ_STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_SCENARIOS", "0"))
# The bounded run draws the same examples every time, so that `make test` passes or fails on the code
# alone; `make fuzz` draws new ones each run.
FUZZ_RANDOM = os.environ.get("FUZZ_RANDOM", "") == "1"

SPEC_PATH = "/api/v1/openapi.json"

# Operations the fuzzer never calls, each because it would lock the fuzzing account out and every later
# call would then test only the 401. Add a new one here with its reason.
LOCKING_OUT = {
    ("POST", "/api/v1/auth/me/password"): "a new password ends every session and token of the account",
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): "the fuzzing token has a small id that the fuzzer tries",
    ("POST", "/api/v1/auth/sign-out-everywhere"): "ends every session and token of the caller",
}
# `POST /api/v1/auth/token` is fuzzed: the fuzzing accounts' e-mail addresses are in no example and no
# source the fuzzer reads, so its guesses never count against them (nor lock them out); their tokens are
# made by the service, not by signing in. Disabling an account (`PATCH /api/v1/agents/{id}`) is for
# admins, and no admin token is used.

# Checks left out, each with why.
EXCLUDED_CHECKS = {
    # Flags a schema-valid request answered 4xx. The API refuses such requests for rules a JSON Schema
    # cannot state (an id that must exist, a ticket not merged into itself, an IANA time zone, one of
    # two fields), with a documented 422 and field messages: the document is kept, not broken.
    "positive_data_acceptance",
}

# The answers an operation gives for its own rules: each must be named in its responses. The `default`
# response (the error envelope) stands for the kernel's answers any operation may give (400 malformed,
# 401, 403, 404, 429), and would otherwise let schemathesis pass any status at all.
OWN_RULE_STATUSES = {409, 422, 428}


@schemathesis.check
def answers_for_own_rules_are_documented(ctx, response, case):
    status = response.status_code
    if status in OWN_RULE_STATUSES and str(status) not in case.operation.responses.status_codes:
        raise AssertionError(
            f"{case.operation.label} answered {status}, which its responses do not name: "
            f"{response.text[:300]}"
        )


# The fuzzing accounts, one per role.
FUZZ_EMAIL = "fuzzing-{role}@example.com"


def _fuzz_app(backend: str):
    config = dict(BASE_CONFIG)
    # As in production: an unexpected error is answered with the 500 envelope, not raised into the test.
    config["TESTING"] = False
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "poolclass": StaticPool,
            "connect_args": {"check_same_thread": False},
        }
    else:
        url, reason = backends.postgres_url()
        if url is None:
            backends.unavailable(reason)
        config["SQLALCHEMY_DATABASE_URI"] = url
    return create_app(config)


def _seed(app) -> dict[str, str]:
    """Demo data (every room's rows, through the services) and a token per fuzzing role."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        tokens = {}
        for role in FUZZ_ROLES:
            agent = accounts.create_agent(
                email=FUZZ_EMAIL.format(role=role),
                password="fuzzing-password",
                name=f"Fuzzing {role}",
                role=role,
            )
            tokens[role] = accounts.create_api_token(agent.id, name="fuzzing")[1]
        return tokens


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzzed_app(request):
    """The app under fuzzing, seeded, and the tokens of the fuzzing accounts by role."""
    app = _fuzz_app(request.param)
    tokens = _seed(app)
    yield app, tokens
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class FuzzingAccount:
    """Whose token the calls carry: the `fuzzing` fixture sets it for each backend and role in turn."""

    role = ""
    token = ""


@pytest.fixture(scope="module", params=FUZZ_ROLES)
def fuzzing(request, fuzzed_app) -> dict:
    """What a call needs to reach the seeded app (its test client) as one fuzzing account."""
    app, tokens = fuzzed_app
    FuzzingAccount.role, FuzzingAccount.token = request.param, tokens[request.param]
    return {"session": app.test_client()}


def _configured(schema):
    for method, path in LOCKING_OUT:
        schema = schema.exclude(method=method, path=path)
    schema.config.checks.update(excluded_check_names=sorted(EXCLUDED_CHECKS))
    schema.config.generation.update(max_examples=FUZZ_EXAMPLES)
    # Failures show the request as sent; the tokens are the tests' own.
    schema.config.output.sanitization.update(enabled=False)
    return schema


# The document, read from an app of its own: it is the same on every backend, and reading it needs no data.
# Calls go to the seeded app of the `fuzzing` fixture (its test client as the session).
schema = _configured(schemathesis.openapi.from_wsgi(SPEC_PATH, _fuzz_app("sqlite")))


# Given as auth (not as a plain header), so that schemathesis knows the token is meant to be valid and
# checks that the operation refuses the call without it or with a wrong one. Never cached: the
# account changes between fixtures; a 401 is a finding, not a reason to sign in again.
@schema.auth(refresh_interval=None, retry_on=[])
class BearerToken:
    def get(self, case, context):
        return FuzzingAccount.token

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, database=None, deadline=None, derandomize=not FUZZ_RANDOM)
def test_every_operation_answers_as_documented(case, fuzzing):
    response = case.call(**fuzzing)
    case.validate_response(response)


def test_sequences_of_calls_answer_as_documented(fuzzed_app, fuzzing):
    if not FUZZ_STATEFUL_SCENARIOS:
        pytest.skip("the stateful phase runs in `make fuzz` (FUZZ_STATEFUL_SCENARIOS)")
    app, tokens = fuzzed_app

    class Workflow(schema.as_state_machine()):
        def setup(self):
            # Every scenario starts from the seeded data: hypothesis replays a scenario to shrink it, and
            # one that met rows an earlier scenario deleted would draw differently the second time.
            tokens.update(_seed(app))
            FuzzingAccount.token = tokens[FuzzingAccount.role]

        def get_call_kwargs(self, case):
            return fuzzing

    Workflow.run(
        settings=settings(
            Workflow.TestCase.settings,
            max_examples=FUZZ_STATEFUL_SCENARIOS,
            database=None,
            deadline=None,
            derandomize=not FUZZ_RANDOM,
        )
    )
