"""Business-hours calendars and SLA clocks, as a specification.

Dates are in 2026: Monday 5 January; London changes clocks on Sundays 29 March and 25 October, New
York on Sundays 8 March and 1 November, Santiago at midnight starting Sunday 6 September.
"""

from __future__ import annotations

import pickle
import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.tickets.sla.business_hours import BusinessCalendar, Pause, due_at, elapsed

HOUR = 3600
MINUTE = 60
DAY8 = 8 * HOUR  # a 09:00-17:00 business day


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekdays(*intervals: tuple[time, time]) -> dict[int, list[tuple[time, time]]]:
    """Monday to Friday, the same hours each day."""
    return {day: list(intervals) for day in range(5)}


def every_day(*intervals: tuple[time, time]) -> dict[int, list[tuple[time, time]]]:
    return {day: list(intervals) for day in range(7)}


NINE_TO_FIVE = (time(9), time(17))
WHOLE_DAY = (time(0), time(0))  # an end of time(0) is 24:00

OFFICE = BusinessCalendar("UTC", weekdays(NINE_TO_FIVE))
LUNCH_OFFICE = BusinessCalendar("UTC", weekdays((time(9), time(12, 30)), (time(13, 30), time(17, 30))))
LONDON = BusinessCalendar("Europe/London", weekdays(NINE_TO_FIVE))
LONDON_EVERY_DAY = BusinessCalendar("Europe/London", every_day(NINE_TO_FIVE))
NEW_YORK = BusinessCalendar("America/New_York", weekdays(NINE_TO_FIVE))
SHANGHAI = BusinessCalendar("Asia/Shanghai", weekdays((time(9), time(12)), (time(13), time(18))))


# -- weekly hours ----------------------------------------------------------------------------------


def test_open_during_weekday_hours_and_closed_at_night_and_at_weekends():
    assert OFFICE.is_open(utc(2026, 1, 5, 10))
    assert not OFFICE.is_open(utc(2026, 1, 5, 8, 59, 59))
    assert not OFFICE.is_open(utc(2026, 1, 5, 17, 30))
    assert not OFFICE.is_open(utc(2026, 1, 10, 12))  # Saturday


def test_hours_are_half_open_open_at_opening_and_closed_at_closing():
    assert OFFICE.is_open(utc(2026, 1, 5, 9))
    assert OFFICE.is_open(utc(2026, 1, 5, 16, 59, 59, 999999))
    assert not OFFICE.is_open(utc(2026, 1, 5, 17))


def test_ticket_opened_during_hours_is_due_later_the_same_day():
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 10), 4 * HOUR) == utc(2026, 1, 5, 14)


def test_ticket_opened_friday_evening_is_due_monday_morning():
    assert OFFICE.add_business_seconds(utc(2026, 1, 9, 18, 30), 2 * HOUR) == utc(2026, 1, 12, 11)


def test_time_left_at_closing_carries_over_to_the_next_morning():
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 16), 2 * HOUR) == utc(2026, 1, 6, 10)


def test_ticket_opened_before_opening_starts_counting_at_opening():
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 6), HOUR) == utc(2026, 1, 5, 10)


def test_target_running_out_exactly_at_closing_is_due_at_closing_not_next_morning():
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 15), 2 * HOUR) == utc(2026, 1, 5, 17)
    assert OFFICE.add_business_seconds(utc(2026, 1, 9, 13), 4 * HOUR) == utc(2026, 1, 9, 17)  # Friday


def test_zero_target_is_due_at_the_start_even_outside_hours():
    assert OFFICE.add_business_seconds(utc(2026, 1, 10, 12), 0) == utc(2026, 1, 10, 12)


def test_results_are_in_utc_whatever_zone_the_input_is_in():
    kolkata = timezone(timedelta(hours=5, minutes=30))
    due = OFFICE.add_business_seconds(datetime(2026, 1, 5, 15, 30, tzinfo=kolkata), HOUR)  # 10:00 UTC
    assert due == utc(2026, 1, 5, 11)
    assert due.tzinfo is UTC
    assert OFFICE.add_business_seconds(datetime(2026, 1, 5, 15, 30, tzinfo=kolkata), 0).tzinfo is UTC


def test_multi_day_target_skips_nights_and_weekends():
    # Three business days from Wednesday 10:00: Wednesday, Thursday, Friday, and Monday to 10:00.
    assert OFFICE.add_business_seconds(utc(2026, 1, 7, 10), 3 * DAY8) == utc(2026, 1, 12, 10)


