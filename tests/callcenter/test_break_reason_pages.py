"""Break reasons in the browser: supervisors set them up with the API's rules, versions and trail."""

from __future__ import annotations

import pytest

from app.callcenter import services as callcenter
from app.callcenter.models import BreakReason
from app.extensions import db
from tests.helpers import csrf_token_from, post_form, signed_in, version_shown


@pytest.fixture
def browser(client, supervisor):
    return signed_in(client, supervisor)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _reason(name: str) -> BreakReason | None:
    db.session.expire_all()
    return db.session.scalar(db.select(BreakReason).where(BreakReason.name == name))


def test_a_supervisor_sets_up_a_break_reason(browser):
    answer = post_form(browser, "/settings/break-reasons/new", name="Training", paid="y", max_minutes="60")

    assert answer.status_code == 302 and answer.headers["Location"] == "/settings/break-reasons"
    reason = _reason("Training")
    assert (reason.paid, reason.max_minutes) == (True, 60)
    listing = _text(browser.get("/settings/break-reasons"))
    assert "Training" in listing and "60 min" in listing


def test_a_break_longer_than_a_shift_is_refused_with_the_apis_message(browser):
    answer = post_form(
        browser, "/settings/break-reasons/new", name="Nap", max_minutes="481", description="Kept"
    )

    page = _text(answer)
    assert answer.status_code == 422
    assert 'id="max_minutes-errors"' in page and "Kept" in page
    assert _reason("Nap") is None


def test_a_stale_edit_is_refused_with_the_break_reason_as_it_is_now(browser, supervisor):
    reason = callcenter.create_break_reason(name="Lunch", actor=supervisor)
    path = f"/settings/break-reasons/{reason.id}"
    page = _text(browser.get(path))
    token, read = csrf_token_from(page), version_shown(page)
    callcenter.update_break_reason(reason.id, {"max_minutes": 30}, actor=supervisor)

    answer = browser.post(
        path, data={"csrf_token": token, "version": read, "name": "Lunch", "max_minutes": "90"}
    )

    assert answer.status_code == 409
    assert "Someone changed this meanwhile" in _text(answer)
    assert _reason("Lunch").max_minutes == 30


def test_deleting_a_break_reason_asks_first(browser, supervisor):
    reason = callcenter.create_break_reason(name="Coaching", actor=supervisor)
    path = f"/settings/break-reasons/{reason.id}/delete"

    page = _text(browser.get(path))
    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": "1"})

    assert "can no longer pick it" in page
    assert answer.status_code == 302 and _reason("Coaching") is None


def test_agents_do_not_set_up_break_reasons(client, agent):
    signed_in(client, agent)

    assert client.get("/settings/break-reasons").status_code == 403
