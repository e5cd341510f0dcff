"""History import: another helpdesk's tickets, replayed through the ticket workflow at their own times.

The file
--------
JSON Lines (UTF-8), one ticket per line; blank lines are skipped, line numbers count every line:

    {"reference": "ZD-1042", "subject": "...", "description": "...", "type": "question",
     "priority": "normal", "channel": "email", "queue": "Billing",
     "customer": {"name": "...", "email": "...", "phone": "..."}, "assignee_email": "agent@...",
     "created_at": "2024-03-01T09:00:00Z", "tags": ["vip"],
     "complaint": {"category": "billing", "severity": "high", "desired_outcome": "refund",
                   "root_cause": "...", "remedy": "..."},
     "events": [{"at": "...", "kind": "public_reply" | "internal_note" | "status",
                 "author_email": "...", "body": "...", "to": "solved"}]}

Required: `reference` (at most 40 characters; a number is taken as text), `subject`, `customer` (an
e-mail or a phone) and `created_at`. `type`, `priority` and `channel` default as in the API (question,
normal, api). A complaint (`type: complaint`) may carry `complaint` with the details the other desk kept
(each optional): without a category it is `other`, without a severity `medium`. Times are
ISO 8601; a time without an offset is UTC. None may lie in the future: a `created_at` or an event's
`at` later than the import's now fails the line (a history holds only what has happened). Other keys
are refused, so a misspelt key is reported rather than dropped. A line is read by `HistoryLineSchema`
(`schemas.py`), so its errors read like the API's: `{field: [messages]}`, nested for the customer, the
complaint and the events (`{"events": {"2": {"at": ["Not a valid datetime."]}}}`).

What a line means
-----------------
- `queue` is a queue's name, matched regardless of case. An unknown name fails the line
  (`{"queue": ["No queue named X."]}`): queues are set up by people, not invented by an import.
- A complaint's stage follows its status: received while unsolved, resolved once solved (as here). The
  desk's procedure (a root cause and a remedy before solving, a follow-up before closing) is not asked
  of a history: the other desk's procedure was followed there.
- `assignee_email` names the agent who had the ticket: they take it at `created_at` as a claim here
  would (the audit trail's `assigned` and new → open, by them).
- `assignee_email` and `author_email` name agents. An unknown e-mail fails the line, except that a
  `public_reply` whose author is the customer (the customer's e-mail, or no author at all) is the
  customer writing. Internal notes need an agent; a status change without an author has none.
- Events are replayed in time order (sorted stably by `at`, so equal times keep the file's order). An
  event before the ticket's `created_at` fails the line. A `status` event moves the ticket to `to`; an
  agent's reply or note may carry `to` as well (the reply and the change in one step).
- The replay runs the ticket services' steps (`stage_ticket`, `reply`, `apply_changes`, `customer_wrote`:
  the code of `open_ticket`, `add_comment`, `update_ticket` and `add_customer_message`, without their
  commits) with `at` set to the historical time, so SLA targets, first response and solve times, and the
  audit trail come out exactly as if the ticket had been worked here. Nobody is notified of
  history (every service is called with `announce=False`, so no signal goes out). Audit events
  of the import's agents' actions carry `actor_kind` "import"; customer messages stay "customer" and
  SLA breaches "system", as the services record them.
  The ticket's `created` event names the agent who ran the import (none from the CLI).
- A target still running when the replay ends but already overdue (a ticket left open in the other
  helpdesk) is recorded breached as of its due time (`sla.record_past_breaches`: `breached_at` and
  the `sla_breached` audit event at the due time, nobody notified), as a breach met during the replay
  is: the periodic SLA check then finds nothing of the history to flag, mail or warn about.
- A line whose `reference` is already an imported ticket's is skipped and counted as `unchanged`:
  importing the same file again writes nothing. A ticket is an imported one when its `created` audit
  event has actor kind "import" (the trail is append-only, so that stays true). A reference held by a
  ticket of this desk that no import created (a live `SB-000001`, a follow-up a replay started) is a
  clash: the line fails on its `reference`. A bad line is counted as `failed`, reported as
  `{"line": <n>, "reference": ..., "errors": {field: [...]}}` (event errors under
  `{"events": {"<index in the file's list>": {...}}}`), and leaves nothing behind: no ticket, comment,
  audit event, SLA target or new customer.

Transactions
------------
Lines are committed in batches (`BATCH_SIZE`), since a commit per line costs a disk flush each on
PostgreSQL. A batch is first tried whole, in one transaction: its lines are checked, its customers found
or added all at once (`customers.find_or_add_customers`, which flushes them), the SLA policies read
once, then every line's ticket and events are built in the session by the services' steps with autoflush
off, and the batch's new objects are written by one flush. The batch's session is an `app.bulk.CopySession`:
on PostgreSQL its flushes write new objects with one COPY per table (the rows the flush would write, ids
drawn from the tables' sequences; the unit of work's INSERTs of some twenty objects per ticket cost as
much as building them), and anything else (changed customers; SQLite) the usual way, with multi-row
INSERTs. Nothing of the tickets is written before that flush, so a line failing in a step is simply left
out: the batch is built again without it (at most `MAX_BATCH_ATTEMPTS` times). A database error (a COPY
the database refuses raises it as a flush would), or a step the batch path leaves to the use cases (a
customer writing on a closed ticket starts a follow-up, named from its id), rolls the batch back and
sends it to the line-by-line replay below, where a bad line loses only itself. Both paths run the same
steps; the tests compare what they write. One difference is deliberate: a batch writes each ticket's
final state in one row, so an imported ticket starts at version 1 whatever its history.

The line-by-line replay calls the use cases themselves (`open_ticket`, then one per event), each of
which commits. A line is several use cases and must land whole or not at all, so the replay runs them
on a session of its own, joined to a connection it controls (SQLAlchemy's "join a session into an
external transaction" recipe, `join_transaction_mode="create_savepoint"`):

    connection:  BEGIN (batch) ── SAVEPOINT (line) ── [services' SAVEPOINT ... RELEASE]* ── RELEASE ──
                 ... next lines ... ── COMMIT (batch, with the import record's counts)

A service's `commit()` then releases its own savepoint inside the line's, and the line's savepoint is
rolled back if anything in the line fails. Nothing is patched: the services run unchanged, on a session
that is put in the app context's `db.session` slot for the duration of a batch and taken out after.
Committed batches stay if the import stops halfway (a crash, a killed job); importing the file again
finishes it, since references already present are skipped.

Large files
-----------
On PostgreSQL a file of more than one batch is shared out among worker processes forked from the
importing one (`TICKET_IMPORT_WORKERS`; by default one per CPU, at most `DEFAULT_WORKERS`), each importing
its share batch by batch as above, on a connection of its own. Lines that could meet go to the same
worker, in file order: lines with the same reference, and lines of the same customer (the e-mail or
phone as the customers room normalizes them, or a customer already owning either). So two workers never
add the same ticket or customer, nor change the same customer, and every line comes out as it would in
one process. The importing process reads the whole file first to share it out, then reports progress
and gathers the report (errors in line order) as the workers' batches land. A worker stopping on an
error stops the import (`ImportWorkerFailed`); committed batches stay, as when one process stops. A
stored import (the API's job) runs in one process, so its record's counts follow its batches.
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Agent
from app.bulk import CopySession
from app.customers import services as customers
from app.customers.models import ContactKind, ContactPoint
from app.dbtypes import utcnow
from app.errors import AppError, Invalid
from app.extensions import db
from app.imports import MAX_REPORTED_ERRORS, BackgroundImport, ImportReport
from app.tickets.history.models import TicketImport
from app.tickets.history.schemas import HistoryLineSchema
from app.tickets.models import (
    ComplaintCategory,
    Priority,
    Queue,
    Severity,
    Status,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketType,
)
from app.tickets.services import tickets
from app.tickets.sla import services as sla

ACTOR_KIND = tickets.IMPORTED
# Lines per transaction: large enough that commits cost little, small enough that a batch holds little
# memory and a stopped import loses little work.
BATCH_SIZE = 500
# Times a batch is staged again without the lines that failed in it, before it is replayed line by line.
MAX_BATCH_ATTEMPTS = 4
# Worker processes of a large import on PostgreSQL (at most one per CPU); `TICKET_IMPORT_WORKERS` sets it.
DEFAULT_WORKERS = 2

_NUL = "Must not contain NUL characters."
_CLASH = "Already the reference of a ticket of this desk, not of an imported one: give the line another."
# Service error keys that the file calls differently.
_LINE_FIELD = {"queue_id": "queue", "assignee_id": "assignee_email"}
_EVENT_FIELD = {"status": "to"}
_CUSTOMER_FIELD = {"emails": "email", "phones": "phone"}
# One instance for every line: a marshmallow schema keeps no state between loads.
_LINE = HistoryLineSchema()

ProgressCallback = Callable[[int, int | None], None]


@dataclass
class HistoryReport(ImportReport):
    """What an import did: lines created, unchanged (reference known) and failed, with the first errors."""

    whole_file: ClassVar[dict[str, Any]] = {"line": 0, "reference": None}

    @property
    def lines(self) -> int:
        return self.created + self.unchanged + self.failed

    def fail(self, line: int, reference: str | None, errors: Mapping[str, Any]) -> None:
        self.add_failure(_plain(errors), line=line, reference=reference)

    def counts(self) -> dict[str, int]:
        return {**super().counts(), "processed_count": self.lines}


class _HistoryImport(BackgroundImport):
    """JSON Lines files uploaded through the API (`TICKET_IMPORT_MAX_BYTES`), imported by a job in one
    process: the record's counts advance with each committed batch."""

    model = TicketImport
    report = HistoryReport
    job = "app.tickets.history.jobs.run_ticket_import"
    # RQ's default (180 s) is far too short for a big file; a stopped job leaves whole batches behind.
    job_timeout = 4 * 3600
    file_type = "JSON Lines"
    suffixes = (".jsonl", ".ndjson")
    max_bytes_setting = "TICKET_IMPORT_MAX_BYTES"

    def check(self, text: str) -> dict[str, Any]:
        line_count = sum(1 for line in _split(text) if line.strip())
        if not line_count:
            raise Invalid(_l("The file is empty."), {"file": [_l("Give one ticket per line.")]})
        return {"line_count": line_count}

    def process(self, record: TicketImport) -> HistoryReport:
        # A run after a dead one carries on after the batches the record counts, with their counts.
        landed = HistoryReport(
            record.created_count, record.unchanged_count, record.failed_count, list(record.errors or ())
        )
        return _import(
            _split(record.content),
            actor_id=record.created_by_id,
            import_id=record.id,
            on_progress=None,
            total=record.line_count,
            landed=landed,
        )


