"""A worker killed with SIGKILL in the middle of a job: another worker finishes the job, exactly once.

One web server; workers started and killed by the tests (`os.killpg`: the worker and its scheduler
process, as a lost machine would stop them), one at a time. Timings are shortened through the
environment: a running job's worker beats every second and three missed beats make it abandoned,
maintenance every two seconds, a mail's lease three seconds, an import silent for six seconds is taken
over, sweeps every second. RQ's scheduler lock cannot be shortened that way: the dead worker's scheduler
held it, and until it lapses (a minute after its last renewal) nothing scheduled (a retry, a sweep) runs.
The tests fast-forward that minute by removing the dead scheduler's locks as their expiry would; the next
worker's scheduler then takes them over at its next maintenance pass.

Mails go through an SMTP server in the test process that stalls the first mail to each `stall-*`
address until the test releases it, and accepts everything else.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import threading
from collections import defaultdict
from types import SimpleNamespace

import pytest
import redis
from rq import Queue, Retry

from tests.live.conftest import eventually, smtp_server, start_desk

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

# Long enough for a maintenance pass to take the job back and another worker to run it again.
TAKEOVER_SECONDS = 120.0
IMPORT_LINES = 2000


class StallingSmtpServer:
    """aiosmtpd handler: the first mail to a `stall-*` address waits at DATA, before the server has
    accepted it, until `release()`; every accepted mail is kept by recipient."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stalled: set[str] = set()
        self.accepted: dict[str, list[bytes]] = defaultdict(list)
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            with self.lock:
                stall = address.startswith("stall-") and address not in self.stalled
                if stall:
                    self.stalled.add(address)
            if stall:
                while not self.released.is_set():
                    await asyncio.sleep(0.05)
                return "451 4.3.0 The client went away"
        with self.lock:
            for address in envelope.rcpt_tos:
                self.accepted[address].append(envelope.content)
        return "250 Message accepted for delivery"

    def release(self) -> None:
        self.released.set()


@pytest.fixture(scope="module")
def smtp():
    with smtp_server(StallingSmtpServer()) as handler:
        yield handler
        handler.release()  # a delivery still held would keep the server from stopping


@pytest.fixture(scope="module")
def desk(stack, smtp):
    stack.configure(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        WORKER_HEARTBEAT_SECONDS=1,
        WORKER_MAINTENANCE_INTERVAL_SECONDS=2,
        JOB_RETRY_ATTEMPTS=1,
        JOB_RETRY_BASE_SECONDS=1,
        NOTIFICATION_LEASE_SECONDS=3,
        NOTIFICATION_SWEEP_INTERVAL_SECONDS=1,
        IMPORT_HEARTBEAT_SECONDS=1,
        IMPORT_SWEEP_INTERVAL_SECONDS=1,
    )
    web, worker, admin = start_desk(stack)
    return SimpleNamespace(stack=stack, web=web, worker=worker, admin=admin, started=1)


def kill_worker_and_start_another(desk) -> None:
    """SIGKILL the worker and its scheduler, let their scheduler locks lapse, then start the next worker."""
    os.killpg(desk.worker.pid, signal.SIGKILL)
    desk.worker.popen.wait()
    connection = redis.Redis.from_url(desk.stack.redis_url)
    for lock in connection.scan_iter("rq:scheduler-lock:*"):
        connection.delete(lock)
    desk.started += 1
    desk.worker = desk.stack.start_worker(f"worker-{desk.started}")


def test_a_mail_whose_worker_was_killed_while_the_server_held_it_is_delivered_once_by_another(desk, smtp):
    email = f"stall-{secrets.token_hex(4)}@example.com"
    created = desk.admin.post(
        "/api/v1/tickets",
        json={"subject": "Broken kettle", "channel": "email", "customer": {"name": "Kim", "email": email}},
    )
    assert created.status_code == 201, created.text
    eventually(lambda: email in smtp.stalled, what="the worker to be in the middle of sending the mail")

    kill_worker_and_start_another(desk)
    smtp.release()

    [row] = eventually(
        lambda: desk.stack.sql(
            "SELECT id, status, attempts, last_error FROM notifications"
            " WHERE recipient = :email AND status = 'sent'",
            email=email,
        ),
        timeout=TAKEOVER_SECONDS,
        what="another worker to send the mail",
    )
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    [message] = smtp.accepted[email]
    assert b"Broken kettle" in message
    assert f"switchboard.notification.{row.id}.".encode() in message  # its Message-ID


def test_an_import_whose_worker_was_killed_halfway_is_finished_by_another_every_line_once(desk):
    lines = [
        json.dumps(
            {
                "reference": f"OLD-{n}",
                "subject": f"Old ticket {n}",
                "customer": {"email": f"old-{n}@example.com"},
                "created_at": "2024-03-01T09:00:00Z",
            }
        )
        for n in range(IMPORT_LINES)
    ]
    started = desk.admin.post(
        "/api/v1/tickets/imports", files={"file": ("history.jsonl", "\n".join(lines).encode())}
    )
    assert started.status_code == 202, started.text
    import_id = started.json()["id"]

    def progress():
        [record] = desk.stack.sql("SELECT processed_count FROM ticket_imports WHERE id = :id", id=import_id)
        return record.processed_count

    eventually(lambda: progress() > 0, interval=0.01, what="the first batch to land")
    kill_worker_and_start_another(desk)
    halfway = progress()
    assert 0 < halfway < IMPORT_LINES, "the import must have been stopped in the middle"

    done = eventually(
        lambda: (
            desk.admin.get(f"/api/v1/tickets/imports/{import_id}").json()["status"] == "done"
            and desk.admin.get(f"/api/v1/tickets/imports/{import_id}").json()
        ),
        timeout=TAKEOVER_SECONDS,
        what="another worker to finish the import",
    )
    assert (done["lines"], done["processed"], done["created"], done["unchanged"], done["failed"]) == (
        IMPORT_LINES,
        IMPORT_LINES,
        IMPORT_LINES,
        0,
        0,
    )
    [tickets] = desk.stack.sql(
        "SELECT count(*) AS n, count(DISTINCT reference) AS refs FROM tickets WHERE reference LIKE 'OLD-%'"
    )
    assert (tickets.n, tickets.refs) == (IMPORT_LINES, IMPORT_LINES)
    [record] = desk.stack.sql("SELECT attempts FROM ticket_imports WHERE id = :id", id=import_id)
    assert record.attempts == 2


def test_a_job_that_keeps_failing_lands_in_the_failed_job_registry_where_admins_see_it(desk):
    # A job for an import that is not there (as one enqueued for a record since removed): every run fails.
    queue = Queue("default", connection=redis.Redis.from_url(desk.stack.redis_url))
    job = queue.enqueue("app.tickets.history.jobs.run_ticket_import", 999999, retry=Retry(max=1))

    listed = eventually(
        lambda: [failed for failed in desk.admin.get("/api/v1/jobs/failed").json() if failed["id"] == job.id],
        what="the job to land in the failed-job registry",
    )

    [failed] = listed
    assert (failed["queue"], failed["function"], failed["args"]) == (
        "default",
        "app.tickets.history.jobs.run_ticket_import",
        [999999],
    )
    assert "Import 999999 not found" in failed["error"]
    retried = desk.admin.post(f"/api/v1/jobs/failed/{job.id}/retry")
    assert retried.status_code == 200, retried.text
    eventually(
        lambda: any(failed["id"] == job.id for failed in desk.admin.get("/api/v1/jobs/failed").json()),
        what="the job run again to fail again",
    )
