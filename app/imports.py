"""Background imports: a file uploaded through the API, kept with its outcome, processed by a job.

Every import of the desk (customers from CSV, another helpdesk's tickets from JSON Lines, ...) lives
the same way:

    upload ─► record `queued` (the file's text kept in it) ─► job ─► `running` ─► `done` | `failed`

A room declares its import once, with three pieces:

- its record, a model mixing in `ImportRecord` (the columns every import has) and adding its own
  counts (`updated_count`, `line_count`, ...);
- its report, an `ImportReport` with those counts and the place of a failure in its files (`row`,
  `line` and `reference`, ...);
- a `BackgroundImport` naming the record, the report, the room's job and the files it takes, with the
  two steps only the room knows: checking an upload's text, and processing a stored record.

What they share is done here: the upload's checks (file name, size, UTF-8, NUL characters), storing
the record and enqueueing the job, reading a record back (404 for any id that names none), and running
it once: a finished import is left alone, so running its job again is harmless. The JSON of a record
is `ImportRecordSchema`'s, which a room's schema extends with its counts and its errors' shape.

A run survives its worker's death. A job claims its record by a conditional UPDATE (`queued`, or
`running` but silent for `MISSED_HEARTBEATS` beats), so two jobs never run one import at once; while it
runs, a thread stamps the record's `heartbeat_at` every `IMPORT_HEARTBEAT_SECONDS`. The periodic import
sweep (`sweep_imports`) hands a worker every record whose job was lost (still `queued`: Redis was down
at the upload, or lost the job) or whose worker died (`running`, silent), and fails one that has had
`IMPORT_MAX_ATTEMPTS` runs (it keeps killing its worker). A run taking over keeps what the dead one
committed: an import that commits once starts over, one that commits batches (the ticket history)
carries on after the last batch its record counts.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import click
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from rq.job import Job
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.errors import AppError, Invalid, in_english
from app.extensions import db
from app.queue import book_next_slot, enqueue, register_periodic
from app.records import get_or_404

log = logging.getLogger(__name__)

# Failures kept in a record and a report; the counts stay exact beyond them.
MAX_REPORTED_ERRORS = 1000
STOPPED = "The import stopped on an internal error."
GAVE_UP = "The import stopped its worker each time it ran; it was given up."
# Heartbeats a running import may miss before it counts as stopped: a beat waits while a batch holds
# the record's row, so a few are allowed.
MISSED_HEARTBEATS = 6


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# `running` again: the job is run anew after its worker died halfway (committed work is kept, and an
# import skips what it has already written); `BackgroundImport.claim` makes these two moves.
_NEXT = {
    ImportStatus.QUEUED: {ImportStatus.RUNNING},
    ImportStatus.RUNNING: {ImportStatus.RUNNING, ImportStatus.DONE, ImportStatus.FAILED},
    ImportStatus.DONE: set(),
    ImportStatus.FAILED: set(),
}


class ImportStateError(RuntimeError):
    """A record asked to move to a state it cannot reach from its own (a finished import is final)."""


@dataclass
class ImportReport:
    """What a run has done so far: items created, left unchanged and failed, and the first failures.

    A room's report adds its own counts (and `counts()` names their columns) and says where a failure
    of the file as a whole is reported (`whole_file`: `{"row": 0}`, `{"line": 0, "reference": None}`).
    """

    created: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    whole_file: ClassVar[dict[str, Any]] = {}

    def add_failure(self, errors: Any, **place: Any) -> None:
        """Count a failed item; the first `MAX_REPORTED_ERRORS` are kept as `{**place, "errors": errors}`."""
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            # Stored in the record and read through the API: in English, as the API speaks.
            self.errors.append({**place, "errors": in_english(errors)})

    def counts(self) -> dict[str, int]:
        """The record's count columns, as this report fills them."""
        return {
            "created_count": self.created,
            "unchanged_count": self.unchanged,
            "failed_count": self.failed,
        }