HISTORY_IMPORT = _HistoryImport()


# -- use cases ---------------------------------------------------------------------------------------


def import_ticket_history(
    lines: Iterable[str],
    *,
    actor: Agent | None,
    on_progress: ProgressCallback | None = None,
    total: int | None = None,
) -> HistoryReport:
    """Import tickets from JSON Lines, committing every `BATCH_SIZE` lines; see the module for the format.

    `lines` is the file's lines (a file object will do). After each non-blank line `on_progress(done,
    total)` is called, `total` being whatever the caller passed (the number of non-blank lines, if known).
    A bad line is counted in `failed`, listed in `errors` and leaves nothing behind; the others land.
    """
    return _import(lines, actor_id=_id_of(actor), import_id=None, on_progress=on_progress, total=total)


def create_history_import(*, filename: str, content: bytes, actor: Agent) -> TicketImport:
    """Store an uploaded JSON Lines file and queue its import; 422 for a file that cannot be one.

    The size limit is the `TICKET_IMPORT_MAX_BYTES` setting.
    """
    return HISTORY_IMPORT.create(filename=filename, content=content, actor=actor)


def get_history_import(import_id: int) -> TicketImport:
    """An import with its status, progress, counts and per-line errors."""
    return HISTORY_IMPORT.get(import_id)


