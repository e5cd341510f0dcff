"""`flask --app wsgi demo load`: a fresh install shows something real, once."""

from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import Agent
from app.callcenter.models import BreakReason
from app.customers.models import Customer
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.tickets.models import Queue, Ticket


def test_demo_loads_people_of_every_role_and_prints_their_logins(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    roles = set(db.session.scalars(select(Agent.role)))
    assert roles == {"agent", "supervisor", "admin"}
    assert "admin@example.com" in result.output and DEMO_PASSWORD in result.output
    assert accounts.authenticate("alex@example.com", DEMO_PASSWORD) is not None
    assert db.session.scalar(select(func.count(Queue.id))) >= 3
    assert db.session.scalar(select(func.count(BreakReason.id))) >= 3
    assert db.session.scalar(select(func.count(Customer.id))) >= 5
    statuses = set(db.session.scalars(select(Ticket.status)))
    assert {"new", "open", "pending", "solved"} <= statuses
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.type == "complaint")) == 1


def test_demo_never_touches_a_database_that_has_accounts(app, agent):
    result = app.test_cli_runner().invoke(args=["demo", "load"])

    assert "not loaded" in result.output
    assert db.session.scalar(select(func.count(Agent.id))) == 1
