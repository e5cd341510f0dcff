"""Queues and macros in the browser: supervisors manage them with the API's rules, versions and trail."""

from __future__ import annotations

import pytest

from app.accounts.models import SettingChange
from app.extensions import db
from app.tickets import services
from app.tickets.models import Macro, Queue
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import csrf_token_from, post_form, signed_in, version_shown
from tests.ticket_factories import QueueFactory


@pytest.fixture
def browser(client, supervisor):
    return signed_in(client, supervisor)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _queue(name: str) -> Queue | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Queue).where(Queue.name == name))


# -- queues -----------------------------------------------------------------------------------------


def test_a_supervisor_creates_a_queue_with_its_team_and_skills(browser, supervisor):
    team = TeamFactory(name="Billing team")

    answer = post_form(
        browser,
        "/settings/queues/new",
        name="  Billing ",
        description="Invoices and refunds",
        team_id=str(team.id),
        skills="Invoices, refunds",
    )

    assert answer.status_code == 302 and answer.headers["Location"] == "/settings/queues"
    queue = _queue("Billing")
    assert queue.team_id == team.id and [s.name for s in queue.skills] == ["invoices", "refunds"]
    record = db.session.scalar(db.select(SettingChange).where(SettingChange.setting_id == queue.id))
    assert record.actor_id == supervisor.id and record.action == "created"
    listing = _text(browser.get("/settings/queues"))
    assert "Billing team" in listing and "invoices, refunds" in listing


def test_a_supervisor_says_whether_agents_outside_the_team_read_the_queues_tickets(browser):
    team = TeamFactory(name="Billing team")
    created = post_form(browser, "/settings/queues/new", name="Billing", team_id=str(team.id), skills="")
    assert created.status_code == 302
    queue = _queue("Billing")
    assert queue.outsider_access == "none"  # the default: outsiders do not see its tickets

    page = f"/settings/queues/{queue.id}"
    changed = post_form(
        browser,
        page,
        name="Billing",
        team_id=str(team.id),
        skills="",
        outsider_access="read",
        version=queue.version,
    )

    assert changed.status_code == 302
    assert _queue("Billing").outsider_access == "read"
    assert "Read its tickets, without changing them" in _text(browser.get("/settings/queues"))
    refused = post_form(
        browser,
        page,
        name="Billing",
        team_id=str(team.id),
        outsider_access="write",
        version=queue.version + 1,
    )
    assert refused.status_code == 422 and _queue("Billing").outsider_access == "read"


def test_a_queue_without_a_name_comes_back_with_the_apis_message_and_nothing_is_stored(browser):
    answer = post_form(browser, "/settings/queues/new", name="", description="Kept as typed")

    page = _text(answer)
    assert answer.status_code == 422
    assert 'id="name-errors"' in page and "Kept as typed" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Queue)) == 0


def test_a_name_in_use_is_refused_beside_the_name(browser):
    QueueFactory(name="Billing")

    answer = post_form(browser, "/settings/queues/new", name="billing")

    assert answer.status_code == 409
    assert 'id="name-errors"' in _text(answer)


def test_an_unknown_team_is_the_services_refusal_not_a_500(browser):
    answer = post_form(browser, "/settings/queues/new", name="Billing", team_id="999999")

    assert answer.status_code == 422
    assert 'id="team_id-errors"' in _text(answer)
    assert _queue("Billing") is None


def test_a_stale_edit_shows_the_queue_as_it_is_now_and_keeps_what_was_typed(browser, supervisor):
    queue = QueueFactory(name="Billing", description="Old words")
    path = f"/settings/queues/{queue.id}"
    page = _text(browser.get(path))
    token, read = csrf_token_from(page), version_shown(page)
    services.update_queue(queue.id, {"description": "Someone else's words"}, actor=supervisor)

    answer = browser.post(
        path, data={"csrf_token": token, "version": read, "name": "Billing", "description": "My words"}
    )

    page = _text(answer)
    assert answer.status_code == 409
    assert "Someone changed this meanwhile" in page
    assert "Someone else&#39;s words" in page and "My words" in page
    assert version_shown(page) == read + 1
    assert _queue("Billing").description == "Someone else's words"

    again = browser.post(
        path, data={"csrf_token": token, "version": read + 1, "name": "Billing", "description": "My words"}
    )
    assert again.status_code == 302
    assert _queue("Billing").description == "My words"


def test_an_edit_without_a_version_changes_nothing(browser):
    queue = QueueFactory(name="Billing")
    path = f"/settings/queues/{queue.id}"

    answer = post_form(browser, path, name="Renamed")

    assert answer.status_code == 422
    assert _queue("Billing") is not None


def test_a_queue_that_does_not_exist_is_a_404(browser):
    assert browser.get("/settings/queues/999999").status_code == 404


def test_agents_may_not_manage_queues(client, agent):
    signed_in(client, agent)

    assert client.get("/settings/queues").status_code == 403


# -- macros -----------------------------------------------------------------------------------------


def _macro(name: str) -> Macro | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Macro).where(Macro.name == name))


def test_a_macros_actions_are_edited_as_rows(browser):
    queue = QueueFactory(name="Billing")
    assignee = AgentFactory(name="Bea")

    answer = post_form(
        browser,
        "/settings/macros/new",
        name="Refund sent",
        set_status="solved",
        set_priority="low",
        set_queue_id=str(queue.id),
        set_assignee_id=str(assignee.id),
        add_tags="refund, done",
        remove_tags="waiting",
        reply_body="We sent your refund.",
    )

    assert answer.status_code == 302
    assert _macro("Refund sent").actions == {
        "set": {"status": "solved", "priority": "low", "queue_id": queue.id, "assignee_id": assignee.id},
        "add_tags": ["refund", "done"],
        "remove_tags": ["waiting"],
        "reply": {"body": "We sent your refund.", "public": True},
    }
    page = _text(browser.get(f"/settings/macros/{_macro('Refund sent').id}"))
    assert "We sent your refund." in page and 'value="refund, done"' in page


def test_a_macro_that_does_nothing_is_refused_with_the_services_message(browser):
    answer = post_form(browser, "/settings/macros/new", name="Idle")

    assert answer.status_code == 422
    assert "Set a field, change tags or add a reply." in _text(answer)
    assert _macro("Idle") is None


def test_deleting_a_macro_asks_first_and_says_what_happens(browser, supervisor):
    macro = services.create_macro(name="Thanks", actions={"add_tags": ["thanked"]}, actor=supervisor)
    path = f"/settings/macros/{macro.id}/delete"

    page = _text(browser.get(path))

    assert "Delete “Thanks”?" in page and "can no longer apply it" in page
    assert _macro("Thanks") is not None
    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": macro.version})
    assert answer.status_code == 302
    assert _macro("Thanks") is None


def test_a_macro_changed_since_the_confirmation_is_kept(browser, supervisor):
    macro = services.create_macro(name="Thanks", actions={"add_tags": ["thanked"]}, actor=supervisor)
    path = f"/settings/macros/{macro.id}/delete"
    page = _text(browser.get(path))
    services.update_macro(macro.id, {"description": "Still needed"}, actor=supervisor)

    answer = browser.post(path, data={"csrf_token": csrf_token_from(page), "version": macro.version - 1})

    assert answer.status_code == 409
    assert "Still needed" in _text(answer)
    assert _macro("Thanks") is not None
