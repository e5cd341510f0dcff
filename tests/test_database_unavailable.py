"""When the database goes away for a moment (a restart, a failover, its connections cut), requests caught
in it answer 503 with `Retry-After`, write nothing, and the next request works without a restart.

The real layer: connections are cut by the PostgreSQL server itself (`pg_terminate_backend` from another
connection, as a restart does to every connection), and the database made to refuse new ones.
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.accounts.models import SignInSession
from app.customers.models import Customer
from app.errors import database_unavailable
from app.extensions import db
from app.notifications.models import Notification
from app.tickets.models import Ticket
from tests.database_faults import assert_retry_later, cut_every_connection, refusing_connections
from tests.factories import PASSWORD
from tests.helpers import csrf_token_from, signed_in

postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

NEW_TICKET = {
    "subject": "The parcel never came",
    "description": "Order 1234 was due on Monday.",
    "channel": "email",
    "customer": {"name": "Mia Chen", "email": "mia@example.com"},
}


@postgres_only
def test_an_api_request_meeting_a_cut_connection_answers_503_and_the_next_one_works(unchecked_pool, as_agent):
    assert as_agent.get("/api/v1/tickets").status_code == 200
    assert cut_every_connection() >= 1

    caught = as_agent.get("/api/v1/tickets")

    assert_retry_later(caught)
    assert caught.get_json() == {
        "code": 503,
        "message": "The database cannot be reached just now. Send the request again in a few seconds.",
        "errors": {},
    }
    assert as_agent.get("/api/v1/tickets").status_code == 200


@postgres_only
def test_a_ticket_whose_commit_meets_a_cut_connection_leaves_no_row_behind(unchecked_pool, as_agent):
    assert as_agent.get("/api/v1/tickets").status_code == 200  # the token's first use is written

    def cut_before_the_commit(session: Session) -> None:
        if any(isinstance(row, Ticket) for row in (*session.new, *session.identity_map.values())):
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with create_engine(db.engine.url).connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(Session, "before_commit", cut_before_the_commit)
    try:
        caught = as_agent.post("/api/v1/tickets", json=NEW_TICKET)
    finally:
        event.remove(Session, "before_commit", cut_before_the_commit)

    assert_retry_later(caught)
    for model in (Ticket, Customer, Notification):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    sent_again = as_agent.post("/api/v1/tickets", json=NEW_TICKET)
    assert sent_again.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


@postgres_only
def test_a_page_caught_in_a_restart_is_a_plain_page_in_the_browsers_language(unchecked_pool, client, agent):
    signed_in(client, agent)
    assert client.get("/tickets").status_code == 200
    cut_every_connection()

    caught = client.get("/tickets", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert_retry_later(caught)
    page = caught.get_data(as_text=True)
    assert caught.mimetype == "text/html"
    assert '<html lang="zh-Hans">' in page
    assert "暂时无法连接数据库" in page
    assert client.get("/tickets").status_code == 200  # still signed in: the session outlived it


@postgres_only
def test_while_the_database_refuses_connections_requests_answer_503_then_work_again(unchecked_pool, as_agent):
    assert as_agent.get("/api/v1/tickets").status_code == 200

    with refusing_connections():
        assert_retry_later(as_agent.get("/api/v1/tickets"))
        assert_retry_later(as_agent.post("/api/v1/tickets", json=NEW_TICKET))

    assert as_agent.get("/api/v1/tickets").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@postgres_only
def test_signing_in_while_the_database_is_away_answers_503_and_opens_no_session(
    unchecked_pool, client, agent
):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    with refusing_connections():
        caught = client.post("/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token})
    assert_retry_later(caught)
    assert db.session.scalar(select(func.count()).select_from(SignInSession)) == 0


def _wrapped(original: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, original)


@pytest.mark.parametrize(
    ("original", "passing"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: tickets"), False),
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.DiskFull("could not extend file"), False),
    ],
)
def test_only_failures_that_pass_count_as_the_database_being_away(original, passing):
    """Anything else a driver calls operational (a missing table: the schema is not migrated) is a
    defect, answered 500 and logged, never a 503 that invites clients to retry in vain."""
    assert database_unavailable(_wrapped(original)) is passing
