"""Business-hours calendars and SLA policies in the browser, with the API's rules and versions."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.tickets.sla import services
from app.tickets.sla.models import Calendar, SlaPolicy
from tests.helpers import csrf_token_from, post_form, signed_in, version_shown
from tests.ticket_factories import CalendarFactory, QueueFactory, SlaPolicyFactory


@pytest.fixture
def browser(client, supervisor):
    return signed_in(client, supervisor)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _calendar(name: str) -> Calendar | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Calendar).where(Calendar.name == name))


def _policy(name: str) -> SlaPolicy | None:
    db.session.expire_all()
    return db.session.scalar(db.select(SlaPolicy).where(SlaPolicy.name == name))


# -- calendars --------------------------------------------------------------------------------------


def test_weekly_hours_are_rows_of_opening_and_closing_times_per_weekday(browser):
    answer = post_form(
        browser,
        "/settings/calendars/new",
        name="Shanghai office",
        timezone="Asia/Shanghai",
        **{"mon-0-opens": "09:00", "mon-0-closes": "12:00", "mon-1-opens": "13:00", "mon-1-closes": "18:00"},
        **{"sat-0-opens": "10:00", "sat-0-closes": "24:00"},
        **{"holidays-0-day": "2027-01-01", "holidays-0-name": "New Year", "holidays-1-day": "2027-02-06"},
    )

    assert answer.status_code == 302
    calendar = _calendar("Shanghai office")
    assert calendar.timezone == "Asia/Shanghai"
    assert calendar.weekly_hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert calendar.weekly_hours["sat"] == [["10:00", "24:00"]] and calendar.weekly_hours["tue"] == []
    assert calendar.holidays == ["2027-01-01", "2027-02-06"]
    assert calendar.holiday_names == {"2027-01-01": "New Year"}
    assert "2027-01-01 New Year, 2027-02-06" in _text(browser.get("/settings/calendars"))


def test_the_editor_shows_each_days_hours_and_a_free_row_to_add_one(browser):
    calendar = CalendarFactory(name="Office")

    page = _text(browser.get(f"/settings/calendars/{calendar.id}"))

    assert 'name="mon-0-opens"' in page and 'value="09:00"' in page
    assert 'name="mon-1-opens"' in page  # the free row
    assert 'name="sat-0-opens"' in page and 'name="sat-1-opens"' not in page
    assert "Monday" in page


def test_a_holiday_taken_out_on_the_page_takes_its_name_with_it(browser, supervisor):
    calendar = services.create_calendar(
        name="Office",
        timezone="UTC",
        weekly_hours={"mon": [["09:00", "17:00"]]},
        holidays=["2026-12-25", "2026-12-26"],
        holiday_names={"2026-12-25": "Christmas Day", "2026-12-26": "Boxing Day"},
        actor=supervisor,
    )
    path = f"/settings/calendars/{calendar.id}"
    page = _text(browser.get(path))
    assert 'value="Christmas Day"' in page and 'value="Boxing Day"' in page

    answer = browser.post(
        path,
        data={
            "csrf_token": csrf_token_from(page),
            "version": version_shown(page),
            "name": "Office",
            "timezone": "UTC",
            "mon-0-opens": "09:00",
            "mon-0-closes": "17:00",
            "holidays-0-day": "2026-12-25",
            "holidays-0-name": "Christmas Day",
        },
    )

    assert answer.status_code == 302
    stored = _calendar("Office")
    assert stored.holidays == ["2026-12-25"] and stored.holiday_names == {"2026-12-25": "Christmas Day"}


def test_hours_the_engine_refuses_come_back_with_its_message_and_the_rows_as_typed(browser):
    answer = post_form(
        browser,
        "/settings/calendars/new",
        name="Backwards",
        timezone="UTC",
        **{"mon-0-opens": "17:00", "mon-0-closes": "09:00"},
    )

    page = _text(answer)
    assert answer.status_code == 422
    assert "weekly_hours" in page and 'value="17:00"' in page
    assert _calendar("Backwards") is None


def test_a_calendar_in_use_cannot_be_deleted_and_the_page_says_why(browser):
    calendar = CalendarFactory(name="Office")
    SlaPolicyFactory(name="Gold", calendar_id=calendar.id, first_response_seconds=3600)
    path = f"/settings/calendars/{calendar.id}/delete"
    page = _text(browser.get(path))
    assert "cannot be deleted" in page

    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": version_shown(page)})

    assert answer.status_code == 409
    assert "The calendar is used by SLA policies: Gold." in _text(answer)
    assert _calendar("Office") is not None


def test_an_unused_calendar_is_deleted_after_the_confirmation(browser):
    calendar = CalendarFactory(name="Office")
    path = f"/settings/calendars/{calendar.id}/delete"
    page = _text(browser.get(path))

    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": version_shown(page)})

    assert answer.status_code == 302
    assert _calendar("Office") is None


def test_a_stale_calendar_edit_shows_the_stored_hours_beside_the_typed_ones(browser, supervisor):
    calendar = CalendarFactory(name="Office")
    path = f"/settings/calendars/{calendar.id}"
    page = _text(browser.get(path))
    services.update_calendar(calendar.id, {"timezone": "Europe/Paris"}, actor=supervisor)

    answer = browser.post(
        path,
        data={
            "csrf_token": csrf_token_from(page),
            "version": version_shown(page),
            "name": "Office",
            "timezone": "Europe/London",
            "mon-0-opens": "08:00",
            "mon-0-closes": "16:00",
        },
    )

    page = _text(answer)
    assert answer.status_code == 409
    assert "Someone changed this meanwhile" in page and "Europe/Paris" in page
    assert 'value="08:00"' in page
    assert _calendar("Office").timezone == "Europe/Paris"


# -- policies ---------------------------------------------------------------------------------------


def test_a_policy_is_set_up_in_minutes_and_stored_in_seconds(browser):
    queue = QueueFactory(name="Billing")
    calendar = CalendarFactory(name="Office")

    answer = post_form(
        browser,
        "/settings/sla-policies/new",
        name="Billing urgent",
        queue_id=str(queue.id),
        priority="urgent",
        calendar_id=str(calendar.id),
        first_response_minutes="30",
        resolution_minutes="480",
        warning_minutes="10",
    )

    assert answer.status_code == 302
    policy = _policy("Billing urgent")
    assert (policy.queue_id, policy.priority, policy.ticket_type) == (queue.id, "urgent", None)
    assert (policy.first_response_seconds, policy.next_response_seconds) == (1800, None)
    assert (policy.resolution_seconds, policy.warning_seconds) == (28800, 600)
    listing = _text(browser.get("/settings/sla-policies"))
    assert "30 min" in listing and "8 h" in listing and "Office" in listing


def test_a_policy_without_any_target_is_refused_with_the_apis_message(browser):
    answer = post_form(browser, "/settings/sla-policies/new", name="Empty")

    assert answer.status_code == 422
    assert "Set at least one target" in _text(answer)
    assert _policy("Empty") is None


def test_two_policies_for_the_same_tickets_are_refused(browser):
    SlaPolicyFactory(name="Everyone", first_response_seconds=3600)

    answer = post_form(
        browser, "/settings/sla-policies/new", name="Also everyone", first_response_minutes="5"
    )

    assert answer.status_code == 409
    assert "Same criteria as" in _text(answer)


def test_deleting_a_policy_says_where_its_tickets_go(browser):
    policy = SlaPolicyFactory(name="Gold", first_response_seconds=3600)
    path = f"/settings/sla-policies/{policy.id}/delete"
    page = _text(browser.get(path))
    assert "move to the next policy" in page

    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": version_shown(page)})

    assert answer.status_code == 302
    assert _policy("Gold") is None