def run_history_import(import_id: int) -> TicketImport:
    """Process a stored import (the job). A finished import is left alone, so running it twice is safe.

    Commits `running` first, so whoever polls the import sees it; the counts then advance with each
    committed batch, and the final status lands with the last one's figures.
    """
    return HISTORY_IMPORT.run(import_id)


def max_upload_bytes() -> int:
    """The largest file the API takes (setting `TICKET_IMPORT_MAX_BYTES`)."""
    return HISTORY_IMPORT.max_bytes()


# -- running an import --------------------------------------------------------------------------------


class _LineError(Exception):
    def __init__(self, errors: Mapping[str, Any]):
        super().__init__("line failed")
        self.errors = errors


@dataclass
class _Event:
    index: int  # in the file's list, for error messages
    at: datetime
    kind: str
    author_email: str | None
    body: str | None
    to: str | None


@dataclass
class _Line:
    number: int
    reference: str | None = None
    data: dict[str, Any] | None = None
    events: list[_Event] = field(default_factory=list)
    errors: dict[str, Any] | None = None


@dataclass
class _Batch:
    """What a batch's lines need from the database, read once per batch."""

    agents: dict[str, int]  # e-mail -> id
    queues: dict[str, int]  # lowercased name -> id
    known: set[str]  # references of tickets already imported (or imported by this batch)
    taken: set[str]  # references of tickets no import created: a line naming one clashes


def _import(
    lines: Iterable[str],
    *,
    actor_id: int | None,
    import_id: int | None,
    on_progress: ProgressCallback | None,
    total: int | None,
    landed: HistoryReport | None = None,
) -> HistoryReport:
    """`landed`: what an earlier run of a stored import committed (its record's counts), whose lines
    are skipped; its batches committed lines and counts together, so they are the file's first lines."""
    report = landed or HistoryReport()
    numbered: Iterable[tuple[int, str]] = itertools.islice(_numbered(lines), report.lines, None)
    workers = _worker_count(import_id)
    if workers > 1:
        numbered = list(numbered)
        if len(numbered) > BATCH_SIZE:
            return _import_in_parallel(numbered, workers, actor_id, on_progress, total)
    done = report.lines
    with db.engine.connect() as connection:
        for chunk in _chunks(numbered, BATCH_SIZE):
            parsed = [_parse(number, text) for number, text in chunk]
            _import_chunk(connection, parsed, actor_id, import_id, report)
            for _line in parsed:
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
    return report


def _import_chunk(
    connection: Connection,
    parsed: list[_Line],
    actor_id: int | None,
    import_id: int | None,
    report: HistoryReport,
) -> None:
    with _collecting_garbage_after():
        if not _import_batch(connection, parsed, actor_id, import_id, report):
            _import_line_by_line(connection, parsed, actor_id, import_id, report)