def test_thirty_business_days_from_an_opening_are_due_at_the_close_of_the_thirtieth():
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 9), 30 * DAY8) == utc(2026, 2, 13, 17)


def test_fractional_seconds_are_kept_to_the_microsecond():
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 9), 1.5) == utc(2026, 1, 5, 9, 0, 1, 500000)
    assert OFFICE.add_business_seconds(utc(2026, 1, 5, 9), timedelta(minutes=90)) == utc(2026, 1, 5, 10, 30)


def test_business_seconds_between_counts_only_open_time():
    assert OFFICE.business_seconds_between(utc(2026, 1, 9, 16), utc(2026, 1, 12, 10)) == 2 * HOUR
    assert OFFICE.business_seconds_between(utc(2026, 1, 5), utc(2026, 1, 12)) == 5 * DAY8
    assert OFFICE.business_seconds_between(utc(2026, 1, 10), utc(2026, 1, 11)) == 0  # a weekend day


def test_business_seconds_between_is_zero_when_end_is_not_after_start():
    assert OFFICE.business_seconds_between(utc(2026, 1, 5, 12), utc(2026, 1, 5, 12)) == 0
    assert OFFICE.business_seconds_between(utc(2026, 1, 5, 12), utc(2026, 1, 5, 10)) == 0


def test_next_open_is_the_instant_itself_during_hours_and_the_next_opening_otherwise():
    assert OFFICE.next_open(utc(2026, 1, 5, 12, 34)) == utc(2026, 1, 5, 12, 34)
    assert OFFICE.next_open(utc(2026, 1, 9, 17)) == utc(2026, 1, 12, 9)
    assert OFFICE.next_open(utc(2026, 1, 10, 12)) == utc(2026, 1, 12, 9)


def test_open_periods_lists_the_open_time_inside_a_range():
    assert list(OFFICE.open_periods(utc(2026, 1, 9, 12), utc(2026, 1, 12, 10))) == [
        (utc(2026, 1, 9, 12), utc(2026, 1, 9, 17)),
        (utc(2026, 1, 12, 9), utc(2026, 1, 12, 10)),
    ]


# -- lunch breaks -------------------------------------------------------------------------------


def test_lunch_break_is_closed_and_not_counted():
    assert not LUNCH_OFFICE.is_open(utc(2026, 1, 5, 12, 45))
    assert LUNCH_OFFICE.business_seconds_between(utc(2026, 1, 5, 12), utc(2026, 1, 5, 14)) == HOUR
    assert LUNCH_OFFICE.business_seconds_between(utc(2026, 1, 5), utc(2026, 1, 6)) == 7.5 * HOUR


def test_target_spanning_lunch_is_due_an_hour_later():
    assert LUNCH_OFFICE.add_business_seconds(utc(2026, 1, 5, 11, 30), 2 * HOUR) == utc(2026, 1, 5, 14, 30)


def test_ticket_opened_during_lunch_starts_counting_after_lunch():
    assert LUNCH_OFFICE.add_business_seconds(utc(2026, 1, 5, 13), 30 * MINUTE) == utc(2026, 1, 5, 14)


# -- holidays ----------------------------------------------------------------------------------------


def test_holidays_are_closed_all_day_and_push_the_due_time():
    christmas = BusinessCalendar(
        "UTC", weekdays(NINE_TO_FIVE), frozenset({date(2026, 12, 25), date(2026, 12, 28)})
    )
    assert not christmas.is_open(utc(2026, 12, 25, 10))
    # Thursday 24th 16:00 + 2h: one hour on Thursday, then Friday (holiday), the weekend, Monday (holiday).
    assert christmas.add_business_seconds(utc(2026, 12, 24, 16), 2 * HOUR) == utc(2026, 12, 29, 10)
    assert christmas.business_seconds_between(utc(2026, 12, 21), utc(2027, 1, 4)) == 8 * DAY8


def test_holidays_are_dates_in_the_calendars_own_time_zone():
    national_day = BusinessCalendar(SHANGHAI.timezone, SHANGHAI.weekly_hours, frozenset({date(2026, 10, 1)}))
    # Wednesday 30 September 17:00 in Shanghai is 09:00 UTC; Thursday 1 October is a holiday there.
    assert national_day.add_business_seconds(utc(2026, 9, 30, 9), 2 * HOUR) == utc(2026, 10, 2, 2)
    assert national_day.business_seconds_between(utc(2026, 9, 30, 16), utc(2026, 10, 1, 16)) == 0


