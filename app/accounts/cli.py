"""`flask --app wsgi accounts ...`: manage accounts from a shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import services
from app.accounts.models import Role
from app.errors import AppError

accounts_cli = AppGroup("accounts", help="Manage agents, supervisors and admins.")


@accounts_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.AGENT.value, show_default=True
)
@click.option("--name", required=True)
def create(email: str, password: str, role: str, name: str) -> None:
    """Create an account that can sign in at /login and ask for API tokens."""
    try:
        agent = services.create_agent(email=email, password=password, name=name, role=role)
    except AppError as error:
        details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in error.errors.items())
        raise click.ClickException(f"{error.message} {details}".strip()) from error
    click.echo(f"Created {agent.role} {agent.name} <{agent.email}> (id {agent.id}).")


@accounts_cli.command("token")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--days", type=click.IntRange(1, 365), default=None, help="Expire after this many days.")
def token(email: str, name: str, days: int | None) -> None:
    """Print a new API bearer token for an account (for scripts and integrations)."""
    agent = services.find_agent_by_email(email)
    if agent is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    try:
        _token, raw = services.create_api_token(agent.id, name=name, expires_in_days=days)
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(raw)