@contextmanager
def _collecting_garbage_after() -> Iterator[None]:
    """Python's cycle collector paused for a batch, then run once on what the batch made.

    A batch makes a few hundred thousand objects, many in reference cycles (an ORM object and its
    state, a ticket and its SLA targets). Left on, the collector goes over them again and again as they
    pile up, a fifth of the import's time; while it is paused they all stay in its youngest
    generation, so one collection of that generation afterwards frees the same cycles.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def _import_line_by_line(
    connection: Connection,
    parsed: list[_Line],
    actor_id: int | None,
    import_id: int | None,
    report: HistoryReport,
) -> None:
    """The batch replayed a line at a time, each in a savepoint, each event a use case of its own."""
    with connection.begin(), _Replayer(connection, actor_id) as replayer:
        batch = _read_batch(replayer.session, parsed)
        for line in parsed:
            replayer.import_line(batch, line, report)
        if import_id is not None:
            _save_progress(replayer.session, import_id, report)
        replayer.session.commit()


# -- batches in worker processes -------------------------------------------------------------------


class ImportWorkerFailed(RuntimeError):
    """A worker process of a parallel import stopped on an error (what it wrote stays, batch by batch)."""


def _worker_count(import_id: int | None) -> int:
    """Worker processes for an import: `TICKET_IMPORT_WORKERS` (default: one per CPU, at most
    `DEFAULT_WORKERS`), on PostgreSQL only. A stored import (the job) stays in one process: its record's
    counts follow its batches one by one."""
    if import_id is not None or db.engine.dialect.name != "postgresql":
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    configured = current_app.config.get("TICKET_IMPORT_WORKERS")
    if configured:
        return max(1, int(configured))
    return min(DEFAULT_WORKERS, os.cpu_count() or 1)


def _import_in_parallel(
    numbered: list[tuple[int, str]],
    workers: int,
    actor_id: int | None,
    on_progress: ProgressCallback | None,
    total: int | None,
) -> HistoryReport:
    """The lines shared out among worker processes, each importing its share batch by batch as `_import`
    does; progress and the report are gathered here as their batches land."""
    app = current_app._get_current_object()
    context = multiprocessing.get_context("fork")
    receivers, processes = [], []
    for share in _shares(numbered, workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_work, args=(app, share, actor_id, sender), daemon=True)
        process.start()
        sender.close()
        receivers.append(receiver)
        processes.append(process)
    report = HistoryReport()
    # Each worker's errors come in line order: its first ones are all the report may need of them.
    errors: dict[Any, list[dict[str, Any]]] = {receiver: [] for receiver in receivers}
    done = 0
    try:
        waiting = set(receivers)
        while waiting:
            for receiver in multiprocessing.connection.wait(list(waiting)):
                try:
                    message = receiver.recv()
                except EOFError:
                    waiting.discard(receiver)
                    continue
                if message[0] == "failed":
                    raise ImportWorkerFailed(message[1])
                _, lines, created, unchanged, failed, batch_errors = message
                report.created += created
                report.unchanged += unchanged
                report.failed += failed
                kept = errors[receiver]
                kept.extend(batch_errors[: MAX_REPORTED_ERRORS - len(kept)])
                for _line in range(lines):
                    done += 1
                    if on_progress is not None:
                        on_progress(done, total)
    finally:
        for process in processes:
            if process.is_alive() and done < len(numbered):
                process.terminate()
            process.join()
    if done < len(numbered):
        raise ImportWorkerFailed("An import worker stopped before its last batch.")
    merged = sorted((error for kept in errors.values() for error in kept), key=lambda error: error["line"])
    report.errors = merged[:MAX_REPORTED_ERRORS]
    return report


def _work(app: Any, numbered: list[tuple[int, str]], actor_id: int | None, sender: Any) -> None:
    """A worker process: its share of the lines, batch by batch, each batch's outcome sent back."""
    try:
        with app.app_context():
            # The pool's connections belong to the parent process: this one opens its own.
            db.engine.dispose(close=False)
            with db.engine.connect() as connection:
                for chunk in _chunks(numbered, BATCH_SIZE):
                    parsed = [_parse(number, text) for number, text in chunk]
                    tally = HistoryReport()
                    _import_chunk(connection, parsed, actor_id, None, tally)
                    sender.send(
                        ("batch", len(chunk), tally.created, tally.unchanged, tally.failed, tally.errors)
                    )
    except BaseException as error:
        sender.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    finally:
        sender.close()


def _shares(numbered: list[tuple[int, str]], workers: int) -> list[list[tuple[int, str]]]:
    """The lines shared out, in file order, so that lines that could meet go to the same worker: the
    same reference (the first lands, the next is unchanged), or the same customer, found by e-mail or
    phone as the customers room normalizes them, or by a customer already owning either. Two workers
    then never add the same customer or reference, nor change the same customer."""
    groups = _Groups()
    keys_of: list[list[tuple[str, Any]]] = []
    contacts: dict[str, set[str]] = {}
    for _number, text in numbered:
        keys = _meeting_keys(text)
        keys_of.append(keys)
        groups.join(keys)
        for kind, value in keys:
            if kind != "reference":
                contacts.setdefault(kind, set()).add(value)
    for kind, value, customer_id in _owners(contacts):
        groups.join([(kind, value), ("customer", customer_id)])
    shares: list[list[tuple[int, str]]] = [[] for _ in range(workers)]
    worker_of: dict[Any, int] = {}
    for line, keys in zip(numbered, keys_of, strict=True):
        group = groups.find(keys[0]) if keys else None
        worker = worker_of.get(group) if group is not None else None
        if worker is None:
            worker = min(range(workers), key=lambda n: len(shares[n]))
            if group is not None:
                worker_of[group] = worker
        shares[worker].append(line)
    return [share for share in shares if share]


