"""`flask --app wsgi customers ...`: customer data from a shell."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import AppGroup

from app.customers import services
from app.errors import AppError

customers_cli = AppGroup("customers", help="Customer profiles.")


@customers_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_csv(path: Path) -> None:
    """Import customers from a UTF-8 CSV file; exits with 1 if any row failed.

    Columns: name, email, phone, organization, tags, preferred_language, preferred_channel, revenue_12m,
    lifetime_revenue, currency, notes, and cf_<key> for custom fields. Separate several e-mails, phones
    or tags in one cell with ";".
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path} is not UTF-8 text.") from error
    with ExitStack() as stack:
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(click.progressbar(length=total, label="Importing customers"))
            bar.update(done - bar.pos)

        try:
            report = services.import_customers_csv(text, actor=None, on_progress=progress)
        except AppError as error:
            details = "; ".join(
                f"{field}: {' '.join(map(str, msgs))}" for field, msgs in error.errors.items()
            )
            raise click.ClickException(f"{error.message} {details}".strip()) from error
    click.echo(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.failed} failed."
    )
    for failure in report.errors:
        messages = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in failure["errors"].items())
        click.echo(f"  row {failure['row']}: {messages}", err=True)
    if report.failed:
        raise SystemExit(1)
