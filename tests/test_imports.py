"""The base of every background import (`app.imports`): an upload is checked and stored `queued`, its
job moves it to `running` and then `done` or `failed`, a finished import is never run again, and its
record keeps exact counts but only the first failures.

The import here is a made-up one: a file of words, one item each. `new` is created, `same` left
unchanged, `bad` fails; `refuse` refuses the file as a whole, `crash` stops the run. It keeps its records
in the customers' table: any table with the record's columns would do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from app import imports
from app.customers.models import CustomerImport
from app.dbtypes import utcnow
from app.errors import Invalid, NotFound
from app.extensions import db
from app.imports import (
    MAX_REPORTED_ERRORS,
    STOPPED,
    BackgroundImport,
    ImportReport,
    ImportStateError,
    ImportStatus,
)


class WordReport(ImportReport):
    whole_file: ClassVar[dict] = {"line": 0}


class WordImport(BackgroundImport):
    model = CustomerImport
    report = WordReport
    job = "tests.test_imports.run_word_import"
    job_timeout = 60
    file_type = "word list"
    suffixes = (".txt", ".words")
    max_bytes_setting = "CUSTOMER_IMPORT_MAX_BYTES"

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []  # (record id, its status) as each run found it

    def check(self, text: str) -> dict:
        if not text.split():
            raise Invalid("No words.", {"file": ["Give one word at least."]})
        return {}

    def process(self, record: CustomerImport) -> WordReport:
        self.seen.append((record.id, record.status))
        report = WordReport()
        for number, word in enumerate(record.content.split(), start=1):
            if word == "new":
                report.created += 1
            elif word == "same":
                report.unchanged += 1
            elif word == "bad":
                report.add_failure({"word": ["Not a word we know."]}, line=number)
            elif word == "refuse":
                raise Invalid("Refused.", {"file": ["Not today."]})
            elif word == "crash":
                raise RuntimeError("disk full")
            # Progress committed as it goes, as the ticket history's batches do.
            record.record_progress(report)
            db.session.commit()
        return report


WORDS = WordImport()


def run_word_import(import_id: int) -> None:
    WORDS.run(import_id)


@pytest.fixture
def words(app, monkeypatch):
    monkeypatch.setattr(WORDS, "seen", [])
    return WORDS


@pytest.fixture
def held_jobs(monkeypatch) -> list[tuple]:
    """Jobs enqueued meanwhile, held instead of run (tests run jobs inline otherwise)."""
    held: list[tuple] = []
    monkeypatch.setattr(imports, "enqueue", lambda *args, **kwargs: held.append((*args, kwargs)))
    return held


def _stored(words: WordImport, supervisor, text: str, status: str = ImportStatus.QUEUED) -> int:
    record = CustomerImport(filename="w.txt", content=text, created_by_id=supervisor.id, status=status)
    db.session.add(record)
    db.session.commit()
    return record.id


def _records() -> int:
    return db.session.scalar(select(func.count()).select_from(CustomerImport))


# -- the upload -----------------------------------------------------------------------------------------


def test_an_upload_is_stored_queued_and_its_job_enqueued(words, supervisor, held_jobs):
    record = words.create(filename="C:\\Users\\sam\\list.WORDS", content=b"new same", actor=supervisor)

    assert (record.status, record.filename, record.content, record.created_by_id) == (
        "queued",
        "list.WORDS",
        "new same",
        supervisor.id,
    )
    assert (record.created_count, record.started_at, record.finished_at) == (0, None, None)
    assert held_jobs == [("tests.test_imports.run_word_import", record.id, {"job_timeout": 60})]


def test_the_job_runs_the_upload(words, supervisor):
    record = words.create(filename="list.txt", content=b"\xef\xbb\xbfnew new same bad", actor=supervisor)

    db.session.expire_all()
    record = words.get(record.id)
    assert words.seen == [(record.id, "running")]
    assert (record.status, record.created_count, record.unchanged_count, record.failed_count) == (
        "done",
        2,
        1,
        1,
    )
    assert record.errors == [{"line": 4, "errors": {"word": ["Not a word we know."]}}]
    assert record.created_at <= record.started_at <= record.finished_at


@pytest.mark.parametrize(
    ("filename", "content", "errors"),
    [
        ("list.csv", b"new", {"file": ["The file name must end in .txt or .words."]}),
        ("list.txt", b"n\xe9w", {"file": ["Save the file as UTF-8 word list."]}),
        ("list.txt", b"new\x00", {"file": ["It contains NUL characters."]}),
        ("list.txt", b"new " * 30, {"file": ["At most 100 bytes."]}),
        ("list.txt", b" \n ", {"file": ["Give one word at least."]}),  # the import's own check
    ],
)
def test_an_upload_that_cannot_be_imported_is_refused_and_not_kept(
    app, words, supervisor, held_jobs, filename, content, errors
):
    app.config["CUSTOMER_IMPORT_MAX_BYTES"] = 100

    with pytest.raises(Invalid) as refused:
        words.create(filename=filename, content=content, actor=supervisor)

    assert refused.value.errors == errors
    assert _records() == 0
    assert held_jobs == []


def test_an_unknown_import_is_404(words):
    for missing in (999, 0, -1, 2**40):
        with pytest.raises(NotFound, match=f"Import {missing} not found"):
            words.get(missing)


# -- running ------------------------------------------------------------------------------------------


def test_a_finished_import_is_left_alone(words, supervisor):
    import_id = _stored(words, supervisor, "new bad")
    first = words.run(import_id)
    finished_at = first.finished_at

    again = words.run(import_id)

    assert words.seen == [(import_id, "running")]  # processed once
    assert (again.status, again.created_count, again.failed_count, again.finished_at) == (
        "done",
        1,
        1,
        finished_at,
    )


def test_a_failed_import_is_left_alone(words, supervisor):
    import_id = _stored(words, supervisor, "refuse")
    words.run(import_id)

    again = words.run(import_id)

    assert again.status == "failed"
    assert len(words.seen) == 1


def test_an_import_left_running_by_a_dead_worker_runs_again_from_zero(words, supervisor):
    import_id = _stored(words, supervisor, "new same", status=ImportStatus.RUNNING)
    db.session.execute(
        CustomerImport.__table__.update().values(created_count=7, errors=[{"line": 9, "errors": {}}])
    )
    db.session.commit()

    record = words.run(import_id)

    assert (record.status, record.created_count, record.unchanged_count, record.errors) == ("done", 1, 1, [])


def test_the_counts_stay_exact_beyond_the_errors_kept(words, supervisor):
    import_id = _stored(words, supervisor, "bad " * (MAX_REPORTED_ERRORS + 5) + "new")

    record = words.run(import_id)

    assert (record.failed_count, record.created_count) == (MAX_REPORTED_ERRORS + 5, 1)
    assert len(record.errors) == MAX_REPORTED_ERRORS
    assert record.errors[-1]["line"] == MAX_REPORTED_ERRORS


def test_a_file_refused_as_a_whole_fails_the_import_with_its_messages(words, supervisor):
    import_id = _stored(words, supervisor, "new refuse")

    record = words.run(import_id)

    db.session.expire_all()
    record = words.get(import_id)
    assert record.status == "failed"
    assert record.errors == [{"line": 0, "errors": {"file": ["Not today."]}}]
    assert record.finished_at is not None


def test_a_run_that_stops_fails_the_import_keeps_what_landed_and_raises(words, supervisor):
    import_id = _stored(words, supervisor, "new new crash new")

    with pytest.raises(RuntimeError, match="disk full"):
        words.run(import_id)

    db.session.expire_all()
    record = words.get(import_id)
    assert (record.status, record.created_count) == ("failed", 2)
    assert record.errors == [{"line": 0, "errors": {"file": [STOPPED]}}]
    assert record.finished_at is not None


# -- the record's states ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("status", "reachable"),
    [
        ("queued", set()),
        ("running", {"done", "failed"}),
        ("done", set()),
        ("failed", set()),
    ],
)
def test_a_record_moves_only_forward(app, status, reachable):
    moves = {
        "done": lambda record: record.finish(ImportReport(created=1)),
        "failed": lambda record: record.fail({"line": 0, "errors": {}}),
    }
    for target, move in moves.items():
        record = CustomerImport(status=status)
        if target in reachable:
            move(record)
            assert record.status == target
        else:
            with pytest.raises(ImportStateError):
                move(record)
            assert record.status == status


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_record_is_finished_when_done_or_failed(app):
    finished = {status: CustomerImport(status=status).finished for status in ImportStatus}

    assert finished == {"queued": False, "running": False, "done": True, "failed": True}


# -- a worker that dies, a job that is lost -------------------------------------------------------------


def _silent_for(import_id: int, seconds: int) -> None:
    """The record's run last said it was alive `seconds` ago."""
    db.session.execute(
        CustomerImport.__table__.update()
        .where(CustomerImport.id == import_id)
        .values(heartbeat_at=utcnow() - timedelta(seconds=seconds))
    )
    db.session.commit()


