"""`flask --app wsgi tickets ...`: ticket data from a shell."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from app.tickets.history import services as history

tickets_cli = AppGroup("tickets", help="Tickets and complaints.")


@tickets_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_history(path: Path) -> None:
    """Import another helpdesk's tickets from a UTF-8 JSON Lines file; exits with 1 if any line failed.

    One ticket per line: reference, subject, description, type, priority, channel, queue (a name),
    customer {name, email, phone}, assignee_email, created_at, tags, and events [{at, kind
    (public_reply, internal_note, status), author_email, body, to}]. Tickets whose reference exists are
    skipped, so running the same file again is harmless.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            # A first pass for the progress bar's length: cheap next to importing.
            total = sum(1 for line in file if line.strip())
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path} is not UTF-8 text.") from error
    with ExitStack() as stack:
        file = stack.enter_context(path.open(encoding="utf-8-sig", newline=""))
        bar = stack.enter_context(click.progressbar(length=total, label="Importing tickets"))

        def progress(done: int, _total: int | None) -> None:
            bar.update(done - bar.pos)

        try:
            report = history.import_ticket_history(
                _lines(file), actor=None, on_progress=progress, total=total
            )
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


def _lines(file):
    # newline="" keeps "\r\n" endings whole; JSON cannot hold a raw "\r", so nothing else splits.
    for line in file:
        yield line.rstrip("\r\n")


def _reference(failure: dict[str, Any]) -> str:
    return f" ({failure['reference']})" if failure.get("reference") else ""


def _messages(errors: Any, prefix: str = "") -> str:
    """`{"events": {"2": {"to": ["..."]}}}` as `events.2.to: ...`, one field after the other."""
    if not isinstance(errors, dict):
        return f"{prefix}: {' '.join(map(str, errors))}" if prefix else " ".join(map(str, errors))
    return "; ".join(
        _messages(value, f"{prefix}.{key}" if prefix else str(key)) for key, value in errors.items()
    )
