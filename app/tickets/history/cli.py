"""`flask --app wsgi tickets ...`: ticket data from a shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.imports import import_json_lines_file
from app.tickets.history import services as history

tickets_cli = AppGroup("tickets", help="Tickets and complaints.")


@tickets_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_history(path: Path) -> None:
    """Import another helpdesk's tickets from a UTF-8 JSON Lines file; exits with 1 if any line failed.

    One ticket per line: reference, subject, description, type, priority, channel, queue (a name),
    customer {name, email, phone}, assignee_email, created_at, tags, complaint {category, severity,
    desired_outcome, root_cause, remedy}, and events [{at, kind (public_reply, internal_note, status),
    author_email, body, to}]. Tickets whose reference exists are skipped, so running the same file again
    is harmless.
    """
    import_json_lines_file(
        path,
        label="Importing tickets",
        run=lambda lines, progress, total: history.import_ticket_history(
            lines, actor=None, on_progress=progress, total=total
        ),
    )
