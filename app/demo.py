"""Demo data for a fresh install: `flask --app wsgi demo load` (does nothing if there are accounts).

Everything goes through the rooms' services, exactly as the API would do it.
"""

from __future__ import annotations

from decimal import Decimal

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Agent
from app.customers import services as customers
from app.extensions import db
from app.tickets import services as tickets

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_PASSWORD = "switchboard-demo"
# (e-mail, name, role, teams, skills)
DEMO_PEOPLE = [
    ("admin@example.com", "Ada Admin", "admin", [], []),
    ("supervisor@example.com", "Sam Supervisor", "supervisor", ["Front line", "Billing"], ["en"]),
    ("lin@example.com", "Lin Wei", "supervisor", ["Customer care"], ["en", "zh", "complaints"]),
    ("alex@example.com", "Alex Agent", "agent", ["Front line"], ["en", "technical"]),
    ("maria@example.com", "Maria Garcia", "agent", ["Front line", "Billing"], ["en", "es", "billing"]),
    ("chen@example.com", "Chen Jing", "agent", ["Customer care"], ["zh", "en", "complaints"]),
]
DEMO_TEAMS = {
    "Front line": "First contact for calls, chats and web requests.",
    "Billing": "Invoices, refunds and payment problems.",
    "Customer care": "Complaints and recovering unhappy customers.",
}
# (name, team, skills, description)
DEMO_QUEUES = [
    ("General", "Front line", ["en"], "Questions and requests that fit nowhere else."),
    ("Technical support", "Front line", ["technical"], "Incidents and how-to questions."),
    ("Billing", "Billing", ["billing"], "Invoices, refunds, payment failures."),
    ("Complaints", "Customer care", ["complaints"], "Formal complaints, handled by the complaint procedure."),
    ("中文服务", "Customer care", ["zh"], "Customers who prefer Chinese."),
]
# (name, organization, e-mails, phones, tags, language, channel, revenue over 12 months, notes)
DEMO_CUSTOMERS = [
    (
        "Olivia Bennett",
        "Northwind Traders",
        ["olivia@northwind.example"],
        ["+1 415 555 0132"],
        ["vip", "wholesale"],
        "en",
        "phone",
        "48250.00",
        "Buys for 14 stores; prefers calls before noon.",
    ),
    (
        "James Okafor",
        "Northwind Traders",
        ["james.okafor@northwind.example"],
        ["+1 415 555 0177"],
        ["wholesale"],
        "en",
        "email",
        "12900.00",
        "",
    ),
    (
        "Wang Fang",
        "Shanghai Lantern Co.",
        ["wang.fang@lantern.example"],
        ["+86 21 5555 0199"],
        ["vip"],
        "zh",
        "chat",
        "31800.00",
        "请用中文沟通。",
    ),
    ("Li Na", None, ["lina@example.net"], ["+86 138 0013 8000"], ["retail"], "zh", "web", "420.00", ""),
    (
        "Sofia Rossi",
        "Bella Cucina",
        ["sofia@bellacucina.example"],
        ["+39 02 5555 1234"],
        ["restaurant"],
        "en",
        "email",
        "7600.00",
        "Complained about a late delivery in March.",
    ),
    (
        "Daniel Kim",
        None,
        ["daniel.kim@example.org"],
        ["+1 212 555 0190"],
        ["retail"],
        "en",
        "phone",
        "180.00",
        "",
    ),
    (
        "Amira Haddad",
        "Cedar Clinics",
        ["amira@cedarclinics.example", "billing@cedarclinics.example"],
        ["+44 20 7946 0958"],
        ["healthcare", "contract"],
        "en",
        "email",
        "22400.00",
        "Annual contract renews in June.",
    ),
    (
        "Lucas Martin",
        None,
        ["lucas.martin@example.com"],
        [],
        ["retail", "newsletter"],
        "en",
        "email",
        "65.00",
        "",
    ),
]


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)


@demo_cli.command("load")
def load() -> None:
    """Load demo people, teams, queues and customers into an empty database; print the demo logins."""
    if db.session.scalar(select(Agent.id).limit(1)) is not None:
        click.echo("The database already has accounts; demo data not loaded.")
        return
    admin = accounts.create_agent(
        email="admin@example.com", password=DEMO_PASSWORD, name="Ada Admin", role="admin"
    )
    teams = {
        name: accounts.create_team(name=name, description=description, actor=admin)
        for name, description in DEMO_TEAMS.items()
    }
    for email, name, role, team_names, skills in DEMO_PEOPLE[1:]:
        accounts.create_agent(
            email=email,
            password=DEMO_PASSWORD,
            name=name,
            role=role,
            language="zh" if "zh" in skills and "es" not in skills and email.startswith("chen") else "en",
            team_ids=[teams[t].id for t in team_names],
            skills=[{"name": skill, "level": 4} for skill in skills],
        )
    for name, team, skills, description in DEMO_QUEUES:
        tickets.create_queue(
            name=name, description=description, team_id=teams[team].id, skills=skills, actor=admin
        )
    for name, org, emails, phones, tags, language, channel, revenue, notes in DEMO_CUSTOMERS:
        customers.create_customer(
            name=name,
            organization=org,
            emails=emails,
            phones=phones,
            tags=tags,
            preferred_language=language,
            preferred_channel=channel,
            revenue_12m=Decimal(revenue),
            currency="USD",
            notes=notes,
            consent={
                "email": True,
                "sms": False,
                "phone": channel == "phone",
                "marketing": "newsletter" in tags,
            },
            actor=admin,
        )
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, role, _teams, _skills in DEMO_PEOPLE:
        click.echo(f"  {role:<10} {email}")