# -- time zones ----------------------------------------------------------------------------------


def test_shanghai_calendar_counts_its_local_hours_from_utc_input():
    # Monday 00:00 UTC is 08:00 in Shanghai: 09:00-12:00 and 13:00-14:00 local, due 06:00 UTC.
    assert SHANGHAI.add_business_seconds(utc(2026, 1, 5, 0), 4 * HOUR) == utc(2026, 1, 5, 6)
    assert SHANGHAI.is_open(utc(2026, 1, 5, 1))  # 09:00 local
    assert not SHANGHAI.is_open(utc(2026, 1, 5, 4, 30))  # lunch, 12:30 local


def test_late_sunday_in_utc_is_monday_morning_in_shanghai():
    assert SHANGHAI.next_open(utc(2026, 1, 4, 23, 30)) == utc(2026, 1, 5, 1)


def test_friday_afternoon_in_shanghai_is_friday_morning_in_utc():
    # Friday 17:00 local (09:00 UTC) + 2h: one hour on Friday, then Monday 09:00-10:00 local.
    assert SHANGHAI.add_business_seconds(utc(2026, 1, 9, 9), 2 * HOUR) == utc(2026, 1, 12, 2)


# -- daylight saving time ------------------------------------------------------------------------------


def test_london_business_day_moves_in_utc_with_the_clocks():
    assert list(LONDON_EVERY_DAY.open_periods(utc(2026, 3, 28), utc(2026, 3, 30))) == [
        (utc(2026, 3, 28, 9), utc(2026, 3, 28, 17)),  # GMT
        (utc(2026, 3, 29, 8), utc(2026, 3, 29, 16)),  # BST from 01:00 UTC that morning
    ]


@pytest.mark.parametrize(
    ("saturday_13_local", "sunday_13_local", "utc_hours_apart"),
    [
        (utc(2026, 3, 28, 13), utc(2026, 3, 29, 12), 23),  # spring forward
        (utc(2026, 10, 24, 12), utc(2026, 10, 25, 13), 25),  # fall back
    ],
)
def test_eight_business_hours_stay_eight_across_a_london_clock_change(
    saturday_13_local, sunday_13_local, utc_hours_apart
):
    # Saturday 13:00 to Sunday 13:00 local is 4 + 4 business hours, though 23 or 25 hours pass in UTC.
    assert LONDON_EVERY_DAY.add_business_seconds(saturday_13_local, DAY8) == sunday_13_local
    assert LONDON_EVERY_DAY.business_seconds_between(saturday_13_local, sunday_13_local) == DAY8
    assert sunday_13_local - saturday_13_local == timedelta(hours=utc_hours_apart)


def test_london_spring_forward_sunday_is_still_eight_business_hours():
    assert LONDON_EVERY_DAY.business_seconds_between(utc(2026, 3, 29), utc(2026, 3, 30)) == DAY8
    # Saturday 16:00 GMT + 2h: an hour on Saturday, then 09:00-10:00 BST, which is 08:00-09:00 UTC.
    assert LONDON_EVERY_DAY.add_business_seconds(utc(2026, 3, 28, 16), 2 * HOUR) == utc(2026, 3, 29, 9)


def test_london_ticket_opened_before_spring_forward_is_due_in_summer_time():
    # Friday 13:00 GMT + 8h: four hours on Friday, then Monday 09:00-13:00 BST, i.e. 12:00 UTC.
    assert LONDON.add_business_seconds(utc(2026, 3, 27, 13), DAY8) == utc(2026, 3, 30, 12)


def test_london_ticket_opened_before_fall_back_is_due_in_winter_time():
    # Friday 16:00 BST (15:00 UTC) + 2h: an hour on Friday, then Monday 09:00-10:00 GMT.
    assert LONDON.add_business_seconds(utc(2026, 10, 23, 15), 2 * HOUR) == utc(2026, 10, 26, 10)


def test_new_york_ticket_opened_before_spring_forward_is_due_in_daylight_time():
    # Friday 16:00 EST (21:00 UTC) + 4h: an hour on Friday, then Monday 09:00-12:00 EDT, i.e. 16:00 UTC.
    assert NEW_YORK.add_business_seconds(utc(2026, 3, 6, 21), 4 * HOUR) == utc(2026, 3, 9, 16)
    assert list(NEW_YORK.open_periods(utc(2026, 3, 9), utc(2026, 3, 10))) == [
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 21))
    ]


