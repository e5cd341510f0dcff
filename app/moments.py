"""How every page and e-mail shows a moment in time: one way, in the viewer's time zone.

The zone and the language are the viewer's, as `app.i18n` selects them: the signed-in agent's, the
customer's on portal pages (`use_customer`), the recipient's in e-mails (`customer_locale`). There are
two formats per language, both on a 24-hour clock (a desk that works across zones cannot afford to
misread 4 o'clock):

- **short**, "Dec 7, 16:00" / "12月7日 16:00": the year only when it is not this one (in a list, last
  March must not read as this March), no zone. For lists and cards;
- **long**, "Dec 7, 2026, 16:00 UTC+1" / "2026年12月7日 16:00 UTC+8": the year and the zone always. For
  e-mails, tooltips and whatever stands alone on the ticket page, where an agent may quote it to a
  customer in another zone. The zone is CLDR's abbreviation where the language has one ("UTC", "EST")
  and the offset otherwise, so the two 01:30s of the night the clocks go back read differently.

Where agents scan a list, a moment reads relative to now ("5 minutes ago", "in 2 hours", "5分钟前",
"2小时后"), inside a `<time>` element whose `title` holds the long format and `datetime` the
machine-readable UTC moment.

Jinja filters (None renders as ""; `app.i18n.init_app` installs them):

- `{{ m|moment }}`, `{{ m|moment('long') }}`, `{{ m|moment('relative') }}`: the `<time>` element, for
  pages (`classes=` adds a class attribute; `moment('clock')` is "16:00" today, the short format on
  other days, for sentences such as "due in 10 minutes (at 16:00)"; `moment('date')` the day);
- `{{ m|datetime }}`, `{{ m|datetime('long') }}`: the same as text, for e-mails and sentences;
- `{{ m|relative }}`: "5 minutes ago" as text;
- `{{ m|date }}`: the day ("Dec 7, 2026", "2026年12月7日"); `{{ m|time }}`: the clock ("16:00"). A
  plain `date` or `time` is shown as it is; a datetime is moved into the viewer's zone first.

No other formats: templates pass no patterns and call no `strftime` (tests/test_moments.py reads them).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from markupsafe import Markup

STYLES = ("short", "long")
# Day and clock as CLDR skeletons: each language orders and punctuates them its own way.
_DAY, _DAY_WITH_YEAR, _CLOCK = "MMMd", "yMMMd", "Hm"
# Babel's abbreviation when the language has one ("UTC", "EST"); its stand-ins ("+0100") are not.
_ABBREVIATION = re.compile(r"[A-Za-z]{2,6}\Z")


def viewer_zone() -> tzinfo:
    """The viewer's time zone as a `zoneinfo` zone (safe for `datetime.combine` and arithmetic)."""
    try:
        return ZoneInfo(str(get_timezone()))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name() -> str:
    """The viewer's time zone by its IANA name ("Asia/Shanghai", "UTC")."""
    return getattr(viewer_zone(), "key", None) or "UTC"


def _aware(value: datetime) -> datetime:
    # Stored moments are UTC; one that lost its zone on the way is taken as UTC too.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def local(value: datetime) -> datetime:
    """`value` on the viewer's clock."""
    return _aware(value).astimezone(viewer_zone())


