"""`flask --app wsgi surveys ...`: survey answers from a shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.imports import import_json_lines_file
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
    import_json_lines_file(
        path,
        label="Importing survey answers",
        run=lambda lines, progress, total: surveys.import_survey_answers(
            lines, on_progress=progress, total=total
        ),
    )