def test_new_york_ticket_opened_before_fall_back_is_due_in_standard_time():
    # Friday 16:00 EDT (20:00 UTC) + 4h: an hour on Friday, then Monday 09:00-12:00 EST, i.e. 17:00 UTC.
    assert NEW_YORK.add_business_seconds(utc(2026, 10, 30, 20), 4 * HOUR) == utc(2026, 11, 2, 17)
    assert NEW_YORK.business_seconds_between(utc(2026, 10, 30, 20), utc(2026, 11, 2, 17)) == 4 * HOUR


@pytest.mark.parametrize(
    ("zone", "sunday", "hours"),
    [
        ("Europe/London", date(2026, 3, 29), 23),
        ("Europe/London", date(2026, 10, 25), 25),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
    ],
)
def test_round_the_clock_hours_on_a_clock_change_day_last_23_or_25_hours(zone, sunday, hours):
    calendar = BusinessCalendar(zone, every_day(WHOLE_DAY), frozenset({date(2099, 1, 1)}))
    local_midnight = datetime.combine(sunday, time(0))
    start = local_midnight.replace(tzinfo=ZoneInfo(zone))
    end = (local_midnight + timedelta(days=1)).replace(tzinfo=ZoneInfo(zone))
    assert calendar.business_seconds_between(start, end) == hours * HOUR


def test_hours_partly_inside_the_skipped_hour_open_when_the_clocks_jump():
    # London skips 01:00-02:00 GMT on 29 March: 00:30-03:00 is 00:30-02:00 UTC, an hour and a half.
    night = BusinessCalendar("Europe/London", {6: [(time(0, 30), time(3))]})
    assert night.business_seconds_between(utc(2026, 3, 29), utc(2026, 3, 30)) == 1.5 * HOUR
    assert night.business_seconds_between(utc(2026, 3, 22), utc(2026, 3, 23)) == 2.5 * HOUR  # a week earlier
    late = BusinessCalendar("Europe/London", {6: [(time(1, 30), time(4))]})
    assert late.next_open(utc(2026, 3, 29)) == utc(2026, 3, 29, 1)  # 02:00 BST, when the clocks jump


def test_hours_entirely_inside_the_skipped_hour_are_closed_that_day():
    ghost = BusinessCalendar("Europe/London", {6: [(time(1, 15), time(1, 45))]})
    assert ghost.business_seconds_between(utc(2026, 3, 29), utc(2026, 3, 30)) == 0
    assert ghost.next_open(utc(2026, 3, 29)) == utc(2026, 4, 5, 0, 15)  # the next Sunday, BST


def test_hours_inside_the_repeated_hour_are_its_first_occurrence():
    # On 25 October London's 01:00-02:00 happens twice; 01:00-01:30 is the BST one, 00:00-00:30 UTC.
    repeated = BusinessCalendar("Europe/London", {6: [(time(1), time(1, 30))]})
    assert list(repeated.open_periods(utc(2026, 10, 25), utc(2026, 10, 26))) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30))
    ]


def test_a_day_whose_midnight_does_not_exist_starts_when_the_clocks_jump():
    # Santiago goes from Saturday 24:00 (-04) straight to Sunday 01:00 (-03) at 04:00 UTC on 6 September.
    weekend = BusinessCalendar("America/Santiago", {5: [WHOLE_DAY], 6: [WHOLE_DAY]})
    assert list(weekend.open_periods(utc(2026, 9, 5), utc(2026, 9, 8))) == [
        (utc(2026, 9, 5, 4), utc(2026, 9, 6, 4)),  # Saturday, 24 hours
        (utc(2026, 9, 6, 4), utc(2026, 9, 7, 3)),  # Sunday, 23 hours
    ]


# -- pauses (ticket pending) -----------------------------------------------------------------------------

OPENED = utc(2026, 1, 5, 9)  # Monday, at opening: a 4h target is due at 13:00 without pauses


def test_without_pauses_the_due_time_is_plain_business_time():
    assert due_at(OFFICE, OPENED, 4 * HOUR) == utc(2026, 1, 5, 13)


def test_pending_stops_the_clock_and_pushes_the_due_time_back():
    pending = Pause(utc(2026, 1, 5, 10), utc(2026, 1, 5, 11, 30))
    assert due_at(OFFICE, OPENED, 4 * HOUR, [pending]) == utc(2026, 1, 5, 14, 30)