def _meeting_keys(text: str) -> list[tuple[str, Any]]:
    """A line's reference and its customer's normalized e-mail and phone, as far as the line has them
    (a line without them fails on its own, whichever worker it goes to)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    keys: list[tuple[str, Any]] = []
    reference = data.get("reference")
    if isinstance(reference, int | str) and not isinstance(reference, bool):
        keys.append(("reference", str(reference).strip()))
    customer = data.get("customer")
    if isinstance(customer, dict):
        for kind, normalize in ((ContactKind.EMAIL, _normal_email), (ContactKind.PHONE, _normal_phone)):
            raw = customer.get(kind.value)
            if isinstance(raw, str) and raw.strip():
                keys.append((kind.value, normalize(raw.strip())))
    return keys


@functools.lru_cache(maxsize=65536)
def _normal_email(raw: str) -> str:
    try:
        return customers.normalize_email(raw)
    except Invalid:
        return raw  # the line fails on it and adds no customer


@functools.lru_cache(maxsize=65536)
def _normal_phone(raw: str) -> str:
    try:
        return customers.normalize_phone(raw)
    except Invalid:
        return raw


def _owners(contacts: Mapping[str, set[str]]) -> Iterator[tuple[str, str, int]]:
    """Customers already owning these contact points (live or not), a chunk of values per query."""
    with db.engine.connect() as connection:
        for kind, values in contacts.items():
            ordered = sorted(values)
            for start in range(0, len(ordered), 5000):
                query = select(ContactPoint.kind, ContactPoint.value, ContactPoint.customer_id).where(
                    ContactPoint.kind == kind, ContactPoint.value.in_(ordered[start : start + 5000])
                )
                yield from connection.execute(query)


class _Groups:
    """Union-find: keys met on one line belong together, and so do the lines holding them."""

    def __init__(self) -> None:
        self._parent: dict[Any, Any] = {}

    def find(self, key: Any) -> Any:
        parent = self._parent.setdefault(key, key)
        while parent != key:
            grandparent = self._parent[parent]
            self._parent[key] = grandparent
            key, parent = parent, grandparent
        return key

    def join(self, keys: list[Any]) -> None:
        if keys:
            root = self.find(keys[0])
            for key in keys[1:]:
                other = self.find(key)
                if other != root:
                    self._parent[other] = root


# -- a batch at once ------------------------------------------------------------------------------------


class _LineFailed(Exception):
    """A line of a batch failed after others had been staged: the batch is staged again without it."""

    def __init__(self, number: int, errors: Mapping[str, Any]):
        super().__init__(f"line {number} failed")
        self.number = number
        self.errors = errors


class _LineByLine(Exception):
    """Something the batch path leaves to the line-by-line replay (a message on a closed ticket)."""


def _import_batch(
    connection: Connection,
    parsed: list[_Line],
    actor_id: int | None,
    import_id: int | None,
    report: HistoryReport,
) -> bool:
    """Import a batch in one transaction with one write: every line's ticket, conversation, audit
    events and SLA targets are built in the session by the ticket services' steps (the same code as
    the use cases, without their commits), then written together (one COPY per table on PostgreSQL).

    A line that fails is recorded and the batch is staged again without it (a line that fails leaves
    nothing behind, as in the line-by-line replay). Returns False, having written nothing, when the
    batch must be replayed line by line instead: a database error, more failing lines than
    `MAX_BATCH_ATTEMPTS`, or a step the batch path leaves to the services' use cases.
    """
    failures: dict[int, Mapping[str, Any]] = {}
    for _attempt in range(MAX_BATCH_ATTEMPTS):
        tally = HistoryReport(report.created, report.unchanged, report.failed, list(report.errors))
        transaction = connection.begin()
        try:
            with _Replayer(connection, actor_id, session_class=CopySession) as replayer:
                _stage_batch(replayer, parsed, failures, tally)
                if import_id is not None:
                    _save_progress(replayer.session, import_id, tally)
                replayer.session.commit()
        except _LineFailed as failed:
            transaction.rollback()
            failures[failed.number] = failed.errors
            continue
        except (_LineByLine, IntegrityError, DataError):
            transaction.rollback()
            return False
        except BaseException:
            transaction.rollback()
            raise
        transaction.commit()
        report.created, report.unchanged, report.failed = tally.created, tally.unchanged, tally.failed
        report.errors = tally.errors
        return True
    return False


def _stage_batch(
    replayer: _Replayer, parsed: list[_Line], failures: Mapping[int, Mapping[str, Any]], tally: HistoryReport
) -> None:
    session = replayer.session
    batch = _read_batch(session, parsed)
    sla.read_policies_once()
    planned: list[tuple[_Line, _Plan]] = []
    for line in parsed:
        plan = _triage(line, batch, tally, failed=failures.get(line.number))
        if plan is None:
            continue
        batch.known.add(line.reference)
        planned.append((line, plan))
        tally.created += 1
    replayer.hold(Agent, [replayer.actor_id, *batch.agents.values()])
    replayer.hold(Queue, batch.queues.values())
    actor = replayer.get(Agent, replayer.actor_id)
    # Customers first, all at once: finding or adding them reads (and flushes) the customers room's tables.
    owners = tickets.customers_for((_customer_details(line.data) for line, _ in planned), actor)
    for (line, _), owner in zip(planned, owners, strict=True):
        if isinstance(owner, AppError):
            raise _LineFailed(line.number, _opening_errors(owner))
    with session.no_autoflush:
        for (line, plan), owner in zip(planned, owners, strict=True):
            _stage_line(line, plan, owner.id, actor, replayer)
    session.flush()


def _stage_line(line: _Line, plan: _Plan, customer_id: int, actor: Agent | None, replayer: _Replayer) -> None:
    replayer.get(Queue, plan.queue_id)
    replayer.get(Agent, plan.assignee_id)
    try:
        ticket = tickets.stage_ticket(customer_id=customer_id, **_opening(line, plan, actor))
        if plan.assignee_id is not None:
            assignee = replayer.get(Agent, plan.assignee_id)
            tickets.apply_changes(
                tickets.Change(ticket, assignee), {"assignee_id": assignee.id}, **_claimed(line, assignee)
            )
    except AppError as error:
        raise _LineFailed(line.number, _opening_errors(error)) from error
    for event in line.events:
        author = replayer.get(Agent, plan.authors[event.index])
        change = tickets.Change(ticket, author)
        try:
            if event.kind == "status":
                tickets.apply_changes(
                    change, {"status": event.to}, actor=author, actor_kind=ACTOR_KIND, at=event.at
                )
            elif author is not None:
                tickets.reply(
                    change,
                    body=event.body or "",
                    public=event.kind == "public_reply",
                    status=event.to,
                    actor_kind=ACTOR_KIND,
                    at=event.at,
                )
            elif ticket.status == Status.CLOSED:
                # The message starts a follow-up ticket, named from its id: the use case does that.
                raise _LineByLine()
            else:
                tickets.customer_wrote(change, body=event.body or "", at=event.at)
        except AppError as error:
            raise _LineFailed(line.number, {"events": {str(event.index): _event_errors(error)}}) from error
    sla.record_past_breaches(ticket, utcnow())


class _Replayer:
    """Replays one batch's lines on a session joined to the batch's transaction, serving as `db.session`.

    The session's transactions are savepoints (`join_transaction_mode="create_savepoint"`), so a
    service's `commit()` ends its own step, inside the line's savepoint, and not the batch. Objects are
    not expired on those commits: they end no transaction anyone else could see into, and reloading
    every object after each step would double the import's queries. The agents and queues the lines
    use are held here, since the session's identity map only keeps objects someone refers to. A batch
    runs on an `app.bulk.CopySession` (its flushes write new rows with COPY on PostgreSQL); the
    line-by-line replay on a plain one, as the use cases run anywhere else.
    """

    def __init__(
        self, connection: Connection, actor_id: int | None, *, session_class: type[Session] = Session
    ):
        self.connection = connection
        self.actor_id = actor_id
        self.session_class = session_class
        self.session: Session | None = None
        self._held: dict[tuple[type, int], Any] = {}
        self._previous: Any = None

    def __enter__(self) -> _Replayer:
        registry = db.session.registry
        self._previous = registry() if registry.has() else None
        self._open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.close()
        registry = db.session.registry
        if self._previous is None:
            registry.clear()
        else:
            registry.set(self._previous)

    def _open(self) -> None:
        self.session = self.session_class(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        db.session.registry.set(self.session)
        self._held = {}

    def _renew(self) -> None:
        """A fresh session after a failed line: the rolled-back steps' objects are gone from the
        database, and the old session would still hand them out (ids may even be reused)."""
        self.session.close()
        self._open()

    def get(self, model: type, object_id: int | None) -> Any:
        if object_id is None:
            return None
        key = (model, object_id)
        if key not in self._held:
            self._held[key] = self.session.get(model, object_id)
        return self._held[key]

    def hold(self, model: type, object_ids: Iterable[int | None]) -> None:
        """Load these objects in one query (for `get`)."""
        wanted = {i for i in object_ids if i is not None and (model, i) not in self._held}
        if wanted:
            for found in self.session.scalars(select(model).where(model.id.in_(wanted))):
                self._held[model, found.id] = found

    def import_line(self, batch: _Batch, line: _Line, report: HistoryReport) -> None:
        plan = _triage(line, batch, report)
        if plan is None:
            return
        # The session's steps must nest inside the line's savepoint: end whatever it has open (reads).
        if self.session.in_transaction():
            self.session.commit()
        savepoint = self.connection.begin_nested()
        try:
            _replay(plan, line, self)
            self.session.commit()
        except (_LineError, AppError, IntegrityError, DataError) as error:
            # The session's step first (it may hold a failed flush), then everything the line released.
            self.session.rollback()
            savepoint.rollback()
            self._renew()
            report.fail(line.number, line.reference, _line_errors(error))
            return
        except BaseException:
            self.session.rollback()
            savepoint.rollback()
            raise
        savepoint.commit()
        batch.known.add(line.reference)
        report.created += 1


def _read_batch(session: Session, parsed: list[_Line]) -> _Batch:
    references = [line.reference for line in parsed if line.errors is None]
    emails = {
        email
        for line in parsed
        if line.errors is None
        for email in (line.data.get("assignee_email"), *(e.author_email for e in line.events))
        if email
    }
    agents = {}
    if emails:
        agents = dict(session.execute(select(Agent.email, Agent.id).where(Agent.email.in_(emails))).all())
    queues = {name.lower(): queue_id for name, queue_id in session.execute(select(Queue.name, Queue.id))}
    known: set[str] = set()
    taken: set[str] = set()
    if references:
        # Two index lookups, not one join: the planner may otherwise scan the whole audit trail per batch.
        query = select(Ticket.id, Ticket.reference).where(Ticket.reference.in_(references))
        held: dict[int, str] = {ticket_id: reference for ticket_id, reference in session.execute(query)}
        imported = set()
        if held:
            imported = set(
                session.scalars(
                    select(TicketEvent.ticket_id).where(
                        TicketEvent.ticket_id.in_(list(held)),
                        TicketEvent.kind == "created",
                        TicketEvent.actor_kind == ACTOR_KIND,
                    )
                )
            )
        for ticket_id, reference in held.items():
            (known if ticket_id in imported else taken).add(reference)
    return _Batch(agents=agents, queues=queues, known=known, taken=taken)


def _save_progress(session: Session, import_id: int, report: HistoryReport) -> None:
    """The record's counts, in the batch's own transaction: they say exactly what has landed."""
    session.execute(
        update(TicketImport)
        .where(TicketImport.id == import_id)
        .values(**report.counts(), errors=report.errors)
    )


# -- one line -----------------------------------------------------------------------------------------


@dataclass
class _Plan:
    queue_id: int | None
    assignee_id: int | None
    authors: dict[int, int | None]  # event index -> agent id (None: the customer, or nobody)


def _triage(
    line: _Line, batch: _Batch, report: HistoryReport, *, failed: Mapping[str, Any] | None = None
) -> _Plan | None:
    """What importing a line takes, or None once the line is counted: failed (a bad line, `failed` in
    an earlier attempt at its batch, or a reference of a ticket no import created) or unchanged (its
    reference is an imported ticket's)."""
    errors = line.errors if line.errors is not None else failed
    if errors is not None:
        report.fail(line.number, line.reference, errors)
        return None
    if line.reference in batch.known:
        report.unchanged += 1
        return None
    if line.reference in batch.taken:
        report.fail(line.number, line.reference, {"reference": [_CLASH]})
        return None
    try:
        return _plan(line, batch)
    except _LineError as error:
        report.fail(line.number, line.reference, error.errors)
        return None


def _plan(line: _Line, batch: _Batch) -> _Plan:
    """Resolve names to ids and check what needs the database but writes nothing."""
    data = line.data
    errors: dict[str, Any] = {}
    queue_id = None
    if data.get("queue"):
        queue_id = batch.queues.get(data["queue"].strip().lower())
        if queue_id is None:
            errors["queue"] = [f"No queue named {data['queue']}."]
    assignee_id = None
    if data.get("assignee_email"):
        assignee_id = batch.agents.get(data["assignee_email"])
        if assignee_id is None:
            errors["assignee_email"] = [f"No agent with the e-mail {data['assignee_email']}."]
    customer_email = (data["customer"].get("email") or "").strip().lower()
    authors: dict[int, int | None] = {}
    event_errors: dict[str, Any] = {}
    for event in line.events:
        problems: dict[str, list[str]] = {}
        author = batch.agents.get(event.author_email) if event.author_email else None
        by_customer = event.kind == "public_reply" and author is None
        if by_customer and event.author_email and event.author_email != customer_email:
            problems["author_email"] = [f"No agent or customer with the e-mail {event.author_email}."]
        elif event.author_email and author is None and event.kind != "public_reply":
            problems["author_email"] = [f"No agent with the e-mail {event.author_email}."]
        elif event.kind == "internal_note" and author is None:
            problems["author_email"] = ["An internal note needs its agent's e-mail."]
        elif by_customer and event.to is not None:
            problems["to"] = ["A customer's message changes no status; give the change its own event."]
        if event.at < data["created_at"]:
            problems["at"] = ["Before the ticket's created_at."]
        if problems:
            event_errors[str(event.index)] = problems
        authors[event.index] = author
    if event_errors:
        errors["events"] = event_errors
    if errors:
        raise _LineError(errors)
    return _Plan(queue_id=queue_id, assignee_id=assignee_id, authors=authors)


def _replay(plan: _Plan, line: _Line, replayer: _Replayer) -> None:
    data = line.data
    # Loaded (and held) before the services look them up by id: then they find them in the session.
    actor = replayer.get(Agent, replayer.actor_id)
    replayer.get(Queue, plan.queue_id)
    replayer.get(Agent, plan.assignee_id)
    try:
        ticket = tickets.open_ticket(
            customer=_customer_details(data), announce=False, **_opening(line, plan, actor)
        )
        if plan.assignee_id is not None:
            assignee = replayer.get(Agent, plan.assignee_id)
            tickets.update_ticket(
                ticket.id,
                {"assignee_id": assignee.id},
                expected_version=ticket.version,
                announce=False,
                **_claimed(line, assignee),
            )
    except AppError as error:
        raise _LineError(_opening_errors(error)) from error
    # The tickets the history wrote: the line's, and a follow-up its customer started after a close.
    written = {ticket.id: ticket}
    for event in line.events:
        author = replayer.get(Agent, plan.authors[event.index])
        try:
            on = _replay_event(ticket, event, author)
        except AppError as error:
            raise _LineError({"events": {str(event.index): _event_errors(error)}}) from error
        written.setdefault(on.id, on)
    now = utcnow()
    for replayed in written.values():
        sla.record_past_breaches(replayed, now)


def _opening(line: _Line, plan: _Plan, actor: Agent | None) -> dict[str, Any]:
    """`stage_ticket`'s arguments for a line, but its customer. The assignee takes the new ticket
    afterwards (`_claimed`), as a claim here would have."""
    data = line.data
    ticket_type = data.get("type") or TicketType.QUESTION
    return {
        "subject": data["subject"],
        "description": data.get("description") or "",
        "type": ticket_type,
        "priority": data.get("priority") or Priority.NORMAL,
        "channel": data.get("channel") or TicketChannel.API,
        "queue_id": plan.queue_id,
        "tags": data.get("tags") or (),
        "complaint": _complaint(data.get("complaint"))
        if ticket_type == TicketType.COMPLAINT
        else data.get("complaint"),
        "reference": line.reference,
        "actor": actor,
        "actor_kind": ACTOR_KIND,
        "at": data["created_at"],
    }


def _complaint(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """A complaint's details, the other desk's where it kept them: category `other` and severity
    `medium` where it did not. Its stage follows its status as the replay moves it (received until
    solved, then resolved)."""
    given = {name: value for name, value in (details or {}).items() if value is not None}
    return {"category": ComplaintCategory.OTHER.value, "severity": Severity.MEDIUM.value, **given}


def _claimed(line: _Line, assignee: Agent) -> dict[str, Any]:
    """The assignee taking the ticket when it was created, as a claim records it: `assigned`, and
    new → open, by the assignee."""
    return {"actor": assignee, "actor_kind": ACTOR_KIND, "at": line.data["created_at"]}


def _customer_details(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data["customer"].items() if v}


def _opening_errors(error: AppError) -> dict[str, Any]:
    errors = _renamed(error.errors, _LINE_FIELD) or {"line": [error.message]}
    if isinstance(errors.get("customer"), Mapping):
        errors["customer"] = _customer_errors(errors["customer"])
    return errors


def _event_errors(error: AppError) -> dict[str, Any]:
    return _renamed(error.errors, _EVENT_FIELD) or {"event": [error.message]}


def _replay_event(ticket: Ticket, event: _Event, author: Agent | None) -> Ticket:
    """Replay one event through its use case; returns the ticket it went to (a customer's message on a
    closed ticket goes to its follow-up)."""
    if event.kind == "status":
        tickets.update_ticket(
            ticket.id,
            {"status": event.to},
            expected_version=ticket.version,
            actor=author,
            actor_kind=ACTOR_KIND,
            at=event.at,
            announce=False,
        )
    elif author is not None:
        tickets.add_comment(
            ticket.id,
            body=event.body or "",
            public=event.kind == "public_reply",
            status=event.to,
            actor=author,
            actor_kind=ACTOR_KIND,
            at=event.at,
            announce=False,
        )
    else:
        comment = tickets.add_customer_message(ticket.id, body=event.body or "", at=event.at, announce=False)
        return comment.ticket
    return ticket


def _line_errors(error: BaseException) -> Mapping[str, Any]:
    if isinstance(error, _LineError):
        return error.errors
    if isinstance(error, AppError):
        return error.errors or {"line": [error.message]}
    if isinstance(error, IntegrityError):
        return {"line": ["Conflicts with data written at the same time; import the line again."]}
    return {"line": ["A value is too long or out of range for the database."]}


def _customer_errors(errors: Mapping[str, Any]) -> dict[str, Any]:
    """The customers room speaks of lists (`emails: {"0": [...]}`); the line has one e-mail and phone."""
    result = {}
    for key, messages in errors.items():
        if isinstance(messages, Mapping) and set(messages) <= {0, "0"}:
            messages = next(iter(messages.values()))
        result[_CUSTOMER_FIELD.get(key, key)] = messages
    return result


def _renamed(errors: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(key, key): value for key, value in errors.items()}


# -- reading and checking a line ---------------------------------------------------------------------


def _parse(number: int, text: str) -> _Line:
    """Read a line and check its shape and values with `HistoryLineSchema` (no database needed); a bad
    line comes back with its errors, as the API words them."""
    line = _Line(number=number)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        line.errors = {"line": [f"Not valid JSON: {error.msg} (column {error.colno})."]}
        return line
    except RecursionError:
        line.errors = {"line": ["Not valid JSON: nested too deeply."]}
        return line
    if not isinstance(data, dict):
        line.errors = {"line": ["Must be a JSON object (one ticket per line)."]}
        return line
    if "\\u0000" in text and _has_nul(data):
        line.errors = {"line": [_NUL]}
        return line
    try:
        loaded = _LINE.load(data)
    except ValidationError as error:
        line.reference = error.valid_data.get("reference") or None
        line.errors = error.messages
        return line
    line.reference = loaded["reference"]
    line.data = loaded
    # In time order: a stable sort, so equal times keep the file's order.
    line.events = sorted(
        (
            _Event(
                index=index,
                at=event["at"],
                kind=event["kind"],
                author_email=event.get("author_email"),
                body=event.get("body"),
                to=event.get("to"),
            )
            for index, event in enumerate(loaded.get("events") or ())
        ),
        key=lambda event: event.at,
    )
    return line


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


# -- plumbing -----------------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    # Only "\n" ends a line: str.splitlines() would also split at U+2028, which JSON strings may hold.
    return text.split("\n")


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers in the file (a BOM on the first is dropped)."""
    for number, text in enumerate(lines, start=1):
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            yield number, text


def _chunks(items: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _plain(value: Any) -> Any:
    """Errors as they read back from a JSON column (string keys), so the report and the record agree."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _id_of(actor: Agent | None) -> int | None:
    return actor.id if actor is not None else None
