"""HTTP adapters of the accounts room."""

from flask import current_app


def login_rate_limit() -> str:
    """Sign-in attempts per client address (configurable, read per request so tests can lower it)."""
    return current_app.config["LOGIN_RATE_LIMIT"]