class ImportRecord:
    """The columns and states of every import's record; a room's model mixes it in (with `db.Model`)
    and adds its own counts. `created_by` is the agent who uploaded the file (the accounts room's
    table, which every room may point at)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.QUEUED)
    content: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{<place>..., "errors": {field: [...]}}], the first MAX_REPORTED_ERRORS failures.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the running import last said it was alive (or the sweep last queued a queued one again).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Runs so far: each claim counts one.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @declared_attr
    def created_by(cls) -> Mapped[Any]:
        return relationship("Agent")

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    def record_progress(self, report: ImportReport) -> None:
        for column, value in report.counts().items():
            setattr(self, column, value)
        self.errors = list(report.errors)

    def finish(self, report: ImportReport) -> None:
        """`done`, with the run's counts and failures."""
        self._move(ImportStatus.DONE)
        self.record_progress(report)
        self.finished_at = utcnow()

    def fail(self, failure: dict[str, Any]) -> None:
        """`failed`: the file could not be imported (or the run stopped); the counts of what had
        landed stay, the errors are this one failure."""
        self._move(ImportStatus.FAILED)
        self.errors = [in_english(failure)]
        self.finished_at = utcnow()

    def _move(self, status: ImportStatus) -> None:
        current = ImportStatus(self.status or ImportStatus.QUEUED)
        if status not in _NEXT[current]:
            raise ImportStateError(f"An import {current} cannot become {status}.")
        self.status = status


