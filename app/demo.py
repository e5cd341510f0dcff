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
from app.callcenter import services as callcenter
from app.customers import services as customers
from app.extensions import db
from app.notifications import services as notifications
from app.portal import links
from app.portal.surveys import services as surveys
from app.tickets import services as tickets

demo_cli = AppGroup("demo", help="Demo data.")

# (name, paid, longest in minutes): what agents pick when they go on break.
DEMO_BREAK_REASONS = [
    ("Lunch", False, 45),
    ("Short break", False, 15),
    ("Training", True, None),
    ("Coaching", True, 60),
]

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

DEMO_MACROS = [
    (
        "Ask for a photo",
        {
            "set": {"status": "pending"},
            "add_tags": ["needs-photo"],
            "reply": {"body": "Could you send us a photo of the problem? It helps us fix it faster."},
        },
    ),
    (
        "Solved: refund issued",
        {
            "set": {"status": "solved"},
            "add_tags": ["refund"],
            "reply": {"body": "We have issued a full refund; it reaches your account within 5 working days."},
        },
    ),
    ("Escalate to billing", {"set": {"priority": "high"}, "add_tags": ["billing"]}),
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
            language="zh" if email == "chen@example.com" else "en",
            team_ids=[teams[t].id for t in team_names],
            skills=[{"name": skill, "level": 4} for skill in skills],
        )
    queues = {
        name: tickets.create_queue(
            name=name, description=description, team_id=teams[team].id, skills=skills, actor=admin
        ).id
        for name, team, skills, description in DEMO_QUEUES
    }
    people = {}
    for name, org, emails, phones, tags, language, channel, revenue, notes in DEMO_CUSTOMERS:
        people[name] = customers.create_customer(
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
        ).id
    _load_tickets(people, queues)
    # Without a worker in this process the mails would wait for the outbox sweep: send them now, so the
    # mail log (/admin/mail) has them at once.
    notifications.deliver_due()
    for name, actions in DEMO_MACROS:
        tickets.create_macro(name=name, actions=actions, actor=admin)
    for name, paid, max_minutes in DEMO_BREAK_REASONS:
        callcenter.create_break_reason(name=name, paid=paid, max_minutes=max_minutes, actor=admin)
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, role, _teams, _skills in DEMO_PEOPLE:
        click.echo(f"  {role:<10} {email}")


def _load_tickets(people: dict[str, int], queues: dict[str, int]) -> None:
    """A desk in mid-afternoon: new, open, pending, solved tickets and a complaint being handled."""
    agent = {a.email.split("@")[0]: a for a in accounts.all_agents()}

    def open_(customer, queue, *, assignee=None, **fields):
        owner = agent[assignee] if assignee else agent["supervisor"]
        return tickets.open_ticket(
            customer_id=people[customer],
            queue_id=queues[queue],
            assignee_id=owner.id if assignee else None,
            actor=owner,
            **fields,
        )

    damaged = open_(
        "Olivia Bennett",
        "General",
        assignee="alex",
        subject="Order 4411 arrived damaged",
        description="Two of the twelve lamps in order 4411 have cracked shades.",
        type="incident",
        priority="high",
        channel="phone",
    )
    tickets.add_comment(
        damaged.id,
        body="Sorry about that! Could you send us a photo of the cracked shades?",
        status="pending",
        actor=agent["alex"],
    )
    open_(
        "Wang Fang",
        "中文服务",
        subject="发票抬头需要修改",
        description="请把发票抬头改为“上海灯笼有限公司”。",
        type="request",
        channel="chat",
    )
    complaint = open_(
        "Sofia Rossi",
        "Complaints",
        assignee="chen",
        subject="Late delivery ruined our opening night",
        description="The order promised for Friday arrived on Monday, after our opening.",
        type="complaint",
        priority="high",
        channel="email",
        complaint={"category": "delivery", "severity": "high", "desired_outcome": "refund"},
    )
    tickets.update_ticket(
        complaint.id,
        {"complaint": {"stage": "acknowledged"}},
        expected_version=complaint.version,
        actor=agent["chen"],
    )
    tickets.add_comment(
        complaint.id,
        body="We are very sorry. We are checking with the courier and will reply within a day.",
        actor=agent["chen"],
    )
    password = open_(
        "Daniel Kim",
        "General",
        assignee="maria",
        subject="How do I reset my password?",
        description="I forgot my password and the reset e-mail never arrives.",
        channel="web",
    )
    tickets.add_comment(
        password.id,
        body="The reset e-mail was in your spam folder; I have sent a new one.",
        status="solved",
        actor=agent["maria"],
    )
    # Daniel answered the survey from his solve mail: less than he expected, so a supervisor calls back.
    surveys.answer_survey(
        links.issue_survey_token(surveys.get_survey(password.id)),
        {"csat": 3, "ces": 4, "nps": 6, "expected": 4, "experienced": 3, "comment": "Took two tries."},
    )
    outage = open_(
        "James Okafor",
        "Technical support",
        assignee="alex",
        subject="Checkout fails with error 500",
        description="Since this morning every order fails at the payment step.",
        type="incident",
        priority="urgent",
        channel="email",
    )
    tickets.add_comment(
        outage.id,
        body="Payment provider outage, status page confirms. Following up.",
        public=False,
        actor=agent["alex"],
    )
    open_(
        "Amira Haddad",
        "Billing",
        subject="Invoice INV-2291 charged twice",
        description="Our card was charged twice for invoice INV-2291.",
        type="request",
        channel="email",
    )
