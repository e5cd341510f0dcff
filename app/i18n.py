"""Languages, time zones and locale-aware formatting (Flask-Babel).

We speak the languages in `LANGUAGES`: "en" (English) and "zh" (Simplified Chinese, formatted with
Babel's `zh` locale, i.e. zh_Hans_CN). Texts are marked with `gettext`/`lazy_gettext` from
`flask_babel` in Python and with `_()` or `{% trans %}` in templates; the catalogs live in
`app/translations/` (see "Languages" in docs/architecture.md for the workflow).

The language of a request, strongest signal first:

1. the switcher: an explicit choice stored in the `language` cookie by `GET /language/<code>`. The
   issue lists profile, then browser, then switcher; we rank the switcher first because a switcher
   that loses to the browser or a profile would do nothing when clicked;
2. the signed-in agent's `language`;
3. the customer set for this request with `use_customer(customer)` (portal pages);
4. the best match in the browser's `Accept-Language`;
5. English.

The time zone: the signed-in agent's `timezone`, else the customer's from `use_customer`, else UTC.

Outside a request (an RQ job rendering an e-mail), or for another person inside one, wrap the work in
`with customer_locale(customer):` (or `customer_locale("zh", "Asia/Shanghai")`).

Moments in time (`moment`, `datetime`, `relative`, `date`, `time`) are shown the one way of
`app.moments`, in the time zone chosen here. The other Jinja filters format for the current language
(None renders as ""):

- `{{ n|number }}` a number with the language's grouping and decimal signs;
- `{{ amount|currency("EUR") }}` money; `{{ ratio|percent }}` a percentage;
- `{{ delta|timedelta }}` a duration in words ("3 hours", "3小时").

Templates also get `LANGUAGES`, `current_language` (a code of LANGUAGES), `html_lang` (for
`<html lang>`), `zone_name()` (the viewer's time zone, "Asia/Shanghai") and `language_choices()`,
which the `language_switcher()` macro of `macros.html` renders.

The JSON API stays in English: its messages are for programs and logs, not for people. Its requests
speak English whatever the caller's language, and `app.errors` renders the services' (lazy) messages
in English for it; pages render the same messages in their reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import flask_babel
import pytz
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import (
    format_currency,
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user

from app import moments
from app.extensions import babel

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
# What `<html lang>` says for each language.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
LANGUAGE_COOKIE = "language"
# Requests under this path are the JSON API's, which answers in English whoever calls it.
API_PREFIX = "/api/"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
TIMEZONE_MAX = 64

# Chinese written in Traditional characters: our catalog is Simplified, so these tags do not select it.
_TRADITIONAL = {"hant", "tw", "hk", "mo"}
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*\Z")


def normalize_language(tag: Any) -> str | None:
    """The code of LANGUAGES a language tag means (`zh-CN`, `zh_Hans`, `EN-gb`...), or None."""
    if not isinstance(tag, str) or not _TAG.match(tag):
        return None
    parts = tag.lower().replace("_", "-").split("-")
    if parts[0] not in LANGUAGES:
        return None
    if parts[0] == "zh" and _TRADITIONAL & set(parts[1:]):
        return None
    return parts[0]


@cache
def _timezones() -> frozenset[str]:
    # The names zoneinfo knows (the system's tz database, else the tzdata package) that pytz, which
    # Flask-Babel converts with, knows too; pytz's own list if the system has no database at all.
    known = frozenset(pytz.all_timezones)
    return frozenset(available_timezones() or known) & known


def valid_timezone(name: Any) -> bool:
    """True for an IANA time zone name such as "Asia/Shanghai" or "UTC"."""
    return isinstance(name, str) and len(name) <= TIMEZONE_MAX and name in _timezones()


def timezone_names() -> list[str]:
    """Every IANA time zone name, sorted (for pickers)."""
    return sorted(_timezones())


def safe_local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: redirecting anywhere else helps phishers.

    Browsers read a backslash like a slash, so `/\\evil.example` would leave the site."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def remember_language(response, code: str):
    """Store the switcher's choice on `response` (the code must be one of LANGUAGES)."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


# -- selection ---------------------------------------------------------------------------------------


def _customer_choice() -> tuple[str | None, str | None]:
    return g.get("i18n_customer", (None, None))


def _agent() -> Any:
    if not has_request_context():
        return None
    user = current_user
    return user if user and getattr(user, "is_authenticated", False) else None


def _browser_language() -> str | None:
    for tag, _quality in request.accept_languages:
        if code := normalize_language(tag):
            return code
    return None


