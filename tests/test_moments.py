"""One way to show time (`app.moments`): a short and a long format per language, always in the viewer's
time zone with the zone in the long one, relative times for lists, and templates that use nothing else."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from flask import render_template_string

from app import create_app, moments
from app.extensions import db
from app.i18n import customer_locale
from app.notifications import services as notifications
from app.portal import services as portal
from tests.conftest import BASE_CONFIG, _sqlite_config
from tests.factories import AgentFactory
from tests.helpers import signed_in
from tests.test_i18n import compile_catalogs
from tests.ticket_factories import TicketFactory

APP = Path(__file__).resolve().parent.parent / "app"
NOW = datetime(2026, 12, 7, 15, 50, tzinfo=UTC)
FOUR_PM = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def formatting():
    """An app context for formatting alone (no database): `viewer(language, zone)` sets the viewer."""
    compile_catalogs()
    app = create_app({**BASE_CONFIG, **_sqlite_config()})
    with app.app_context():
        yield


viewer = customer_locale


# -- the two formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "zone", "short", "long"),
    [
        ("en", "UTC", "Dec 7, 16:00", "Dec 7, 2026, 16:00 UTC"),
        ("en", "Europe/Berlin", "Dec 7, 17:00", "Dec 7, 2026, 17:00 UTC+1"),
        ("en", "America/New_York", "Dec 7, 11:00", "Dec 7, 2026, 11:00 EST"),
        ("en", "Asia/Kolkata", "Dec 7, 21:30", "Dec 7, 2026, 21:30 UTC+5:30"),
        ("zh", "Asia/Shanghai", "12月8日 00:00", "2026年12月8日 00:00 UTC+8"),
        ("zh", "America/New_York", "12月7日 11:00", "2026年12月7日 11:00 UTC-5"),
    ],
)
def test_short_and_long_formats_in_the_viewers_zone_and_language(formatting, language, zone, short, long):
    with viewer(language, zone):
        assert moments.format_datetime(FOUR_PM, now=NOW) == short
        assert moments.format_datetime(FOUR_PM, "long", now=NOW) == long


def test_the_short_format_names_the_year_only_when_it_is_not_this_one(formatting):
    last_march = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
    with viewer("en", "UTC"):
        assert moments.format_datetime(last_march, now=NOW) == "Mar 1, 2025, 09:05"
    with viewer("zh", "UTC"):
        assert moments.format_datetime(last_march, now=NOW) == "2025年3月1日 09:05"


def test_this_year_is_the_viewers_year(formatting):
    # On New Year's Eve at 20:00 UTC it is already 2027 in Shanghai, so the afternoon before is last year.
    new_years_eve = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    afternoon = datetime(2026, 12, 31, 7, 0, tzinfo=UTC)
    with viewer("en", "UTC"):
        assert moments.format_datetime(afternoon, now=new_years_eve) == "Dec 31, 07:00"
    with viewer("en", "Asia/Shanghai"):
        assert moments.format_datetime(afternoon, now=new_years_eve) == "Dec 31, 2026, 15:00"


def test_days_and_clocks(formatting):
    with viewer("zh", "Asia/Shanghai"):
        # 23:30 UTC on 5 January is already 6 January in Shanghai; a plain date or time stays as it is.
        assert moments.format_date(datetime(2026, 1, 5, 23, 30, tzinfo=UTC)) == "2026年1月6日"
        assert moments.format_date(date(2026, 1, 5)) == "2026年1月5日"
        assert moments.format_time(FOUR_PM) == "00:00"
        assert moments.format_time(time(9, 5)) == "09:05"
    with viewer("en", "America/New_York"):
        assert moments.format_date(datetime(2026, 1, 6, 3, 30, tzinfo=UTC)) == "Jan 5, 2026"


def test_an_unknown_format_is_refused_rather_than_guessed(formatting):
    with viewer("en", "UTC"):
        for style in ("medium", "list", "%Y-%m-%d"):
            with pytest.raises(ValueError):
                moments.format_datetime(FOUR_PM, style)
            with pytest.raises(ValueError):
                moments.moment_element(FOUR_PM, style)


# -- daylight saving time ----------------------------------------------------------------------------------


def test_the_long_format_tells_the_two_half_past_ones_of_the_night_the_clocks_go_back_apart(formatting):
    with viewer("en", "America/New_York"):
        assert moments.format_datetime(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "long") == (
            "Nov 1, 2026, 01:30 EDT"
        )
        assert moments.format_datetime(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "long") == (
            "Nov 1, 2026, 01:30 EST"
        )


def test_the_clock_jumps_an_hour_when_summer_time_starts(formatting):
    with viewer("en", "Europe/Berlin"):
        before = moments.format_datetime(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "long")
        after = moments.format_datetime(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "long")
    assert (before, after) == ("Mar 29, 2026, 01:59 UTC+1", "Mar 29, 2026, 03:00 UTC+2")


def test_relative_times_count_real_time_across_a_clock_change(formatting):
    # From 00:30 to 03:30 on the wall clock of Berlin is one hour on the night summer time starts.
    with viewer("en", "Europe/Berlin"):
        text = moments.format_relative(
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC), now=datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
        )
    assert text == "in 2 hours"


# -- relative times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "english", "chinese"),
    [
        (timedelta(minutes=-5), "5 minutes ago", "5分钟前"),
        (timedelta(hours=2), "in 2 hours", "2小时后"),
        (timedelta(days=-3), "3 days ago", "3天前"),
        (timedelta(minutes=10), "in 10 minutes", "10分钟后"),
        (timedelta(seconds=-20), "just now", "刚刚"),
        (timedelta(seconds=20), "in under a minute", "不到一分钟后"),
    ],
)
def test_relative_times_in_the_past_and_the_future_in_both_languages(formatting, offset, english, chinese):
    with viewer("en", "UTC"):
        assert moments.format_relative(NOW + offset, now=NOW) == english
    with viewer("zh", "Asia/Shanghai"):
        assert moments.format_relative(NOW + offset, now=NOW) == chinese


def test_durations_are_in_words_to_the_minute(formatting):
    with viewer("en", "UTC"):
        assert moments.format_duration(timedelta(minutes=95)) == "2 hours"
        assert moments.format_duration(timedelta(seconds=10)) == "less than a minute"
    with viewer("zh", "UTC"):
        assert moments.format_duration(timedelta(minutes=5)) == "5分钟"
        assert moments.format_duration(timedelta(seconds=10)) == "不到一分钟"


def test_the_clock_alone_today_and_the_day_with_it_otherwise(formatting):
    with viewer("en", "Europe/Berlin"):
        assert moments.format_clock(FOUR_PM, now=NOW) == "17:00"
        assert moments.format_clock(FOUR_PM + timedelta(days=1), now=NOW) == "Dec 8, 17:00"
    # 16:00 UTC is past midnight in Shanghai: tomorrow there, though the same UTC day.
    with viewer("zh", "Asia/Shanghai"):
        assert moments.format_clock(FOUR_PM, now=NOW) == "12月8日 00:00"


# -- the <time> element ------------------------------------------------------------------------------------


def test_the_element_carries_the_utc_moment_and_the_long_format_as_its_title(formatting):
    with viewer("zh", "Asia/Shanghai"):
        element = moments.moment_element(FOUR_PM, "relative", now=NOW, classes="nowrap breached")
        long = moments.moment_element(FOUR_PM, "long")
    assert element == (
        '<time class="nowrap breached" datetime="2026-12-07T16:00:00+00:00" '
        'title="2026年12月8日 00:00 UTC+8">10分钟后</time>'
    )
    # The long format already says all the title would.
    assert long == '<time datetime="2026-12-07T16:00:00+00:00">2026年12月8日 00:00 UTC+8</time>'


def test_the_element_escapes_what_a_template_hands_it(formatting):
    with viewer("en", "UTC"):
        element = moments.moment_element(FOUR_PM, classes='"><script>')
    assert "<script>" not in element and "&#34;&gt;&lt;script&gt;" in element


def test_filters_render_the_viewers_formats(formatting):
    with viewer("en", "Europe/Berlin"):
        rendered = render_template_string(
            "{{ m|datetime('long') }} | {{ m|date }} | {{ m|time }} | {{ m|moment('date') }}", m=FOUR_PM
        )
    assert rendered == (
        'Dec 7, 2026, 17:00 UTC+1 | Dec 7, 2026 | 17:00 | <time datetime="2026-12-07T16:00:00+00:00" '
        'title="Dec 7, 2026, 17:00 UTC+1">Dec 7, 2026</time>'
    )


# -- one way: the templates --------------------------------------------------------------------------------

TEMPLATES = sorted(p for p in APP.rglob("templates/**/*") if p.suffix in (".html", ".txt"))
# Moments go through the filters of app.moments, and those take only its own formats.
FORBIDDEN = re.compile(r"strftime|isoformat|agent_time|format_datetime|\.tzname\(")
FILTER_ARGUMENT = re.compile(r"\|\s*(datetime|date|time|relative|moment)\s*\(\s*(?:['\"]([^'\"]*)['\"])?")
ALLOWED = {
    "datetime": set(moments.STYLES),
    "moment": {*moments.STYLES, "relative", "clock", "date", ""},  # "": keywords only
}


def test_the_templates_were_found():
    names = {p.name for p in TEMPLATES}
    assert {"show.html", "index.html", "track.html", "ticket_received.txt"} <= names


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(APP)))
def test_no_template_formats_time_its_own_way(template):
    text = template.read_text()
    assert not FORBIDDEN.findall(text), "format moments with the filters of app.moments"
    for name, style in FILTER_ARGUMENT.findall(text):
        assert style in ALLOWED.get(name, ()), f"|{name}({style!r}): not one of the formats of app.moments"


# -- pages and e-mails show a moment the same way ------------------------------------------------------------

OPENED = datetime(2026, 1, 5, 16, 30, tzinfo=UTC)


def test_the_ticket_page_and_the_list_show_one_moment_alike_for_the_agent(client):
    agent = AgentFactory(role="supervisor", language="zh", timezone="Asia/Shanghai")
    ticket = TicketFactory(created_at=OPENED, updated_at=OPENED)
    signed_in(client, agent)

    ticket_page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    row = client.get("/tickets").get_data(as_text=True).split(ticket.reference, 1)[1].split("</tr>")[0]

    # 16:30 UTC is half past midnight the next day in Shanghai.
    assert '<time datetime="2026-01-05T16:30:00+00:00">2026年1月6日 00:30 UTC+8</time>' in ticket_page
    assert 'datetime="2026-01-05T16:30:00+00:00" title="2026年1月6日 00:30 UTC+8">' in row


def test_the_tracking_page_and_the_mail_show_the_customer_one_moment_alike(client):
    ticket, token = portal.submit_web_form(
        type="question",
        name="Rosa Díaz",
        email="rosa@example.com",
        phone=None,
        description="Where is my parcel?",
        idempotency_key=portal.new_idempotency_key(),
    )
    ticket.created_at = OPENED
    ticket.customer.timezone = "America/New_York"
    db.session.commit()
    [received] = [row for row in notifications_of(ticket) if row.kind == "ticket_received"]

    tracking_page = client.get(f"/track/{token}").get_data(as_text=True)
    mail = notifications.render(received)

    assert '<time datetime="2026-01-05T16:30:00+00:00">Jan 5, 2026, 11:30 EST</time>' in tracking_page
    assert "We received your request on Jan 5, 2026, 11:30 EST" in mail.text


def notifications_of(ticket):
    return db.session.scalars(notifications.list_notifications(ticket.id))
