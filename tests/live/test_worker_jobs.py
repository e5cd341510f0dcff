"""Jobs on the real worker: the web server enqueues, `worker.py` runs the job, the database shows it.

One web server and one worker for the module, in production mode on PostgreSQL and Redis; mails go to
the mail log (no SMTP server configured). The SLA check runs every second here
(`SLA_CHECK_INTERVAL_SECONDS`), the tracking page allows four requests a minute per client
(`TRACKING_RATE_LIMIT`), and the web servers trust one proxy (`TRUSTED_PROXY_COUNT`), so each test
comes from client addresses of its own and no test spends another's limits.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests

from tests.live.conftest import ADMIN_EMAIL, eventually, post_complaint, start_desk

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

TRACKING_LIMIT = 4


@pytest.fixture(scope="module")
def desk(stack):
    stack.configure(
        SLA_CHECK_INTERVAL_SECONDS=1,
        TRACKING_RATE_LIMIT=f"{TRACKING_LIMIT} per minute",
        TRUSTED_PROXY_COUNT=1,
    )
    web, worker, admin = start_desk(stack)
    supervisor_id = admin.create_agent("sam@live.example", role="supervisor", name="Sam")
    return SimpleNamespace(stack=stack, web=web, worker=worker, admin=admin, supervisor_id=supervisor_id)


def client_address() -> str:
    """A client address of the test's own (the web servers trust one proxy's X-Forwarded-For)."""
    return f"198.51.100.{secrets.randbelow(250) + 1}"


def logged_mails(desk, recipient: str) -> list[dict]:
    if not desk.stack.mail_log.exists():
        return []
    lines = desk.stack.mail_log.read_text(encoding="utf-8").splitlines()
    return [mail for mail in map(json.loads, lines) if mail["to"] == recipient]


def sent_notification(desk, kind: str, recipient: str):
    """The outbox row of `kind` to `recipient` once the worker has sent it (plain SQL)."""
    return eventually(
        lambda: desk.stack.sql(
            "SELECT n.id, n.ticket_id, n.status, n.attempts, n.sent_at, n.last_error, t.reference"
            " FROM notifications n JOIN tickets t ON t.id = n.ticket_id"
            " WHERE n.kind = :kind AND n.recipient = :recipient AND n.status = 'sent'",
            kind=kind,
            recipient=recipient,
        ),
        what=f"the {kind} mail to {recipient} to be sent",
    )


def test_a_web_complaint_gets_its_confirmation_mailed_by_the_worker(desk):
    email = f"rosa-{secrets.token_hex(4)}@example.com"
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = client_address()
    posted = post_complaint(browser, desk.web.url, email)

    assert posted.status_code == 302, posted.text
    confirmation = browser.get(desk.web.url + posted.headers["Location"], timeout=30).text
    [row] = sent_notification(desk, "ticket_received", email)
    assert (row.attempts, row.last_error) == (1, None)
    assert row.reference in confirmation
    [mail] = logged_mails(desk, email)
    assert row.reference in mail["subject"]
    assert f"{desk.web.url}/track/" in mail["text"]  # the tracking link, minted by the worker


def test_an_email_ticket_sent_through_the_api_is_confirmed_and_the_api_shows_the_mail_sent(desk):
    email = f"li-{secrets.token_hex(4)}@example.com"

    created = desk.admin.post(
        "/api/v1/tickets",
        json={
            "subject": "Where is my order?",
            "channel": "email",
            "customer": {"name": "Li Wei", "email": email},
        },
    )

    assert created.status_code == 201, created.text
    ticket = created.json()
    [row] = sent_notification(desk, "ticket_received", email)
    assert row.ticket_id == ticket["id"]
    [shown] = desk.admin.get(f"/api/v1/tickets/{ticket['id']}/notifications").json()
    assert (shown["kind"], shown["status"], shown["attempts"]) == ("ticket_received", "sent", 1)
    assert ticket["reference"] in logged_mails(desk, email)[0]["subject"]


def test_the_workers_periodic_sla_check_records_a_breach_and_mails_the_supervisor(desk):
    policy = desk.admin.post(
        "/api/v1/sla-policies",
        json={"name": "Live urgent", "priority": "urgent", "first_response_seconds": 1, "warning_seconds": 0},
    )
    assert policy.status_code == 201, policy.text
    created = desk.admin.post(
        "/api/v1/tickets",
        json={
            "subject": "Site is down",
            "priority": "urgent",
            "customer": {"name": "Ops", "phone": "+12025550143"},
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    # Nothing but the worker's periodic job checks SLA targets; the test only reads.
    [target] = eventually(
        lambda: desk.stack.sql(
            "SELECT due_at, breached_at, met_at FROM ticket_sla_targets"
            " WHERE ticket_id = :id AND kind = 'first_response' AND breached_at IS NOT NULL",
            id=ticket_id,
        ),
        what="the first response target to be recorded breached",
    )

    assert target.breached_at == target.due_at  # when it was breached, not when the check ran
    assert target.met_at is None
    [event] = desk.stack.sql(
        "SELECT actor_kind, field FROM ticket_events WHERE ticket_id = :id AND kind = 'sla_breached'",
        id=ticket_id,
    )
    assert (event.actor_kind, event.field) == ("system", "first_response")
    [shown] = [
        t
        for t in desk.admin.get(f"/api/v1/tickets/{ticket_id}").json()["sla"]
        if t["kind"] == "first_response"
    ]
    assert shown["breached_at"] is not None
    # The breach's mail to the supervisor goes through the outbox and the worker too.
    [mail] = sent_notification(desk, "sla_breached", "sam@live.example")
    assert mail.ticket_id == ticket_id


def test_a_customer_csv_import_started_through_the_api_runs_on_the_worker_to_done(desk):
    csv = (
        "name,email,phone,tags\n"
        "Ana Live,ana@live.example,,vip\n"
        "Ben Live,ben@live.example;ben@home.example,+1 202 555 0199,\n"
        "Bad Phone,bad@live.example,12,\n"
    )

    started = desk.admin.post("/api/v1/customers/imports", files={"file": ("people.csv", csv, "text/csv")})

    assert started.status_code == 202, started.text
    assert started.json()["status"] in {"queued", "running", "done"}
    url = f"/api/v1/customers/imports/{started.json()['id']}"
    report = eventually(
        lambda: (body := desk.admin.get(url).json())["status"] in {"done", "failed"} and body,
        what="the customer import to finish",
    )
    assert report["status"] == "done", report
    assert (report["created"], report["failed"]) == (2, 1)
    assert [error["row"] for error in report["errors"]] == [3]
    rows = desk.stack.sql(
        "SELECT c.name, p.value FROM customers c JOIN contact_points p ON p.customer_id = c.id"
        " WHERE p.value IN ('ana@live.example', 'ben@live.example', 'ben@home.example', 'bad@live.example')"
        " ORDER BY p.value"
    )
    assert [(row.name, row.value) for row in rows] == [
        ("Ana Live", "ana@live.example"),
        ("Ben Live", "ben@home.example"),
        ("Ben Live", "ben@live.example"),
    ]


def test_a_ticket_history_import_started_through_the_api_runs_on_the_worker_to_done(desk):
    customer = {"name": "Cai Live", "email": "cai@live.example"}
    lines = [
        {
            "reference": "OLD-1",
            "subject": "Invoice is wrong",
            "description": "Charged twice",
            "channel": "email",
            "customer": customer,
            "created_at": "2024-03-01T09:00:00Z",
            "events": [
                {
                    "at": "2024-03-01T10:00:00Z",
                    "kind": "public_reply",
                    "author_email": ADMIN_EMAIL,
                    "body": "Fixed",
                },
                {"at": "2024-03-01T10:01:00Z", "kind": "status", "author_email": ADMIN_EMAIL, "to": "solved"},
            ],
        },
        {
            "reference": "OLD-2",
            "subject": "Tomorrow",
            "customer": customer,
            "created_at": "2999-01-01T00:00:00Z",
        },
    ]
    content = "".join(json.dumps(line) + "\n" for line in lines)

    started = desk.admin.post("/api/v1/tickets/imports", files={"file": ("history.jsonl", content)})

    assert started.status_code == 202, started.text
    url = f"/api/v1/tickets/imports/{started.json()['id']}"
    report = eventually(
        lambda: (body := desk.admin.get(url).json())["status"] in {"done", "failed"} and body,
        what="the history import to finish",
    )
    assert report["status"] == "done", report
    assert (report["lines"], report["processed"], report["created"], report["failed"]) == (2, 2, 1, 1)
    assert [(error["line"], error["reference"]) for error in report["errors"]] == [(2, "OLD-2")]
    [ticket] = desk.stack.sql("SELECT id, status, created_at FROM tickets WHERE reference LIKE 'OLD-%'")
    assert ticket.status == "solved"
    assert ticket.created_at == datetime(2024, 3, 1, 9, tzinfo=UTC)  # its own time, not the import's
    # A replayed history is nobody's news: no mail to the customer.
    assert desk.stack.sql("SELECT id FROM notifications WHERE ticket_id = :id", id=ticket.id) == []


@pytest.fixture(scope="module")
def second_web(desk):
    """Another web process beside the first, on the same database and Redis."""
    return desk.stack.start_web("web-2")


def test_two_web_processes_count_one_rate_limit_in_redis(desk, second_web):
    headers = {"X-Forwarded-For": client_address()}
    servers = [desk.web.url, second_web.url]

    def track(n: int) -> int:
        url = f"{servers[n % 2]}/track/{secrets.token_urlsafe(16)}"
        return requests.get(url, headers=headers, timeout=30).status_code

    # Half of the allowance on each process: a limit counted per process would let every one through.
    assert [track(n) for n in range(TRACKING_LIMIT)] == [404] * TRACKING_LIMIT
    assert [track(n) for n in range(TRACKING_LIMIT, TRACKING_LIMIT + 2)] == [429, 429]