def test_an_upload_is_kept_and_answered_when_its_job_cannot_be_enqueued(words, supervisor, monkeypatch):
    def redis_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(imports, "enqueue", redis_down)
    record = words.create(filename="list.txt", content=b"new same", actor=supervisor)
    monkeypatch.undo()

    assert (record.status, _records()) == ("queued", 1)
    assert words.seen == []


def test_two_jobs_never_run_one_import_at_once(words, supervisor):
    import_id = _stored(words, supervisor, "new")

    first = words.claim(import_id)
    second = words.claim(import_id)

    assert (first.status, first.attempts, second) == ("running", 1, None)
    # The first run's worker died: once its heartbeats have lapsed, the import is another run's.
    _silent_for(import_id, 6 * 10 + 1)
    taken_over = words.claim(import_id)
    assert (taken_over.status, taken_over.attempts) == ("running", 2)


def test_a_running_import_whose_heartbeats_are_fresh_is_left_to_its_run(words, supervisor):
    import_id = _stored(words, supervisor, "new")
    words.claim(import_id)
    _silent_for(import_id, 6 * 10 - 5)

    record = words.run(import_id)

    assert (record.status, words.seen) == ("running", [])


def test_the_sweep_hands_lost_and_stopped_imports_to_a_worker_and_leaves_live_ones(
    words, supervisor, held_jobs
):
    lost = _stored(words, supervisor, "new")  # queued, its job never came
    _stored(words, supervisor, "new")  # queued a moment ago: its job may still come
    dead = _stored(words, supervisor, "new")
    alive = _stored(words, supervisor, "new")
    for running in (dead, alive):
        words.claim(running)
    db.session.execute(
        CustomerImport.__table__.update()
        .where(CustomerImport.id == lost)
        .values(created_at=utcnow() - timedelta(minutes=5))
    )
    _silent_for(dead, 6 * 10 + 1)

    assert words.sweep() == 2

    assert held_jobs == [(words.job, lost, {"job_timeout": 60}), (words.job, dead, {"job_timeout": 60})]
    # The dead run's import is enqueued until a job has taken it over; a queued import is queued again
    # only once per silence, however long the queue.
    assert words.sweep() == 1
    assert held_jobs[-1] == (words.job, dead, {"job_timeout": 60})


def test_an_import_that_keeps_stopping_its_worker_is_given_up(app, words, supervisor, held_jobs):
    import_id = _stored(words, supervisor, "new")
    for _ in range(app.config["IMPORT_MAX_ATTEMPTS"]):
        assert words.claim(import_id) is not None
        _silent_for(import_id, 6 * 10 + 1)
    assert words.claim(import_id) is None

    assert words.sweep() == 0

    record = words.get(import_id)
    assert (record.status, record.errors) == ("failed", [{"line": 0, "errors": {"file": [imports.GAVE_UP]}}])
    assert held_jobs == []


def test_the_import_sweep_covers_every_kind_of_import_and_is_booked_once_per_interval(app):
    kinds = app.extensions["imports"]

    assert sorted(kind.model.__tablename__ for kind in kinds) == ["customer_imports", "ticket_imports"]
    first, again = imports.schedule_import_sweep(), imports.schedule_import_sweep()
    assert first.id == again.id and first.id.startswith("imports-sweep-")