def test_overnight_pause_only_holds_back_the_business_hours_it_covers():
    # Pending Monday 16:00 to Tuesday 10:00 covers two business hours: 8h are due Tuesday 11:00.
    pause = Pause(utc(2026, 1, 5, 16), utc(2026, 1, 6, 10))
    assert due_at(OFFICE, OPENED, DAY8, [pause]) == utc(2026, 1, 6, 11)


def test_pause_outside_business_hours_changes_nothing():
    night = Pause(utc(2026, 1, 5, 18), utc(2026, 1, 6, 8))
    assert due_at(OFFICE, utc(2026, 1, 5, 15), 4 * HOUR, [night]) == utc(2026, 1, 6, 11)


def test_ticket_pending_now_has_no_due_time():
    assert due_at(OFFICE, OPENED, 4 * HOUR, [Pause(utc(2026, 1, 5, 10))]) is None


def test_ticket_pending_since_it_opened_has_no_due_time():
    assert due_at(OFFICE, OPENED, 4 * HOUR, [Pause(OPENED)]) is None


def test_target_breached_before_the_ticket_went_pending_keeps_its_due_time():
    assert due_at(OFFICE, OPENED, HOUR, [Pause(utc(2026, 1, 5, 14))]) == utc(2026, 1, 5, 10)


def test_resumed_ticket_is_due_again_with_the_time_it_had_left():
    # An hour counted before going pending Monday 10:00; resumed Tuesday 09:00 with 3h left.
    pending = Pause(utc(2026, 1, 5, 10), utc(2026, 1, 6, 9))
    assert due_at(OFFICE, OPENED, 4 * HOUR, [pending]) == utc(2026, 1, 6, 12)


def test_overlapping_pauses_count_once():
    overlapping = [
        Pause(utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 12)),
        Pause(utc(2026, 1, 5, 10), utc(2026, 1, 5, 11)),
    ]
    assert due_at(OFFICE, OPENED, 4 * HOUR, overlapping) == utc(2026, 1, 5, 15)
    assert elapsed(OFFICE, OPENED, utc(2026, 1, 5, 15), overlapping) == 4 * HOUR


def test_pause_time_before_the_clock_started_is_ignored():
    last_friday = Pause(utc(2026, 1, 2, 10), utc(2026, 1, 2, 12))
    assert due_at(OFFICE, OPENED, 4 * HOUR, [last_friday]) == utc(2026, 1, 5, 13)
    since_before_opening = Pause(utc(2026, 1, 5, 8), utc(2026, 1, 5, 10))
    assert due_at(OFFICE, OPENED, 4 * HOUR, [since_before_opening]) == utc(2026, 1, 5, 14)


def test_zero_target_is_due_when_the_clock_starts():
    assert due_at(OFFICE, utc(2026, 1, 10, 12), 0) == utc(2026, 1, 10, 12)


def test_elapsed_counts_business_time_and_leaves_out_pauses():
    pause = Pause(utc(2026, 1, 5, 10), utc(2026, 1, 5, 11, 30))
    assert elapsed(OFFICE, OPENED, utc(2026, 1, 5, 15)) == 6 * HOUR
    assert elapsed(OFFICE, OPENED, utc(2026, 1, 5, 15), [pause]) == 4.5 * HOUR
    assert elapsed(OFFICE, utc(2026, 1, 9, 16), utc(2026, 1, 12, 10), []) == 2 * HOUR  # over a weekend


def test_elapsed_stops_counting_at_an_open_pause():
    assert elapsed(OFFICE, OPENED, utc(2026, 1, 5, 16), [Pause(utc(2026, 1, 5, 14))]) == 5 * HOUR


def test_elapsed_is_zero_until_the_clock_starts():
    assert elapsed(OFFICE, OPENED, OPENED) == 0
    assert elapsed(OFFICE, OPENED, utc(2026, 1, 5, 8)) == 0


def test_a_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="can't end before it starts"):
        Pause(utc(2026, 1, 5, 12), utc(2026, 1, 5, 11))


# -- always open -------------------------------------------------------------------------------


