"""The SLA as the ticket page reads it: "First response due in 10 minutes (at 18:00)" on the viewer's
clock, "overdue by ..." once missed, in the history lines of warnings and breaches and on the SLA card,
in both languages; never a stored timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app import moments
from app.i18n import customer_locale
from app.tickets.sla import services as sla
from app.tickets.sla.words import due_phrase, event_phrase
from tests.factories import AgentFactory
from tests.helpers import signed_in
from tests.tickets.sla.sla_helpers import open_ticket, utc

MONDAY_9 = utc(2026, 1, 5, 9)  # the default first response is due at 17:00 UTC


def _visible_text(response) -> str:
    """What a reader sees: the page without its tags, spaces folded."""
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


@pytest.fixture
def berlin(app, client):
    """An English-speaking supervisor in Berlin (UTC+1 in January), signed in."""
    return signed_in(client, AgentFactory(role="supervisor", language="en", timezone="Europe/Berlin"))


@pytest.fixture
def shanghai(app, client):
    """A Chinese-speaking supervisor in Shanghai (UTC+8), signed in."""
    return signed_in(client, AgentFactory(role="supervisor", language="zh", timezone="Asia/Shanghai"))


def test_a_warning_reads_as_the_time_left_and_the_due_time_on_the_viewers_clock(berlin):
    ticket = open_ticket(MONDAY_9)
    sla.check_sla(now=utc(2026, 1, 5, 16, 50))

    text = _visible_text(berlin.get(f"/tickets/{ticket.id}"))

    assert "First response due in 10 minutes (at 18:00)" in text
    assert "2026-01-05T17:00" not in text


def test_a_breach_reads_as_how_late_it_was_noticed(berlin):
    ticket = open_ticket(MONDAY_9)
    sla.check_sla(now=utc(2026, 1, 5, 17, 5))

    text = _visible_text(berlin.get(f"/tickets/{ticket.id}"))

    assert "First response overdue by 5 minutes (due at 18:00)" in text
    assert "2026-01-05T17:00" not in text


def test_warnings_and_breaches_in_chinese_on_a_shanghai_clock(shanghai):
    ticket = open_ticket(MONDAY_9)
    sla.check_sla(now=utc(2026, 1, 5, 16, 50))
    sla.check_sla(now=utc(2026, 1, 5, 17, 5))

    text = _visible_text(shanghai.get(f"/tickets/{ticket.id}"))

    # 17:00 UTC is 01:00 the next morning in Shanghai, the day the warning came too.
    assert "首次响应10分钟后到期（01:00）" in text  # noqa: RUF001
    assert "首次响应已超时5分钟（应于01:00完成）" in text  # noqa: RUF001


def test_the_sla_card_counts_down_to_the_due_time(berlin):
    now = datetime.now(UTC)
    running = open_ticket(now - timedelta(hours=7, minutes=50))  # due in 10 minutes
    late = open_ticket(now - timedelta(hours=10))  # due two hours ago, not yet flagged
    with customer_locale("en", "Europe/Berlin"):
        due_clock = moments.format_clock(now + timedelta(minutes=10), now=now)

    running_text = _visible_text(berlin.get(f"/tickets/{running.id}"))
    late_text = _visible_text(berlin.get(f"/tickets/{late.id}"))

    # Seconds pass between opening the ticket and reading the page.
    assert re.search(rf"due in (9|10) minutes \(at {re.escape(due_clock)}\)", running_text)
    assert "overdue by 2 hours (due at " in late_text


def test_a_due_time_on_another_day_names_the_day(app):
    with customer_locale("en", "UTC"):
        phrase = due_phrase(utc(2026, 1, 6, 9), at=utc(2026, 1, 5, 16), kind="resolution")

    assert re.sub(r"<[^>]+>", "", phrase) == "Resolution due in 17 hours (at Jan 6, 09:00)"
    assert 'datetime="2026-01-06T09:00:00+00:00" title="Jan 6, 2026, 09:00 UTC"' in phrase


def test_a_breach_recorded_the_moment_it_falls_due_is_overdue_all_the_same(app):
    with customer_locale("en", "UTC"):
        phrase = due_phrase(utc(2026, 1, 5, 17), at=utc(2026, 1, 5, 17), overdue=True)

    assert re.sub(r"<[^>]+>", "", phrase) == "overdue by less than a minute (due at 17:00)"


def test_other_history_lines_and_unreadable_due_times_are_left_to_the_page(app):
    assert event_phrase(SimpleNamespace(kind="status", field=None, new_value="open")) is None
    unreadable = SimpleNamespace(kind="sla_warning", field="first_response", new_value="soon", at=MONDAY_9)
    assert event_phrase(unreadable) is None