class BackgroundImport:
    """One kind of import, as its room declares it: the record and report classes, the job, the files
    it takes, and the two steps only the room knows (`check`, `process`).

    `job` is the dotted path of the room's job, called with a record's id (services may not import
    their room's jobs module, which imports them). `job_timeout` is RQ's, in seconds (its default
    without one).
    """

    model: type[ImportRecord]
    report: type[ImportReport]
    job: str
    job_timeout: int | None = None
    file_type: str  # in messages about the file: "CSV", "JSON Lines"
    suffixes: tuple[str, ...]
    max_bytes_setting: str  # the setting that limits an upload's size, in bytes

    def check(self, text: str) -> dict[str, Any]:
        """An upload's text checked as a whole: the record's own columns for it (such as the number of
        lines), or `Invalid` for a file that cannot be imported."""
        return {}

    def process(self, record: Any) -> ImportReport:
        """Import a stored record's content, committing as the room's import does; its report.

        A run after a dead one finds the record as that one left it: an import that commits batches
        carries on after what the record counts (and keeps those counts)."""
        raise NotImplementedError

    def max_bytes(self) -> int:
        return int(current_app.config[self.max_bytes_setting])

    def create(self, *, filename: str, content: bytes, actor: Any) -> Any:
        """Store an uploaded file and queue its import; `Invalid` (422) for a file that cannot be one."""
        filename = os.path.basename(filename.replace("\\", "/")).replace("\x00", "").strip()
        if not filename.lower().endswith(self.suffixes):
            raise Invalid(
                _l("Upload a %(file_type)s file.", file_type=self.file_type),
                {
                    "file": [
                        _l("The file name must end in %(suffixes)s.", suffixes=" or ".join(self.suffixes))
                    ]
                },
            )
        limit = self.max_bytes()
        if len(content) > limit:
            raise Invalid(
                _l("The file is too large."), {"file": [_l("At most %(limit)s bytes.", limit=limit)]}
            )
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(
                _l("The file is not UTF-8 text."),
                {"file": [_l("Save the file as UTF-8 %(file_type)s.", file_type=self.file_type)]},
            ) from exc
        if "\x00" in text:
            # No text format holds a raw NUL, and PostgreSQL cannot store one in the record.
            raise Invalid(
                _l("The file is not a %(file_type)s text file.", file_type=self.file_type),
                {"file": [_l("It contains NUL characters.")]},
            )
        columns = self.check(text)
        record = self.model(
            filename=filename[:255],
            content=text,
            created_by_id=actor.id,
            status=ImportStatus.QUEUED,
            **columns,
        )
        db.session.add(record)
        db.session.commit()
        try:
            enqueue(self.job, record.id, job_timeout=self.job_timeout)
        except Exception:
            # The record is safe in the database: the import sweep enqueues it once Redis is back.
            log.exception(
                "Could not enqueue import %s %s; the import sweep will", self.model.__name__, record.id
            )
        return record

    def get(self, import_id: int) -> Any:
        """A record with its status, counts and errors; 404 for an id that names none."""
        return get_or_404(self.model, import_id, what=_l("Import"))

    def run(self, import_id: int) -> Any:
        """Process a stored import (the job). A finished import, or one another job is running, is left
        alone, so running the job twice is safe.

        Claims the record first (committing `running`, so whoever polls the record sees it) and commits
        the outcome last. An `AppError` from `process` refuses the file as a whole (`failed`, its
        messages under the report's `whole_file` place); any other error fails the record and is raised
        again for the job's log. What `process` committed meanwhile stays, and so do the counts it wrote.
        """
        record = self.claim(import_id)
        if record is None:
            return self.get(import_id)
        try:
            with self._alive(import_id):
                report = self.process(record)
        except AppError as error:
            db.session.rollback()
            record.fail({**self.report.whole_file, "errors": error.errors or {"file": [error.message]}})
        except Exception:
            db.session.rollback()
            record.fail({**self.report.whole_file, "errors": {"file": [STOPPED]}})
            db.session.commit()
            raise
        else:
            # `process` may have written progress through a connection of its own: read it back first.
            db.session.refresh(record)
            record.finish(report)
        db.session.commit()
        return record

    def claim(self, import_id: int) -> Any:
        """The record, now `running` for this run alone; None when it is finished, another run is alive
        on it, or it has had its `IMPORT_MAX_ATTEMPTS` runs. One conditional UPDATE: of two jobs claiming
        at once, one wins."""
        model, now = self.model, utcnow()
        claimed = db.session.execute(
            update(model)
            .where(
                model.id == import_id,
                model.attempts < _max_attempts(),
                or_(model.status == ImportStatus.QUEUED, _silent(model, now)),
            )
            .values(
                status=ImportStatus.RUNNING,
                heartbeat_at=now,
                attempts=model.attempts + 1,
                started_at=func.coalesce(model.started_at, now),
                finished_at=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            return None
        record = self.get(import_id)
        db.session.refresh(record)
        return record

    @contextmanager
    def _alive(self, import_id: int) -> Iterator[None]:
        """Stamp the record's `heartbeat_at` from a thread of its own while the block runs.

        Not on SQLite: its one writer at a time would hold the stamp up behind the import's own
        transaction, and embedded mode's single worker thread never runs a sweep beside an import."""
        if db.engine.dialect.name == "sqlite":
            yield
            return
        app = current_app._get_current_object()
        stop = threading.Event()
        beating = threading.Thread(
            target=self._beat, args=(app, import_id, stop), name="import-heartbeat", daemon=True
        )
        beating.start()
        try:
            yield
        finally:
            stop.set()
            beating.join()

    def _beat(self, app: Flask, import_id: int, stop: threading.Event) -> None:
        model = self.model
        with app.app_context():
            while not stop.wait(_heartbeat_seconds()):
                try:
                    with db.engine.begin() as connection:
                        connection.execute(
                            update(model)
                            .where(model.id == import_id, model.status == ImportStatus.RUNNING)
                            .values(heartbeat_at=utcnow())
                        )
                except SQLAlchemyError as error:
                    log.warning("Heartbeat of import %s %s failed: %s", model.__name__, import_id, error)

    def sweep(self, now: datetime | None = None) -> int:
        """Enqueue this kind's records whose job was lost or whose worker died, and fail those that have
        had all their runs; returns how many were enqueued."""
        model, now = self.model, now or utcnow()
        stale = or_(
            and_(
                model.status == ImportStatus.QUEUED,
                func.coalesce(model.heartbeat_at, model.created_at) < now - _silence(),
            ),
            _silent(model, now),
        )
        records = list(db.session.scalars(select(model).where(stale).order_by(model.id).limit(100)))
        enqueued = 0
        for record in records:
            if record.attempts >= _max_attempts():
                record.fail({**self.report.whole_file, "errors": {"file": [GAVE_UP]}})
                db.session.commit()
                log.warning("Import %s %s given up after %s runs", model.__name__, record.id, record.attempts)
                continue
            if record.status == ImportStatus.QUEUED:
                # Queued again no sooner than a silence from now, however long the queue.
                record.heartbeat_at = now
            db.session.commit()
            enqueue(self.job, record.id, job_timeout=self.job_timeout)
            enqueued += 1
        return enqueued


def _heartbeat_seconds() -> int:
    return int(current_app.config["IMPORT_HEARTBEAT_SECONDS"])


def _silence() -> timedelta:
    return timedelta(seconds=_heartbeat_seconds() * MISSED_HEARTBEATS)


def _max_attempts() -> int:
    return int(current_app.config["IMPORT_MAX_ATTEMPTS"])


def _silent(model: type[ImportRecord], now: datetime) -> Any:
    """A running record whose run has stopped saying it is alive (its worker died)."""
    return and_(
        model.status == ImportStatus.RUNNING,
        or_(model.heartbeat_at.is_(None), model.heartbeat_at < now - _silence()),
    )


# -- the sweep -------------------------------------------------------------------------------------------


def register(app: Flask, kind: BackgroundImport) -> None:
    """A room hands over its import, for the sweep (booked with the first)."""
    kinds = app.extensions.setdefault("imports", [])
    if not kinds:
        register_periodic(app, _schedule)
    kinds.append(kind)


def sweep_imports() -> int:
    """Hand lost and stopped imports of every kind to a worker again; returns how many."""
    return sum(kind.sweep() for kind in current_app.extensions.get("imports", ()))


def run_periodic_import_sweep() -> None:
    """One link of the import sweep's chain: book the next, then sweep."""
    schedule_import_sweep()
    sweep_imports()


def schedule_import_sweep(now: datetime | None = None) -> Job:
    """Book the import sweep of the next `IMPORT_SWEEP_INTERVAL_SECONDS` boundary (one per slot)."""
    interval = int(current_app.config["IMPORT_SWEEP_INTERVAL_SECONDS"])
    return book_next_slot(
        run_periodic_import_sweep,
        name="imports-sweep",
        interval=interval,
        description=f"Import sweep every {interval} s",
        now=now,
    )


def _schedule(app: Flask) -> None:
    with app.app_context():
        schedule_import_sweep()


class ImportRecordSchema(Schema):
    """The JSON of an import's record; a room's schema adds its counts and its errors' shape."""

    id = fields.Int(dump_only=True)
    filename = fields.Str(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"enum": [s.value for s in ImportStatus]})
    created_by_id = fields.Int(dump_only=True, allow_none=True)
    created = fields.Int(attribute="created_count", dump_only=True)
    unchanged = fields.Int(attribute="unchanged_count", dump_only=True)
    failed = fields.Int(attribute="failed_count", dump_only=True)
    errors = fields.List(
        fields.Dict(),
        dump_only=True,
        metadata={"description": "The first 1000 failures; the counts stay exact beyond them."},
    )
    created_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


# -- from the command line ----------------------------------------------------------------------------

# A run of a JSON Lines import: the file's lines (line endings cut off), a progress callback
# `(lines done, total)` and the total, giving its report.
JsonLinesRun = Callable[[Iterator[str], Callable[[int, int | None], None], int], ImportReport]


def import_json_lines_file(path: Path, *, label: str, run: JsonLinesRun) -> None:
    """`flask ... import FILE.jsonl`: `run` over the file's lines behind a progress bar, then its report;
    exits with 1 if any line failed. The file is UTF-8 (a byte-order mark is skipped)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            # A first pass for the progress bar's length: cheap next to importing.
            total = sum(1 for line in file if line.strip())
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path} is not UTF-8 text.") from error
    with ExitStack() as stack:
        file = stack.enter_context(path.open(encoding="utf-8-sig", newline=""))
        bar = stack.enter_context(click.progressbar(length=total, label=label))

        def progress(done: int, _total: int | None) -> None:
            bar.update(done - bar.pos)

        # newline="" keeps "\r\n" endings whole; JSON cannot hold a raw "\r", so nothing else splits.
        lines = (line.rstrip("\r\n") for line in file)
        try:
            report = run(lines, progress, total)
        except UnicodeDecodeError as error:
            raise click.ClickException(f"{path} is not UTF-8 text.") from error
    click.echo(
        f"{report.lines} lines: {report.created} created, {report.unchanged} unchanged, "
        f"{report.failed} failed."
    )
    for failure in report.errors:
        click.echo(f"  line {failure['line']}{_reference(failure)}: {_messages(failure['errors'])}", err=True)
    if report.failed > len(report.errors):
        click.echo(f"  ... and {report.failed - len(report.errors)} more failed lines.", err=True)
    if report.failed:
        raise SystemExit(1)


def _reference(failure: dict[str, Any]) -> str:
    return f" ({failure['reference']})" if failure.get("reference") else ""


def _messages(errors: Any, prefix: str = "") -> str:
    """`{"events": {"2": {"to": ["..."]}}}` as `events.2.to: ...`, one field after the other."""
    if not isinstance(errors, dict):
        return f"{prefix}: {' '.join(map(str, errors))}" if prefix else " ".join(map(str, errors))
    return "; ".join(
        _messages(value, f"{prefix}.{key}" if prefix else str(key)) for key, value in errors.items()
    )
