"""`flask --app wsgi surveys ...`: survey answers from a shell."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from app.portal.surveys import services as surveys

surveys_cli = AppGroup("surveys", help="Satisfaction surveys.")


@surveys_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_answers(path: Path) -> None:
    """Import another desk's survey answers from a UTF-8 JSON Lines file; exits with 1 if any line failed.

    One answer per line: reference (the ticket's), answered_at, csat (1-5), ces (1-7), nps (0-10),
    expected and received (1-5: a and b of C = b/a), comment. A ticket keeps one answer, so running the
    same file again is harmless.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            # A first pass for the progress bar's length: cheap next to importing.
            total = sum(1 for line in file if line.strip())
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path} is not UTF-8 text.") from error
    with ExitStack() as stack:
        file = stack.enter_context(path.open(encoding="utf-8-sig", newline=""))
        bar = stack.enter_context(click.progressbar(length=total, label="Importing survey answers"))

        def progress(done: int, _total: int | None) -> None:
            bar.update(done - bar.pos)

        try:
            report = surveys.import_survey_answers(
                (line.rstrip("\r\n") for line in file), on_progress=progress, total=total
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


def _reference(failure: dict[str, Any]) -> str:
    return f" ({failure['reference']})" if failure.get("reference") else ""


def _messages(errors: Any, prefix: str = "") -> str:
    """`{"csat": ["..."]}` as `csat: ...`, one field after the other."""
    if not isinstance(errors, dict):
        return f"{prefix}: {' '.join(map(str, errors))}" if prefix else " ".join(map(str, errors))
    return "; ".join(
        _messages(value, f"{prefix}.{key}" if prefix else str(key)) for key, value in errors.items()
    )