def test_always_open_calendar_is_wall_clock_time():
    always = BusinessCalendar.always_open()
    rng = random.Random(7)
    for _ in range(200):
        start = utc(2026, 1, 1) + timedelta(seconds=rng.randrange(366 * 86400))
        amount = rng.randrange(40 * 86400)
        assert always.add_business_seconds(start, amount) == start + timedelta(seconds=amount)
        assert always.business_seconds_between(start, start + timedelta(seconds=amount)) == amount
        assert always.is_open(start)
        assert always.next_open(start) == start


def test_round_the_clock_hours_in_any_zone_are_wall_clock_time_too():
    # With a holiday far away the calendar can't take the wall-clock shortcut and resolves every
    # local day, across both of London's clock changes: it must still agree with plain arithmetic.
    london = BusinessCalendar("Europe/London", every_day(WHOLE_DAY), frozenset({date(2099, 1, 1)}))
    rng = random.Random(11)
    for _ in range(300):
        start = utc(2026, 1, 1) + timedelta(seconds=rng.randrange(366 * 86400))
        amount = rng.randrange(20 * 86400)
        assert london.add_business_seconds(start, amount) == start + timedelta(seconds=amount)
        assert london.business_seconds_between(start, start + timedelta(seconds=amount)) == amount


def test_always_open_calendar_in_json():
    assert BusinessCalendar.always_open().to_dict() == {
        "timezone": "UTC",
        "weekly_hours": {
            day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "holidays": [],
    }


# -- JSON form ---------------------------------------------------------------------------------------

LONDON_JSON = {
    "timezone": "Europe/London",
    "weekly_hours": {
        "mon": [["13:30", "17:30"], ["09:00", "12:30"]],
        "tue": [["09:00", "17:30"]],
        "wed": [],
        "fri": [["08:30:15", "24:00"]],
    },
    "holidays": ["2026-12-28", "2026-12-25"],
}


def test_from_dict_reads_weekday_names_times_and_midnight_as_24_00():
    calendar = BusinessCalendar.from_dict(LONDON_JSON)
    assert calendar == BusinessCalendar(
        "Europe/London",
        {
            0: [(time(9), time(12, 30)), (time(13, 30), time(17, 30))],
            1: [(time(9), time(17, 30))],
            4: [(time(8, 30, 15), time(0))],
        },
        frozenset({date(2026, 12, 25), date(2026, 12, 28)}),
    )


def test_to_dict_lists_every_weekday_sorted_intervals_and_sorted_holidays():
    assert BusinessCalendar.from_dict(LONDON_JSON).to_dict() == {
        "timezone": "Europe/London",
        "weekly_hours": {
            "mon": [["09:00", "12:30"], ["13:30", "17:30"]],
            "tue": [["09:00", "17:30"]],
            "wed": [],
            "thu": [],
            "fri": [["08:30:15", "24:00"]],
            "sat": [],
            "sun": [],
        },
        "holidays": ["2026-12-25", "2026-12-28"],
    }


def test_json_form_round_trips():
    calendar = BusinessCalendar.from_dict(LONDON_JSON)
    again = BusinessCalendar.from_dict(calendar.to_dict())
    assert again == calendar
    assert hash(again) == hash(calendar)
    assert again.to_dict() == calendar.to_dict()


def test_weekday_names_are_case_insensitive_and_holidays_optional():
    calendar = BusinessCalendar.from_dict({"timezone": "UTC", "weekly_hours": {"Mon": [["09:00", "17:00"]]}})
    assert calendar == BusinessCalendar("UTC", {0: [NINE_TO_FIVE]})


def test_calendars_survive_pickling_and_their_hours_are_read_only():
    calendar = BusinessCalendar.from_dict(LONDON_JSON)
    calendar.add_business_seconds(utc(2026, 1, 5), HOUR)  # fills the memo, which must not matter
    assert pickle.loads(pickle.dumps(calendar)) == calendar
    with pytest.raises(TypeError):
        calendar.weekly_hours[2] = [NINE_TO_FIVE]


def _with(**changes):
    data = {"timezone": "Europe/London", "weekly_hours": {"mon": [["09:00", "17:00"]]}}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(timezone="Europe/Atlantis"), "unknown time zone 'Europe/Atlantis'"),
        (_with(timezone="Europe"), "unknown time zone 'Europe'"),
        (_with(timezone=""), "timezone must be an IANA time zone name"),
        (_with(timezone=None), "timezone must be an IANA time zone name"),
        ({"weekly_hours": {"mon": [["09:00", "17:00"]]}}, "timezone is required"),
        ({"timezone": "UTC"}, "weekly_hours is required"),
        (_with(colour="blue"), r"unexpected field\(s\) in business calendar: colour"),
        (_with(weekly_hours={"mon": [["9am", "5pm"]]}), r"weekly_hours.mon\[0\]: expected a time as 'HH:MM'"),
        (
            _with(weekly_hours={"mon": [["09:00", "25:00"]]}),
            r"weekly_hours.mon\[0\]: '25:00' is not a valid time",
        ),
        (_with(weekly_hours={"mon": [["09:61", "17:00"]]}), "'09:61' is not a valid time"),
        (
            _with(weekly_hours={"mon": [["17:00", "09:00"]]}),
            r"mon\[0\]: start 17:00 must be before end 09:00",
        ),
        (_with(weekly_hours={"mon": [["09:00", "09:00"]]}), "start 09:00 must be before end 09:00"),
        (
            _with(weekly_hours={"tue": [["09:00", "13:00"], ["12:00", "17:00"]]}),
            "weekly_hours.tue: 09:00-13:00 overlaps 12:00-17:00",
        ),
        (_with(weekly_hours={"mon": [["24:00", "24:00"]]}), "24:00 can only end an interval"),
        (_with(weekly_hours={"mon": [["22:00", "00:00"]]}), "write 24:00 for the end of the day"),
        (
            _with(weekly_hours={"mon": [["09:00"]]}),
            r"weekly_hours.mon\[0\] must be a \[\"HH:MM\", \"HH:MM\"\] pair",
        ),
        (_with(weekly_hours={"mon": "09:00-17:00"}), "weekly_hours.mon must be a list"),
        (_with(weekly_hours={"monday": []}), "unknown weekday 'monday'"),
        (_with(weekly_hours={"mon": [["09:00", "17:00"]], "MON": []}), "mon is given twice"),
        (_with(weekly_hours={}), "at least one interval of business hours"),
        (_with(weekly_hours={"mon": [], "sat": []}), "at least one interval of business hours"),
        (_with(weekly_hours=[["09:00", "17:00"]]), "weekly_hours must be an object keyed by weekday"),
        (_with(holidays=["25/12/2026"]), r"holidays\[0\]: expected a date as \"YYYY-MM-DD\""),
        (_with(holidays=["2026-02-30"]), r"holidays\[0\]"),
        (_with(holidays="2026-12-25"), "holidays must be a list"),
        ("Europe/London", "must be an object"),
    ],
)
def test_invalid_json_is_rejected_with_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_dict(data)