def zone_label(moment: datetime) -> str:
    """The zone of a local moment as the long format writes it: "UTC", "EST", "UTC+5:30", "UTC-3"."""
    name = dates.get_timezone_name(moment, "short", locale=get_locale(), return_zone=False)
    if _ABBREVIATION.match(name):
        return name
    minutes = int((moment.utcoffset() or timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def _join(day: str, clock: str) -> str:
    # The language's own glue between a date and a time ("Dec 7, 16:00", "12月7日 16:00").
    return str(get_locale().datetime_formats["short"]).replace("{1}", day).replace("{0}", clock)


def format_datetime(value: datetime, style: str = "short", *, now: datetime | None = None) -> str:
    """`value` in the viewer's zone and language, "short" or "long" (see the module docstring)."""
    if style not in STYLES:
        raise ValueError(f"unknown date format {style!r}: use one of {STYLES}")
    moment, locale = local(value), get_locale()
    this_year = local(now or datetime.now(UTC)).year
    with_year = style == "long" or moment.year != this_year
    day = dates.format_skeleton(_DAY_WITH_YEAR if with_year else _DAY, moment, locale=locale)
    text = _join(day, dates.format_skeleton(_CLOCK, moment, locale=locale))
    return f"{text} {zone_label(moment)}" if style == "long" else text


def format_date(value: date | datetime) -> str:
    """The day of `value` ("Dec 7, 2026"); a datetime's day on the viewer's calendar."""
    day = local(value) if isinstance(value, datetime) else value
    return dates.format_skeleton(_DAY_WITH_YEAR, day, locale=get_locale())


def format_time(value: time | datetime) -> str:
    """The clock of `value` ("16:00"); a datetime's on the viewer's clock."""
    moment = local(value) if isinstance(value, datetime) else datetime.combine(date(2000, 1, 1), value)
    return dates.format_skeleton(_CLOCK, moment, locale=get_locale())


def format_clock(value: datetime, *, now: datetime | None = None) -> str:
    """The clock alone when `value` falls on today's date of the viewer's calendar ("16:00"), else the
    short format ("Dec 8, 09:00"): "at 16:00" must not hide that it is tomorrow."""
    today = local(now or datetime.now(UTC)).date()
    return format_time(value) if local(value).date() == today else format_datetime(value, now=now)


def format_duration(delta: timedelta) -> str:
    """A length of time in words, to the minute ("5 minutes", "2 hours", "5分钟")."""
    if abs(delta) < timedelta(minutes=1):
        return _("less than a minute")
    return dates.format_timedelta(abs(delta), granularity="minute", locale=get_locale())


def format_relative(value: datetime, *, now: datetime | None = None) -> str:
    """`value` as seen from `now` (default: this instant): "5 minutes ago", "in 2 hours", "2小时后"."""
    delta = _aware(value) - (now or datetime.now(UTC))
    if abs(delta) < timedelta(minutes=1):
        # Babel would say "in 0 minutes"; under a minute the seconds are noise anyway.
        return _("just now") if delta <= timedelta() else _("in under a minute")
    return dates.format_timedelta(delta, granularity="minute", add_direction=True, locale=get_locale())


def moment_element(
    value: datetime, style: str = "short", *, now: datetime | None = None, classes: str | None = None
) -> Markup:
    """`value` as a `<time>` element: "short", "long", "relative", "clock" (`format_clock`) or "date"
    text, the UTC moment in `datetime`, and the long format in `title` when the text leaves out the
    year or the zone."""
    if style in STYLES:
        text = format_datetime(value, style, now=now)
    elif style in _TEXTS:
        text = _TEXTS[style](value, now=now)
    else:
        raise ValueError(f"unknown moment style {style!r}")
    title = format_datetime(value, "long") if style != "long" else None
    return Markup('<time{classes} datetime="{iso}"{title}>{text}</time>').format(
        classes=Markup(' class="{}"').format(classes) if classes else "",
        iso=_aware(value).astimezone(UTC).isoformat(timespec="seconds"),
        title=Markup(' title="{}"').format(title) if title else "",
        text=text,
    )


_TEXTS = {
    "relative": format_relative,
    "clock": format_clock,
    "date": lambda value, now=None: format_date(value),
}


def blank_none(format_function):
    """`format_function` as a Jinja filter that renders None (and "") as nothing."""

    def formatter(value, *args, **kwargs):
        return "" if value is None or value == "" else format_function(value, *args, **kwargs)

    formatter.__name__ = format_function.__name__
    formatter.__doc__ = format_function.__doc__
    return formatter


FILTERS: dict[str, Any] = {
    "moment": blank_none(moment_element),
    "datetime": blank_none(format_datetime),
    "relative": blank_none(format_relative),
    "date": blank_none(format_date),
    "time": blank_none(format_time),
}
