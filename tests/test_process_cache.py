"""Rows every request reads are cached per process (`app/process_cache.py`): an API token with its agent,
the SLA policies. A change committed in one process is seen by every other from its next request on, as
if each request had read the database. Two apps on one PostgreSQL database and one Redis stand for two
processes."""

from __future__ import annotations

import pytest
import redis as redis_lib
from flask import Flask

from app import create_app, process_cache
from app.accounts import services as accounts
from app.extensions import db
from app.tickets.models import Ticket
from app.tickets.sla import services as sla
from app.tickets.sla.models import SlaPolicy
from tests import backends
from tests.conftest import FreshContextClient
from tests.factories import AgentFactory
from tests.helpers import ApiClient, statements_seen

pytestmark = [pytest.mark.redis, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

TICKET = {"subject": "Printer on fire", "customer": {"name": "Pat", "email": "pat@example.com"}}


@pytest.fixture
def app_config(app_config):
    url = backends.empty_redis()
    return {**app_config, "REDIS_URL": url}


@pytest.fixture
def other_process(app, app_config):
    """A second app on the same database and Redis, with caches of its own."""
    other = create_app(app_config)
    other.test_client_class = FreshContextClient
    yield other
    with other.app_context():
        db.engine.dispose()


def as_agent_in(other: Flask, token: str) -> ApiClient:
    return ApiClient(other.test_client(), token)


@pytest.fixture
def agent_with_token(app):
    agent = AgentFactory(role="supervisor")
    token, raw = accounts.create_api_token(agent.id, name="cache test")
    return agent, token, raw


def test_a_token_revoked_in_one_process_is_refused_by_the_others_at_once(other_process, agent_with_token):
    agent, token, raw = agent_with_token
    elsewhere = as_agent_in(other_process, raw)
    assert elsewhere.get("/api/v1/tickets").status_code == 200
    assert elsewhere.get("/api/v1/tickets").status_code == 200  # answered from its cache

    accounts.revoke_token(token.id, actor=agent)

    assert elsewhere.get("/api/v1/tickets").status_code == 401


def test_a_disabled_agent_is_refused_by_the_other_processes_at_once(other_process, agent_with_token):
    agent, _token, raw = agent_with_token
    elsewhere = as_agent_in(other_process, raw)
    assert elsewhere.get("/api/v1/tickets").status_code == 200

    accounts.update_agent(agent.id, {"active": False}, actor=AgentFactory(role="admin"))

    assert elsewhere.get("/api/v1/tickets").status_code == 401


def test_a_token_in_use_costs_no_query(other_process, agent_with_token):
    _agent, _token, raw = agent_with_token
    elsewhere = as_agent_in(other_process, raw)
    elsewhere.get("/api/v1/tickets")  # its first use is written down (last_used_at): a new stamp
    elsewhere.get("/api/v1/tickets")
    with other_process.app_context():
        engine = db.engine
    with statements_seen(engine) as seen:
        assert elsewhere.get("/api/v1/tickets").status_code == 200
    assert not [statement for statement in seen if "api_tokens" in statement]


def test_unknown_tokens_are_not_kept(other_process):
    """Whoever guesses tokens gets 401s, never a cache that grows with every guess."""
    for n in range(3):
        assert as_agent_in(other_process, f"sb_guess-{n}").get("/api/v1/tickets").status_code == 401
    assert not other_process.extensions["process_cache"].by_key


def test_a_redis_that_lost_its_data_brings_back_no_stale_token(other_process, agent_with_token, app_config):
    """The stamp is random: after Redis forgets it, the next change's stamp is one nobody cached under."""
    agent, token, raw = agent_with_token
    elsewhere = as_agent_in(other_process, raw)
    assert elsewhere.get("/api/v1/tickets").status_code == 200
    redis_lib.Redis.from_url(app_config["REDIS_URL"]).flushdb()

    accounts.revoke_token(token.id, actor=agent)

    assert elsewhere.get("/api/v1/tickets").status_code == 401


def test_no_stamp_comes_back_after_redis_lost_its_data(app, app_config, agent_with_token):
    """A counter would start over after a restart and could reach, again, a value some process still
    holds values under; random stamps cannot."""
    agent, _token, _raw = agent_with_token
    redis = redis_lib.Redis.from_url(app_config["REDIS_URL"])
    stamps = []
    for n in range(3):
        accounts.create_api_token(agent.id, name=f"token {n}")
        stamps.append(redis.get(process_cache.VERSION_KEY))
        redis.flushdb()
    assert None not in stamps
    assert len(set(stamps)) == len(stamps)


def test_without_redis_every_request_reads_the_token(app_config, agent_with_token):
    """Nothing is cached without the stamp: a revocation by another process still counts at once."""
    agent, token, raw = agent_with_token
    unreachable = {**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"}
    first, second = create_app(unreachable), create_app(unreachable)
    for each in (first, second):
        each.test_client_class = FreshContextClient
    assert as_agent_in(second, raw).get("/api/v1/tickets").status_code == 200

    with first.app_context():
        accounts.revoke_token(token.id, actor=db.session.get(type(agent), agent.id))

    assert as_agent_in(second, raw).get("/api/v1/tickets").status_code == 401
    for each in (first, second):
        with each.app_context():
            db.engine.dispose()


def test_a_policy_added_in_one_process_applies_in_the_others_at_once(other_process, agent_with_token):
    agent, _token, raw = agent_with_token
    elsewhere = as_agent_in(other_process, raw)
    before = elsewhere.post("/api/v1/tickets", json=TICKET).get_json()
    assert {target["policy"] for target in before["sla"]} == {"default"}

    sla.create_policy(name="Fast lane", priority="normal", first_response_seconds=600, actor=agent)

    after = elsewhere.post("/api/v1/tickets", json=TICKET).get_json()
    assert {target["kind"]: target["policy"] for target in after["sla"]}["first_response"] == "Fast lane"


def test_a_transaction_that_wrote_policies_reads_them_itself(app, agent_with_token):
    """Until its commit stamps a new version, the writing transaction must not use the cached list."""
    _agent, _token, raw = agent_with_token
    ticket_id = ApiClient(app.test_client(), raw).post("/api/v1/tickets", json=TICKET).get_json()["id"]
    ticket = db.session.get(Ticket, ticket_id)
    assert sla.policy_for(ticket).policy_id is None  # the default, now cached

    db.session.add(SlaPolicy(name="Not yet committed", priority="normal", first_response_seconds=60))
    db.session.flush()

    assert sla.policy_for(ticket).name == "Not yet committed"
    db.session.rollback()


def test_a_savepoint_rolled_back_keeps_the_stamp_owed_for_what_was_written_before_it(
    other_process, agent_with_token
):
    _agent, _token, raw = agent_with_token
    elsewhere = as_agent_in(other_process, raw)
    elsewhere.post("/api/v1/tickets", json=TICKET)  # the other process caches the policies
    db.session.add(SlaPolicy(name="Fast lane", priority="normal", first_response_seconds=600))
    db.session.flush()
    savepoint = db.session.begin_nested()
    db.session.add(SlaPolicy(name="Dropped", priority="low", first_response_seconds=60))
    savepoint.rollback()

    db.session.commit()

    after = elsewhere.post("/api/v1/tickets", json=TICKET).get_json()
    assert {target["kind"]: target["policy"] for target in after["sla"]}["first_response"] == "Fast lane"
