"""Business-hours calendars and SLA clocks: when a target comes due, counting business time only.

The model
---------
A `BusinessCalendar` is a weekly pattern of opening hours in one IANA time zone, minus holidays. On
each local date the calendar is open during the intervals listed for that date's weekday, and not at
all if the date is a holiday. SLA targets are amounts of *business time*: the clock runs only while the
calendar is open, so a two-hour target on a ticket opened at 16:00 on a Friday (hours 09:00-17:00,
Monday to Friday) is due at 10:00 on Monday. `BusinessCalendar.always_open()` is the 24x7 calendar for
policies that count plain wall-clock time.

An SLA clock (`due_at`, `elapsed`) counts business time from the moment it started, leaving out the
`Pause`s during which the ticket was `pending`.

Conventions
-----------
* Instants are timezone-aware datetimes. Any zone is accepted on input and every datetime returned is
  in UTC. A naive datetime raises ValueError: guessing its zone is how SLA clocks end up hours out.
* Intervals are half-open: 09:00-17:00 is open at 09:00:00 and closed again at 17:00:00.
* Midnight at the end of a day is written `time(0)` as an interval's *end* (an end can't come before
  its start, so this can't be misread) and "24:00" in the JSON form; `(time(0), time(0))` is the whole
  day. Intervals don't run past midnight: split a night shift over two weekdays.
* Holidays are local dates of the calendar's zone; the calendar is closed for the whole local day.
* Local times are turned into instants date by date, so 09:00-17:00 is eight business hours on every
  date, summer or winter, whatever its UTC hours. A local time T on date D becomes *the first instant at
  which the zone's clocks read D T or later*:
    - in the hour repeated when clocks go back, T is its first occurrence (a 00:00-24:00 day lasts 25
      hours);
    - in the hour skipped when clocks go forward, T is the instant the clocks jump: 01:30 on the London
      spring-forward day is 02:00 BST (01:00 UTC), an interval lying inside the skipped hour is empty
      that day, and a 00:00-24:00 day lasts 23 hours.
  That rule never runs backwards, so a day's intervals stay in order and never overlap whatever the
  zone does, even where a transition falls at midnight (America/Santiago).

Counting
--------
* `business_seconds_between(start, end)` is the open time inside [start, end); 0 when end <= start.
* `add_business_seconds(start, s)` is the earliest instant t >= start at which
  `business_seconds_between(start, t) == s`. So it returns `start` itself (in UTC) when s == 0, counts
  from the next opening when `start` is outside hours, and returns the closing time (Friday 17:00, not
  Monday 09:00) when the time runs out exactly at a closing. The two functions are inverse:
  `business_seconds_between(start, add_business_seconds(start, s)) == s`.
* Work is done per local date, never per minute: each date's intervals are resolved to UTC once and
  memoised on the calendar, so 90 business days is about 126 dictionary look-ups once warm. A calendar
  open 24x7 without holidays (in any zone) skips even that and is plain datetime arithmetic.
* Seconds are floats (a timedelta is accepted too); they are rounded to the microsecond, like timedelta.

Errors are ValueError with a message naming the offending field, which the service layer turns into
422 responses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "Pause",
    "WeeklyHours",
    "due_at",
    "elapsed",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # keys of the JSON form; index = weekday()

Interval = tuple[time, time]
_Span = tuple[datetime, datetime]  # an open period as naive UTC datetimes (internal arithmetic)

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1)
_WHOLE_DAY = ((time(0), time(0)),)
# Memoised dates per calendar; a few years' worth, then start again rather than grow without bound.
_CACHE_LIMIT = 4096
_TIME_TEXT = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")


class WeeklyHours(Mapping[int, tuple[Interval, ...]]):
    """The read-only `weekday -> intervals` mapping a calendar keeps (weekday 0 = Monday).

    Only days with hours are keys; intervals are sorted tuples. Hashable, so calendars are too.
    """

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[int, tuple[Interval, ...]]) -> None:
        self._days = dict(sorted(days.items()))

    def __getitem__(self, weekday: int) -> tuple[Interval, ...]:
        return self._days[weekday]

    def __iter__(self) -> Iterator[int]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)

    def __hash__(self) -> int:
        return hash(tuple(self._days.items()))

    def __repr__(self) -> str:
        return f"WeeklyHours({self._days!r})"

    def __reduce__(self):
        return (type(self), (self._days,))


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in one time zone, minus holidays (see the module docstring for the rules).

    `weekly_hours` maps weekday (0 = Monday ... 6 = Sunday) to (start, end) local times; an end of
    `time(0)` means midnight at the end of the day. Construction validates and normalises (sorted
    intervals, empty days dropped) and raises ValueError on anything invalid.
    """

    timezone: str
    weekly_hours: Mapping[int, Sequence[Interval]]
    holidays: frozenset[date] = frozenset()

    # Derived in __post_init__; not part of equality, hashing or repr.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _offsets: tuple[tuple[tuple[timedelta, timedelta], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    _wall_clock: bool = field(init=False, repr=False, compare=False)
    _cache: dict[int, tuple[_Span, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = _load_zone(self.timezone)
        days = _validate_week(self.weekly_hours)
        holidays = _validate_holidays(self.holidays)
        _set = object.__setattr__  # the dataclass is frozen; these assignments are its construction
        _set(self, "weekly_hours", WeeklyHours({d: hours for d, hours in enumerate(days) if hours}))
        _set(self, "holidays", holidays)
        _set(self, "_zone", zone)
        _set(self, "_offsets", tuple(tuple((_since_midnight(s), _until(e)) for s, e in h) for h in days))
        # Whole days back to back cover every instant in any zone (each day ends where the next begins).
        _set(self, "_wall_clock", not holidays and all(h == _WHOLE_DAY for h in days))
        _set(self, "_cache", {})

    def __reduce__(self):
        # Rebuild through the constructor: validates, and leaves the memo behind.
        return (type(self), (self.timezone, dict(self.weekly_hours), self.holidays))

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    @cache
    def always_open(cls) -> BusinessCalendar:
        """24x7 in UTC: business time is wall-clock time (for policies that don't use business hours).

        One shared instance: the calendar is immutable, and building it (validating a week of hours)
        cost more than the arithmetic of most tickets' clocks.
        """
        return cls("UTC", dict.fromkeys(range(7), _WHOLE_DAY))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from the JSON form; raise ValueError with a message naming the bad field.

        ``{"timezone": "Europe/London", "weekly_hours": {"mon": [["09:00", "17:00"]], ...},
        "holidays": ["2026-12-25"]}``. Weekday keys are mon..sun (any case), missing days are closed;
        times are "HH:MM" or "HH:MM:SS[.ffffff]", and "24:00" (only as an end) is midnight at the end
        of the day. `holidays` is optional.
        """
        if not isinstance(data, Mapping):
            raise ValueError("a business calendar must be an object with timezone, weekly_hours and holidays")
        unexpected = sorted(str(key) for key in data if key not in {"timezone", "weekly_hours", "holidays"})
        if unexpected:
            raise ValueError(f"unexpected field(s) in business calendar: {', '.join(unexpected)}")
        if "timezone" not in data:
            raise ValueError("timezone is required, e.g. 'Europe/London'")
        if "weekly_hours" not in data:
            raise ValueError("weekly_hours is required, e.g. {'mon': [['09:00', '17:00']]}")
        return cls(
            timezone=data["timezone"],
            weekly_hours=_parse_week(data["weekly_hours"]),
            holidays=_parse_holidays(data.get("holidays", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form read by `from_dict`: every weekday present (closed days are []), holidays sorted."""
        return {
            "timezone": self.timezone,
            "weekly_hours": {
                name: [[_format_time(s), _format_time(e, end=True)] for s, e in self.weekly_hours.get(d, ())]
                for d, name in enumerate(WEEKDAYS)
            },
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
        }

    # -- queries ----------------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at this instant (open at an opening, closed at a closing)."""
        instant = _naive_utc(at, "at")
        if self._wall_clock:
            return True
        opening, _ = next(self._periods_from(instant))
        return opening == instant

    def next_open(self, at: datetime) -> datetime:
        """`at` itself (in UTC) if the calendar is open then, otherwise the next opening."""
        instant = _naive_utc(at, "at")
        if self._wall_clock:
            return _aware(instant)
        opening, _ = next(self._periods_from(instant))
        return _aware(opening)

    def add_business_seconds(self, start: datetime, seconds: float | timedelta) -> datetime:
        """The instant at which `seconds` of business time have elapsed since `start`.

        Counting begins at the next opening if `start` is outside hours; `seconds == 0` returns `start`
        unchanged (in UTC). Negative amounts raise ValueError.
        """
        return _aware(self._add(_naive_utc(start, "start"), _duration(seconds, "seconds")))

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Business seconds inside [start, end); 0.0 when end <= start."""
        return self._between(_naive_utc(start, "start"), _naive_utc(end, "end")).total_seconds()

    def open_periods(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open periods inside [start, end) as UTC (opening, closing) pairs, clipped to the range."""
        first, last = _naive_utc(start, "start"), _naive_utc(end, "end")
        if last <= first:
            return
        if self._wall_clock:
            yield _aware(first), _aware(last)
            return
        for opening, closing in self._periods_from(first):
            if opening >= last:
                return
            yield _aware(opening), _aware(min(closing, last))

    # -- internals (naive UTC datetimes throughout) -------------------------------------------------

    def _add(self, start: datetime, amount: timedelta) -> datetime:
        if not amount or self._wall_clock:
            try:
                return start + amount
            except OverflowError:
                raise ValueError("business time runs past the year 9999") from None
        for opening, closing in self._periods_from(start):
            available = closing - opening
            if available >= amount:
                return opening + amount
            amount -= available
        raise AssertionError("unreachable: _periods_from never ends")  # pragma: no cover

    def _between(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return timedelta(0)
        if self._wall_clock:
            return end - start
        total = timedelta(0)
        for opening, closing in self._periods_from(start):
            if opening >= end:
                break
            total += min(closing, end) - opening
        return total

    def _periods_from(self, start: datetime) -> Iterator[_Span]:
        """Open periods ending after `start`, in order, the first clipped to begin no earlier; endless.

        Starting at the local date of `start` is enough: that date's 00:00 resolves to an instant no
        later than `start` (the clocks already read that date at `start`), so no earlier date's hours
        can reach past it. The calendar opens at least once a week and holidays are finite, so callers
        looking for a period always find one.
        """
        day = self._zone.fromutc(start.replace(tzinfo=self._zone)).date()
        while True:
            for opening, closing in self._spans(day):
                if closing > start:
                    yield max(opening, start), closing
            try:
                day += _DAY
            except OverflowError:
                raise ValueError("business time runs past the year 9999") from None

    def _spans(self, day: date) -> tuple[_Span, ...]:
        """A local date's open periods in UTC, in order, empty ones dropped (memoised)."""
        key = day.toordinal()
        spans = self._cache.get(key)
        if spans is None:
            spans = () if day in self.holidays else self._resolve_day(day)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = spans
        return spans

    def _resolve_day(self, day: date) -> tuple[_Span, ...]:
        midnight = datetime.combine(day, time(0))
        spans = []
        for start, end in self._offsets[day.weekday()]:
            try:
                opening, closing = self._to_utc(midnight + start), self._to_utc(midnight + end)
            except OverflowError:
                raise ValueError("business time runs past the year 9999") from None
            if opening < closing:  # empty when it lies inside a skipped (spring-forward) hour
                spans.append((opening, closing))
        return tuple(spans)

    def _to_utc(self, local: datetime) -> datetime:
        """The first instant at which the zone's clocks read `local` or later (naive in, naive UTC out)."""
        zone = self._zone
        # fold=0 gives the offset in force before a transition, fold=1 the one after (PEP 495).
        before, after = zone.utcoffset(local), zone.utcoffset(local.replace(fold=1))
        if before >= after:
            # Unambiguous, or repeated when clocks go back: the first occurrence is the earlier reading.
            return local - before
        # Skipped when clocks go forward: the answer is the jump itself, which lies in
        # (local - after, local - before]. Transitions fall on whole seconds, so bisect seconds; this
        # runs only for a boundary inside a gap (twice a year at most), ~12 steps for a one-hour gap.
        low = (local - after - _EPOCH) // _SECOND
        high = -((_EPOCH - (local - before)) // _SECOND)  # ceiling
        while high - low > 1:
            middle = (low + high) // 2
            instant = _EPOCH + middle * _SECOND
            if zone.fromutc(instant.replace(tzinfo=zone)).replace(tzinfo=None) >= local:
                high = middle
            else:
                low = middle
        return _EPOCH + high * _SECOND


@dataclass(frozen=True)
class Pause:
    """A stretch during which an SLA clock is stopped (ticket `pending`); `end=None` means still paused."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        start = _naive_utc(self.start, "pause start")
        if self.end is not None and _naive_utc(self.end, "pause end") < start:
            raise ValueError("a pause can't end before it starts")


def due_at(
    calendar: BusinessCalendar,
    started_at: datetime,
    target_seconds: float | timedelta,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """When a target of `target_seconds` business seconds comes due, in UTC; None while it can't be known.

    Business time counts from `started_at` and leaves out paused stretches (overlapping pauses count
    once; pause time before `started_at` is ignored). If a pause is still open and the target hadn't
    come due by the time it began, the clock is stopped and there is no due time: None. If the target
    came due before that pause began, that (breach) time stands and is returned. A target of 0 is due
    at `started_at`.
    """
    start = _naive_utc(started_at, "started_at")
    remaining = _duration(target_seconds, "target_seconds")
    if not remaining:
        return _aware(start)
    for run_start, run_end in _running(start, pauses):
        if run_end is None:
            return _aware(calendar._add(run_start, remaining))
        available = calendar._between(run_start, run_end)
        if available >= remaining:
            return _aware(calendar._add(run_start, remaining))
        remaining -= available
    return None  # stopped by a pause that is still open


def elapsed(
    calendar: BusinessCalendar,
    started_at: datetime,
    until: datetime,
    pauses: Sequence[Pause] = (),
) -> float:
    """Business seconds counted by a clock started at `started_at`, in [started_at, until), less pauses.

    A pause still open counts as lasting until `until`. 0.0 when until <= started_at.
    """
    start, stop = _naive_utc(started_at, "started_at"), _naive_utc(until, "until")
    total = timedelta(0)
    for run_start, run_end in _running(start, pauses):
        if run_start >= stop:
            break
        total += calendar._between(run_start, stop if run_end is None else min(run_end, stop))
    return total.total_seconds()


def _running(start: datetime, pauses: Iterable[Pause]) -> Iterator[tuple[datetime, datetime | None]]:
    """The stretches from `start` on while the clock runs, in order; `None` as an end means "from then
    on". Ends without such a stretch when a pause that is still open stops the clock for good."""
    stops = []
    for pause in pauses:
        if not isinstance(pause, Pause):
            raise ValueError(f"pauses must be Pause objects, not {type(pause).__name__}")
        end = None if pause.end is None else _naive_utc(pause.end, "pause end")
        if end is None or end > start:
            stops.append((_naive_utc(pause.start, "pause start"), end))  # an earlier start is harmless
    stops.sort(key=lambda stop: stop[0])
    cursor = start
    for stop_start, stop_end in stops:
        if stop_start > cursor:
            yield cursor, stop_start
        if stop_end is None:
            return
        cursor = max(cursor, stop_end)
    yield cursor, None


# -- validation and conversion helpers ---------------------------------------------------------------


def _naive_utc(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(UTC).replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _duration(value: Any, name: str) -> timedelta:
    if isinstance(value, timedelta):
        amount = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            amount = timedelta(seconds=value)
        except OverflowError:
            raise ValueError(f"{name} is too large (got {value!r})") from None
    else:
        raise ValueError(f"{name} must be a finite number of seconds, not {value!r}")
    if amount < timedelta(0):
        raise ValueError(f"{name} can't be negative (got {value!r})")
    return amount


def _load_zone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"timezone must be an IANA time zone name such as 'Europe/London', not {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown key, malformed key, directory, ...
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/London'") from None


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )


def _until(end: time) -> timedelta:
    return _DAY if end == time(0) else _since_midnight(end)  # an end of 00:00 is 24:00


def _format_time(moment: time, *, end: bool = False) -> str:
    if end and moment == time(0):
        return "24:00"
    if moment.second == 0 and moment.microsecond == 0:
        return moment.strftime("%H:%M")
    return moment.isoformat()


def _validate_week(weekly_hours: Any) -> list[tuple[Interval, ...]]:
    if not isinstance(weekly_hours, Mapping):
        raise ValueError("weekly_hours must map weekdays (0 = Monday ... 6 = Sunday) to (start, end) pairs")
    days: list[tuple[Interval, ...]] = [()] * 7
    for weekday, intervals in weekly_hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekly_hours: weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
        days[weekday] = _validate_day(f"weekly_hours.{WEEKDAYS[weekday]}", intervals)
    if not any(days):
        raise ValueError("weekly_hours: a calendar needs at least one interval of business hours in the week")
    return days


def _validate_day(where: str, intervals: Any) -> tuple[Interval, ...]:
    if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
        raise ValueError(f"{where} must be a list of (start, end) intervals")
    checked = []
    for index, interval in enumerate(intervals):
        label = f"{where}[{index}]"
        if isinstance(interval, str | bytes) or not isinstance(interval, Sequence) or len(interval) != 2:
            raise ValueError(f"{label} must be a (start, end) pair")
        start, end = interval
        for moment in (start, end):
            if not isinstance(moment, time) or moment.tzinfo is not None:
                raise ValueError(f"{label}: start and end must be local times without a zone, not {moment!r}")
        start, end = start.replace(fold=0), end.replace(fold=0)
        if _since_midnight(start) >= _until(end):
            raise ValueError(
                f"{label}: start {_format_time(start)} must be before end {_format_time(end, end=True)}"
            )
        checked.append((start, end))
    checked.sort()
    for (start, end), (next_start, next_end) in pairwise(checked):
        if _until(end) > _since_midnight(next_start):
            raise ValueError(
                f"{where}: {_format_time(start)}-{_format_time(end, end=True)} overlaps "
                f"{_format_time(next_start)}-{_format_time(next_end, end=True)}"
            )
    return tuple(checked)


def _validate_holidays(holidays: Any) -> frozenset[date]:
    if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
        raise ValueError("holidays must be a collection of dates")
    days = frozenset(holidays)
    for day in days:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValueError(f"holidays must be local dates, not {day!r}")
    return days


def _parse_week(data: Any) -> dict[int, list[Interval]]:
    if not isinstance(data, Mapping):
        raise ValueError("weekly_hours must be an object keyed by weekday: mon, tue, wed, thu, fri, sat, sun")
    week: dict[int, list[Interval]] = {}
    for key, intervals in data.items():
        name = key.lower() if isinstance(key, str) else key
        if name not in WEEKDAYS:
            raise ValueError(f"weekly_hours: unknown weekday {key!r}; use mon, tue, wed, thu, fri, sat, sun")
        weekday = WEEKDAYS.index(name)
        if weekday in week:
            raise ValueError(f"weekly_hours: {name} is given twice")
        where = f"weekly_hours.{name}"
        if isinstance(intervals, str | bytes) or not isinstance(intervals, Sequence):
            raise ValueError(f'{where} must be a list of ["HH:MM", "HH:MM"] pairs')
        week[weekday] = []
        for index, pair in enumerate(intervals):
            label = f"{where}[{index}]"
            if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ValueError(f'{label} must be a ["HH:MM", "HH:MM"] pair, not {pair!r}')
            start, end = _parse_time(pair[0], label, end=False), _parse_time(pair[1], label, end=True)
            week[weekday].append((start, end))
    return week


def _parse_time(text: Any, where: str, *, end: bool) -> time:
    match = _TIME_TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{where}: expected a time as 'HH:MM', not {text!r}")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    microsecond = int((match[4] or "").ljust(6, "0"))
    if hour == 24 and minute == second == microsecond == 0:
        if end:
            return time(0)  # midnight at the end of the day
        raise ValueError(f"{where}: 24:00 can only end an interval; a day starts at 00:00")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{where}: {text!r} is not a valid time")
    moment = time(hour, minute, second, microsecond)
    if end and moment == time(0):
        raise ValueError(f"{where}: an interval can't end at 00:00; write 24:00 for the end of the day")
    return moment


def _parse_holidays(data: Any) -> frozenset[date]:
    if isinstance(data, str | bytes) or not isinstance(data, Sequence):
        raise ValueError('holidays must be a list of dates as "YYYY-MM-DD"')
    days = set()
    for index, text in enumerate(data):
        try:
            if not isinstance(text, str) or len(text) != 10:
                raise ValueError
            days.add(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f'holidays[{index}]: expected a date as "YYYY-MM-DD", not {text!r}') from None
    return frozenset(days)