@pytest.mark.parametrize(
    ("weekly_hours", "holidays", "message"),
    [
        ({7: [NINE_TO_FIVE]}, frozenset(), "weekday must be 0 \\(Monday\\) to 6 \\(Sunday\\), not 7"),
        ({"mon": [NINE_TO_FIVE]}, frozenset(), "weekday must be 0"),
        ({0: [("09:00", "17:00")]}, frozenset(), "must be local times without a zone"),
        ({0: [(time(9, tzinfo=UTC), time(17))]}, frozenset(), "must be local times without a zone"),
        ({0: [(time(9), time(12)), (time(11), time(0))]}, frozenset(), "09:00-12:00 overlaps 11:00-24:00"),
        ({0: []}, frozenset(), "at least one interval"),
        ({0: [NINE_TO_FIVE]}, frozenset({datetime(2026, 12, 25)}), "holidays must be local dates"),
    ],
)
def test_invalid_calendars_are_rejected_when_built_in_python_too(weekly_hours, holidays, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("UTC", weekly_hours, holidays)


# -- input checks --------------------------------------------------------------------------------------

NAIVE = datetime(2026, 1, 5, 10)
AWARE = utc(2026, 1, 5, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda: OFFICE.is_open(NAIVE),
        lambda: OFFICE.next_open(NAIVE),
        lambda: OFFICE.add_business_seconds(NAIVE, HOUR),
        lambda: OFFICE.business_seconds_between(NAIVE, AWARE),
        lambda: OFFICE.business_seconds_between(AWARE, NAIVE),
        lambda: due_at(OFFICE, NAIVE, HOUR),
        lambda: elapsed(OFFICE, AWARE, NAIVE),
        lambda: Pause(NAIVE),
        lambda: Pause(AWARE, NAIVE),
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call()


@pytest.mark.parametrize("amount", [-1, float("nan"), float("inf"), "3600", None, True])
def test_amounts_must_be_finite_non_negative_seconds(amount):
    with pytest.raises(ValueError, match="seconds"):
        OFFICE.add_business_seconds(AWARE, amount)


# -- properties over many generated cases ---------------------------------------------------------------

PROPERTY_CALENDARS = {
    "london office with lunch and holidays": BusinessCalendar(
        "Europe/London",
        weekdays((time(9), time(12, 30)), (time(13, 30), time(17, 30))),
        frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25), date(2026, 12, 28)}),
    ),
    "new york office": NEW_YORK,
    "shanghai office": SHANGHAI,
    "london nights across the clock changes": BusinessCalendar(
        "Europe/London", {5: [(time(22), time(0))], 6: [(time(0), time(3)), (time(20, 15), time(23, 59, 59))]}
    ),
    "santiago weekends": BusinessCalendar("America/Santiago", {5: [WHOLE_DAY], 6: [WHOLE_DAY]}),
}


