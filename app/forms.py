"""Helpers of the HTML forms every room's pages use (Flask-WTF).

Forms check shapes only; rules that need the database stay in the services, and their field messages
come back next to the fields through `ServiceErrorsMixin.show_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm


def flat_messages(messages: Any, name_label: Callable[[str], str] = str) -> list[str]:
    """A service's messages for one field, flattened (list items come as {"0": [...]}); nested fields
    are named by `name_label`."""
    if isinstance(messages, dict):
        # List items are keyed by position; the form has one box per field, so the position says nothing.
        return [
            " ".join(flat_messages(inner, name_label))
            if str(name).isdigit()
            else f"{name_label(str(name))}: {' '.join(flat_messages(inner, name_label))}"
            for name, inner in messages.items()
        ]
    if isinstance(messages, list | tuple):
        return [str(m) for m in messages]
    return [str(messages)]


class ServiceErrorsMixin:
    """Put a service's field messages next to the fields; `ALIASES` maps service names to field names.

    Several forms may share a page, so each has a `PREFIX`: its controls get distinct names and ids.
    """

    ALIASES: dict[str, str] = {}
    # How nested fields are named in a message (a room's translated vocabulary).
    name_label: Callable[[str], str] = staticmethod(str)
    NESTED: tuple[str, ...] = ()
    PREFIX = ""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)

    def show_errors(self, errors: dict[str, Any], prefix: str = "") -> bool:
        """False if some messages belong to no field of this form (the caller shows them elsewhere)."""
        shown = True
        for name, messages in errors.items():
            key = f"{prefix}{name}"
            if isinstance(messages, dict) and key in self.NESTED:
                shown = self.show_errors(messages, prefix=f"{key}.") and shown
                continue
            field = getattr(self, self.ALIASES.get(key, key), None)
            if field is None or not hasattr(field, "errors"):
                shown = False
                continue
            field.errors = [*field.errors, *flat_messages(messages, self.name_label)]
        return shown


def error_summary(form: FlaskForm, order: tuple[str, ...], expired: str) -> list[tuple[str, str, str]]:
    """The error summary at the top of a public form: (field id, label, first message) in the order the
    fields are shown, led by `expired` when the CSRF token was refused (the page was open too long)."""
    summary = []
    for name in order:
        field = form[name]
        if field.errors:
            # A group of radio buttons is reached through its first button.
            target = f"{field.id}-0" if field.type == "RadioField" else field.id
            summary.append((target, field.label.text, str(field.errors[0])))
    if "csrf_token" in form and form.csrf_token.errors:  # no token field where CSRF is switched off
        summary.insert(0, ("", "", expired))
    return summary