def select_language() -> str:
    """The language of the current request (see the module docstring for the order)."""
    if has_request_context() and request.path.startswith(API_PREFIX):
        # Messages formatted while the request runs (a validator's) are English like the envelope's.
        return DEFAULT_LANGUAGE
    if has_request_context() and (code := normalize_language(request.cookies.get(LANGUAGE_COOKIE))):
        return code
    agent = _agent()
    if agent is not None and (code := normalize_language(getattr(agent, "language", None))):
        return code
    if code := _customer_choice()[0]:
        return code
    return visitor_language()


def visitor_language() -> str:
    """The language the request itself asks for (the switcher's cookie, `Accept-Language`), without
    asking the database whose request it is: for pages shown when the database cannot answer."""
    if has_request_context():
        for code in (normalize_language(request.cookies.get(LANGUAGE_COOKIE)), _browser_language()):
            if code:
                return code
    return DEFAULT_LANGUAGE


def select_timezone() -> str:
    agent = _agent()
    if agent is not None and valid_timezone(getattr(agent, "timezone", None)):
        return agent.timezone
    return _customer_choice()[1] or "UTC"


def _pytz(name: str | None) -> Any:
    # Flask-Babel converts with pytz; a zone pytz's data lacks falls back to UTC rather than failing.
    try:
        return pytz.timezone(name or "UTC")
    except pytz.UnknownTimeZoneError:
        return pytz.UTC


def use_customer(customer: Any) -> None:
    """For the rest of this request, speak `customer`'s preferred language and use their time zone
    (unless the switcher or a signed-in agent says otherwise)."""
    language = normalize_language(getattr(customer, "preferred_language", None))
    zone = getattr(customer, "timezone", None)
    g.i18n_customer = (language, zone if valid_timezone(zone) else None)
    flask_babel.refresh()


@contextmanager
def customer_locale(customer: Any = None, timezone: str | None = None) -> Iterator[None]:
    """Render in a customer's language and time zone inside the block, whatever the request says.

    `customer` is a customer (its `preferred_language` and `timezone`) or a language code, with
    `timezone` naming the zone then. Needs an app context (RQ jobs have one); unknown languages fall
    back to English and unknown zones to UTC.
    """
    if isinstance(customer, str) or customer is None:
        language, zone = customer, timezone
    else:
        language = getattr(customer, "preferred_language", None)
        zone = timezone or getattr(customer, "timezone", None)
    code = normalize_language(language) or DEFAULT_LANGUAGE
    ctx = flask_babel._get_current_context()
    saved_tz = getattr(ctx, "babel_tzinfo", None) if ctx is not None else None
    with flask_babel.force_locale(code):
        if ctx is not None:
            ctx.babel_tzinfo = _pytz(zone if valid_timezone(zone) else None)
        try:
            yield
        finally:
            if ctx is not None:
                ctx.babel_tzinfo = saved_tz


def current_language() -> str:
    locale = get_locale()
    return (normalize_language(str(locale)) if locale else None) or DEFAULT_LANGUAGE


# -- formatting --------------------------------------------------------------------------------------


def format_number(value: int | float | Decimal, format: str | None = None) -> str:
    return format_decimal(value, format)


FILTERS = {
    **moments.FILTERS,
    "number": moments.blank_none(format_number),
    "currency": moments.blank_none(format_currency),
    "percent": moments.blank_none(format_percent),
    "timedelta": moments.blank_none(format_timedelta),
}


def language_choices() -> list[dict[str, Any]]:
    """The switcher's entries: each language with its link back to the current page."""
    here = safe_local_path(request.full_path.rstrip("?")) if has_request_context() else None
    chosen = current_language()
    return [
        {
            "code": code,
            "name": name,
            "lang": HTML_LANG[code],
            "url": url_for("accounts_pages.language", code=code, next=here),
            "current": code == chosen,
        }
        for code, name in LANGUAGES.items()
    ]


def _template_context() -> dict[str, Any]:
    code = current_language()
    return {"current_language": code, "html_lang": HTML_LANG[code]}


def _text_of_lazy_strings(value: Any) -> Any:
    """A lazy text (a service's message, a form's label) as plain text, so autoescaping escapes it:
    flask-babel's `LazyString` says it is HTML already (`__html__`), and a message naming what someone
    typed (`_l("Unknown tag %(tag)s.", tag=...)`) would otherwise reach the page unescaped."""
    return str(value) if isinstance(value, LazyString) else value


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_language,
        timezone_selector=lambda: _pytz(select_timezone()),
    )
    # Templates and extraction both trim whitespace inside {% trans %} blocks (see babel.cfg).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.finalize = _text_of_lazy_strings
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, language_choices=language_choices, zone_name=moments.zone_name
    )
    app.context_processor(_template_context)
