"""Forms of the SLA settings pages: business-hours calendars (weekly hours per weekday as rows of
opening and closing times, holidays as dates) and SLA policies (targets in minutes).

They check shapes only; the page loads their values through the API's schemas and the use cases check
the hours (the business-hours engine) and the policies' rules as they do for the API.
"""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from app.extensions import db
from app.i18n import timezone_names
from app.setting_pages import SettingForm
from app.tickets import services as tickets
from app.tickets.models import Priority, TicketType
from app.tickets.sla import services
from app.tickets.words import word

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE = 60
# A target is at most a year (`services.MAX_TARGET_SECONDS`), in minutes.
_TARGET_MINUTES = NumberRange(min=1, max=services.MAX_TARGET_SECONDS // MINUTE)
_WARNING_MINUTES = NumberRange(min=0, max=services.MAX_WARNING_SECONDS // MINUTE)


def day_name(day: str) -> str:
    """A weekday (`mon`) in the page's language, from the locale's data."""
    return get_day_names("wide", locale=get_locale())[DAYS.index(day)]


class OpeningForm(Form):
    """One opening of a weekday: "09:00" to "17:00" local time; "24:00" closes at midnight."""

    opens = StringField(_l("Opens"), render_kw={"placeholder": "09:00", "size": 5, "inputmode": "numeric"})
    closes = StringField(_l("Closes"), render_kw={"placeholder": "17:00", "size": 5, "inputmode": "numeric"})

    def blank(self) -> bool:
        return not (self.opens.data or "").strip() and not (self.closes.data or "").strip()


class HolidayForm(Form):
    """One closed day, with what it is."""

    day = StringField(_l("Date"), render_kw={"type": "date"})
    name = StringField(_l("Holiday name"), render_kw={"placeholder": _l("e.g. New Year's Day")})

    def blank(self) -> bool:
        return not (self.day.data or "").strip() and not (self.name.data or "").strip()


class CalendarForm(SettingForm):
    name = StringField(_l("Calendar name"))
    timezone = SelectField(_l("Time zone"), validate_choice=False, default="UTC")
    holidays = FieldList(FormField(HolidayForm), label=_l("Holidays (closed all day)"))

    def offer(self) -> None:
        self.timezone.choices = [SelectChoice(name, name) for name in timezone_names()]
        # A blank row after the given ones: one more opening a day, one more holiday, without a script.
        for day in self.days():
            if not day.entries or not day.entries[-1].form.blank():
                day.append_entry()
        if not self.holidays.entries or not self.holidays.entries[-1].form.blank():
            self.holidays.append_entry()

    def days(self) -> list[FieldList]:
        return [self[day] for day in DAYS]

    def day_name(self, day: str) -> str:
        return day_name(day)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "timezone": self.timezone.data or "",
            "weekly_hours": {
                day: [
                    [(entry.form.opens.data or "").strip(), (entry.form.closes.data or "").strip()]
                    for entry in self[day].entries
                    if not entry.form.blank()
                ]
                for day in DAYS
            },
            "holidays": [day for day, _name in self._holidays()],
            "holiday_names": {day: name for day, name in self._holidays() if name},
        }

    def _holidays(self) -> list[tuple[str, str]]:
        """(date, name) of the filled-in rows; a name without a date is for the API's rules to refuse."""
        return [
            ((entry.form.day.data or "").strip(), (entry.form.name.data or "").strip())
            for entry in self.holidays.entries
            if not entry.form.blank()
        ]

    @classmethod
    def data_of(cls, calendar) -> dict[str, Any]:
        hours = calendar.weekly_hours or {}
        return {
            "name": calendar.name,
            "timezone": calendar.timezone,
            **{day: [{"opens": a, "closes": b} for a, b in hours.get(day, [])] for day in DAYS},
            "holidays": [
                {"day": day, "name": (calendar.holiday_names or {}).get(day, "")}
                for day in calendar.holidays or ()
            ],
            "version": calendar.version,
        }


for _day in DAYS:
    # WTForms' form class collects fields set on it after its body, too.
    setattr(CalendarForm, _day, FieldList(FormField(OpeningForm)))


def _minutes(label: Any, validator: NumberRange, description: Any = None) -> IntegerField:
    return IntegerField(label, validators=[Optional(), validator], description=description)


class SlaPolicyForm(SettingForm):
    name = StringField(_l("Policy name"))
    queue_id = SelectField(_l("Tickets of the queue"), validate_choice=False)
    priority = SelectField(
        _l("Tickets of the priority"),
        choices=[SelectChoice("", _l("Any priority"))]
        + [SelectChoice(p.value, word(p.value)) for p in Priority],
        default="",
    )
    ticket_type = SelectField(
        _l("Tickets of the type"),
        choices=[SelectChoice("", _l("Any type"))]
        + [SelectChoice(t.value, word(t.value)) for t in TicketType],
        default="",
    )
    calendar_id = SelectField(_l("Business hours the targets count"), validate_choice=False)
    first_response_minutes = _minutes(
        _l("First response within (minutes)"), _TARGET_MINUTES, _l("Until the first public reply.")
    )
    next_response_minutes = _minutes(
        _l("Next response within (minutes)"), _TARGET_MINUTES, _l("To answer each later customer message.")
    )
    resolution_minutes = _minutes(_l("Resolution within (minutes)"), _TARGET_MINUTES, _l("Until solved."))
    warning_minutes = _minutes(
        _l("Warn this many minutes before a due time"), _WARNING_MINUTES, _l("0 turns warnings off.")
    )

    ALIASES = {
        "first_response_seconds": "first_response_minutes",
        "next_response_seconds": "next_response_minutes",
        "resolution_seconds": "resolution_minutes",
        "warning_seconds": "warning_minutes",
    }

    def offer(self) -> None:
        self.queue_id.choices = [SelectChoice("", _("Any queue"))] + [
            SelectChoice(str(queue.id), queue.name) for queue in db.session.scalars(tickets.list_queues())
        ]
        self.calendar_id.choices = [SelectChoice("", _("Around the clock (24/7)"))] + [
            SelectChoice(str(calendar.id), calendar.name)
            for calendar in db.session.scalars(services.list_calendars())
        ]
        if not self.is_submitted() and self.version.data is None and self.warning_minutes.data is None:
            self.warning_minutes.data = services.DEFAULT_WARNING_SECONDS // MINUTE

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": self.name.data or "",
            "queue_id": _id(self.queue_id.data),
            "priority": self.priority.data or None,
            "ticket_type": self.ticket_type.data or None,
            "calendar_id": _id(self.calendar_id.data),
        }
        for target in ("first_response", "next_response", "resolution"):
            minutes = self[f"{target}_minutes"].data
            values[f"{target}_seconds"] = None if minutes is None else minutes * MINUTE
        if self.warning_minutes.data is not None:  # left empty: the default, or what it was
            values["warning_seconds"] = self.warning_minutes.data * MINUTE
        return values

    @classmethod
    def data_of(cls, policy) -> dict[str, Any]:
        def minutes(seconds: int | None) -> int | None:
            # Policies the API made may hold seconds; the page shows them rounded up to the minute.
            return None if seconds is None else -(-seconds // MINUTE)

        return {
            "name": policy.name,
            "queue_id": str(policy.queue_id or ""),
            "priority": policy.priority or "",
            "ticket_type": policy.ticket_type or "",
            "calendar_id": str(policy.calendar_id or ""),
            "first_response_minutes": minutes(policy.first_response_seconds),
            "next_response_minutes": minutes(policy.next_response_seconds),
            "resolution_minutes": minutes(policy.resolution_seconds),
            "warning_minutes": minutes(policy.warning_seconds),
            "version": policy.version,
        }


def _id(value: str | None) -> Any:
    """A select's id as the API's schema reads it: none, or the number (the schema refuses nonsense)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() else (text or None)