def _instant(rng: random.Random) -> datetime:
    return utc(2026, 1, 1) + timedelta(seconds=rng.randrange(366 * 86400), microseconds=rng.randrange(10**6))


def _amount(rng: random.Random) -> float:
    scale = rng.choice([0, MINUTE, HOUR, DAY8, 20 * DAY8])
    return rng.randrange(scale * 10**6 + 1) / 10**6  # whole microseconds, like timedelta


@pytest.mark.parametrize("name", PROPERTY_CALENDARS)
def test_adding_business_time_then_measuring_it_gives_it_back(name):
    calendar = PROPERTY_CALENDARS[name]
    rng = random.Random(f"add-then-measure {name}")
    for _ in range(300):
        start, amount = _instant(rng), _amount(rng)
        due = calendar.add_business_seconds(start, amount)
        assert due >= start
        assert calendar.business_seconds_between(start, due) == pytest.approx(amount, abs=1e-6)
        if amount:  # due the moment the last business microsecond is used, never later
            assert calendar.is_open(due - timedelta(microseconds=1))


@pytest.mark.parametrize("name", PROPERTY_CALENDARS)
def test_measuring_business_time_then_adding_it_lands_on_or_before_the_end(name):
    calendar = PROPERTY_CALENDARS[name]
    rng = random.Random(f"measure-then-add {name}")
    for _ in range(300):
        start = _instant(rng)
        end = start + timedelta(seconds=rng.randrange(30 * 86400))
        due = calendar.add_business_seconds(start, calendar.business_seconds_between(start, end))
        assert due <= end
        assert calendar.business_seconds_between(due, end) == 0  # only closed time in between
        if calendar.is_open(end):
            assert due == end


@pytest.mark.parametrize("name", PROPERTY_CALENDARS)
def test_adding_in_two_steps_is_adding_the_sum(name):
    calendar = PROPERTY_CALENDARS[name]
    rng = random.Random(f"two-steps {name}")
    for _ in range(200):
        start, first, second = _instant(rng), rng.randrange(1, 5 * DAY8), rng.randrange(1, 5 * DAY8)
        in_two_steps = calendar.add_business_seconds(calendar.add_business_seconds(start, first), second)
        assert in_two_steps == calendar.add_business_seconds(start, first + second)


@pytest.mark.parametrize("name", PROPERTY_CALENDARS)
def test_due_time_is_when_the_paused_clock_has_counted_the_target(name):
    calendar = PROPERTY_CALENDARS[name]
    rng = random.Random(f"pauses {name}")
    for _ in range(200):
        started = _instant(rng)
        pauses = []
        for _ in range(rng.randrange(4)):
            pause_start = started + timedelta(seconds=rng.randrange(-86400, 20 * 86400))
            pauses.append(Pause(pause_start, pause_start + timedelta(seconds=rng.randrange(1, 5 * 86400))))
        target = rng.randrange(1, 10 * DAY8)
        due = due_at(calendar, started, target, pauses)
        assert elapsed(calendar, started, due, pauses) == target
        assert elapsed(calendar, started, due - timedelta(microseconds=1), pauses) < target


# -- long targets ---------------------------------------------------------------------------------


def test_ninety_business_days_land_on_the_right_summer_friday():
    calendar = BusinessCalendar("Europe/London", weekdays((time(9), time(12)), (time(13), time(17))))
    due = calendar.add_business_seconds(utc(2026, 1, 5, 9), 90 * 7 * HOUR)
    assert due == utc(2026, 5, 8, 16)  # Friday 17:00 BST: 18 weeks, the last day in summer time
