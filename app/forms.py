"""Helpers of the HTML forms every room's pages use (Flask-WTF).

Forms check shapes only; rules that need the database stay in the services, and their field messages
come back next to the fields through `ServiceErrorsMixin.show_errors`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm


def N_(text: str) -> str:
    """Mark `text` for the catalog only (gettext's convention); it is translated where it is shown."""
    return text


# marshmallow's and webargs' own messages, which reach pages (a list's filters, an error page) as English
# text: each with its translation, numbers and choices carried over. The API sends them as they are.
_LIBRARY_MESSAGES = [
    (re.compile(re.escape(english) + r"\Z"), translated)
    for english, translated in (
        ("Missing data for required field.", N_("Missing data for required field.")),
        ("Field may not be null.", N_("Field may not be null.")),
        ("Unknown field.", N_("Unknown field.")),
        ("Invalid value.", N_("Invalid value.")),
        ("Invalid input type.", N_("Invalid input type.")),
        ("Not a valid string.", N_("Not a valid text.")),
        ("Not a valid integer.", N_("Not a valid whole number.")),
        ("Not a valid number.", N_("Not a valid number.")),
        ("Not a valid boolean.", N_("Not a valid yes or no.")),
        ("Not a valid datetime.", N_("Not a valid date and time.")),
        ("Not a valid date.", N_("Not a valid date.")),
        ("Not a valid time.", N_("Not a valid time.")),
        ("Not a valid email address.", N_("Not a valid e-mail address.")),
        ("Not a valid URL.", N_("Not a valid web address.")),
        ("Not a valid list.", N_("Not a valid list.")),
        ("Not a valid mapping type.", N_("Not a valid object.")),
        ("String does not match expected pattern.", N_("Not in the expected form.")),
    )
] + [
    (re.compile(pattern), translated)
    for pattern, translated in (
        (r"Must be one of: (?P<choices>.*)\.\Z", N_("Must be one of: %(choices)s.")),
        (r"Longer than maximum length (?P<max>\d+)\.\Z", N_("At most %(max)s characters.")),
        (r"Shorter than minimum length (?P<min>\d+)\.\Z", N_("At least %(min)s characters.")),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.\Z", N_("%(min)s to %(max)s characters.")),
        (
            r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.\Z",
            N_("Must be from %(min)s to %(max)s."),
        ),
        (r"Must be greater than or equal to (?P<min>\S+)\.\Z", N_("Must be at least %(min)s.")),
        (r"Must be less than or equal to (?P<max>\S+)\.\Z", N_("Must be at most %(max)s.")),
    )
]


def page_message(message: Any) -> Any:
    """One field message as a page shows it: a library's English message translated, ours as they are
    (they are lazy texts already)."""
    if not isinstance(message, str):
        return message
    for pattern, translated in _LIBRARY_MESSAGES:
        if found := pattern.match(message):
            return _l(translated, **found.groupdict())
    return message


def page_messages(messages: Any) -> Any:
    """`page_message` for every message of a field's (nested) messages."""
    if isinstance(messages, dict):
        return {name: page_messages(inner) for name, inner in messages.items()}
    if isinstance(messages, list | tuple):
        return [page_messages(message) for message in messages]
    return page_message(messages)


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
            field.errors = [*field.errors, *flat_messages(page_messages(messages), self.name_label)]
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
