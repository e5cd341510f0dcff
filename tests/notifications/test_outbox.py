"""Which changes write notifications, that they share the change's transaction, and how they are
delivered: at once, retried with backoff, given up on, or found again by the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.dbtypes import utcnow
from app.errors import Invalid
from app.extensions import db
from app.notifications import mail
from app.notifications import services as notifications
from app.tickets import services
from app.tickets.sla import services as sla
from tests.customer_factories import CustomerFactory
from tests.factories import PASSWORD, AgentFactory, TeamFactory
from tests.helpers import sign_in
from tests.notifications.conftest import outbox


def open_web_ticket(customer, agent=None, **fields):
    return services.open_ticket(
        subject=fields.pop("subject", "Lamp arrived broken"),
        channel=fields.pop("channel", "web"),
        customer_id=customer.id,
        assignee_id=agent.id if agent else None,
        actor=agent,
        **fields,
    )


def test_a_web_ticket_confirms_receipt_by_mail_with_its_tracking_link(customer, mail_log):
    ticket = open_web_ticket(customer)

    [row] = outbox()
    assert (row.kind, row.recipient, row.status, row.attempts) == (
        "ticket_received",
        "olivia@example.com",
        "sent",
        1,
    )
    assert row.ticket_id == ticket.id and row.customer_id == customer.id and row.sent_at is not None
    [logged] = mail_log()
    assert logged["subject"] == f"We received your request [{ticket.reference}]"
    assert "https://help.example.com/track/" in logged["text"]


@pytest.mark.parametrize("channel", ["api", "phone", "chat"])
def test_tickets_we_typed_in_confirm_nothing(customer, channel):
    open_web_ticket(customer, channel=channel)

    assert outbox() == []


def test_a_customer_without_an_address_gets_no_notification(app):
    silent = CustomerFactory(phones=["+15550100"])

    open_web_ticket(silent)

    assert outbox() == []


def test_a_change_that_is_rolled_back_leaves_no_notification(customer):
    services.stage_ticket(subject="Never committed", channel="web", customer_id=customer.id, actor=None)
    db.session.rollback()

    assert outbox() == []
    assert not db.session.info.get("notifications_to_enqueue")


def test_a_refused_reply_writes_no_notification(customer, agent):
    ticket = open_web_ticket(customer, agent)

    with pytest.raises(Invalid):
        services.add_comment(ticket.id, body="Done", status="new", actor=agent)
    db.session.rollback()

    assert [row.kind for row in outbox()] == ["ticket_received"]


def test_public_replies_are_passed_on_and_internal_notes_are_not(customer, agent, mail_log):
    ticket = open_web_ticket(customer, agent)

    services.add_comment(ticket.id, body="<p>Could you send a <b>photo</b>?</p>", actor=agent)
    services.add_comment(ticket.id, body="Looks like transport damage", public=False, actor=agent)

    rows = outbox()
    assert [row.kind for row in rows] == ["ticket_received", "public_reply"]
    assert rows[1].context == {"reply": "Could you send a photo?"}
    assert "Could you send a photo?" in mail_log()[-1]["text"]
    assert "transport damage" not in str(mail_log())


def test_a_reply_that_solves_goes_out_once_as_the_solve_mail_with_a_survey_link(customer, agent, mail_log):
    ticket = open_web_ticket(customer, agent)

    services.add_comment(ticket.id, body="A new lamp is on its way.", status="solved", actor=agent)

    rows = outbox()
    assert [row.kind for row in rows] == ["ticket_received", "ticket_solved"]
    assert rows[1].context == {"reply": "A new lamp is on its way."}
    solved = mail_log()[-1]
    assert solved["subject"] == f"Your request [{ticket.reference}] is solved"
    assert "A new lamp is on its way." in solved["text"]
    assert "https://help.example.com/survey/" in solved["text"]


def test_replaying_history_notifies_nobody(customer, agent):
    long_ago = utcnow() - timedelta(days=30)

    ticket = open_web_ticket(customer, agent, at=long_ago)
    services.add_comment(ticket.id, body="Fixed", status="solved", actor=agent, at=long_ago)

    assert outbox() == []


def test_supervisors_of_the_assignees_team_hear_of_a_breach(customer, agent):
    own = AgentFactory(role="supervisor", email="own@example.com", language="zh")
    AgentFactory(role="supervisor", email="other@example.com")
    TeamFactory(members=[agent, own])
    ticket = open_web_ticket(customer, agent, priority="urgent", channel="api")
    for target in ticket.sla_targets:
        target.due_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    sla.check_sla()

    rows = outbox(kind="sla_breached")
    assert {row.recipient for row in rows} == {"own@example.com"}
    assert {row.agent_id for row in rows} == {own.id}
    assert all(row.status == "sent" and row.language == "zh" for row in rows)


def test_every_supervisor_hears_of_a_breach_when_nobody_shares_a_team(customer):
    AgentFactory(role="supervisor", email="s1@example.com")
    AgentFactory(role="supervisor", email="s2@example.com")
    AgentFactory(role="supervisor", email="gone@example.com", active=False)
    ticket = open_web_ticket(customer, channel="api", priority="urgent")
    ticket.sla_targets[0].due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    sla.check_sla()

    recipients = sorted(row.recipient for row in outbox(kind="sla_breached"))
    assert recipients == ["s1@example.com", "s2@example.com"]


def test_the_portal_can_send_tracking_links(customer, mail_log):
    first = open_web_ticket(customer, channel="api", subject="First")
    second = open_web_ticket(customer, channel="api", subject="Second")

    notifications.notify("tracking_links", customer=customer, context={"ticket_ids": [first.id, second.id]})
    db.session.commit()

    [row] = outbox(kind="tracking_links")
    assert row.status == "sent"
    text = mail_log()[-1]["text"]
    assert text.count("https://help.example.com/track/") == 2
    assert first.reference in text and second.reference in text


# -- delivery ---------------------------------------------------------------------------------------


def _failing_mail(monkeypatch, calls=None):
    def refuse(message):
        if calls is not None:
            calls.append(message)
        raise mail.MailError("SMTPServerDisconnected: Connection unexpectedly closed")

    monkeypatch.setattr(mail, "send", refuse)


def _due_now(row):
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_failed_delivery_is_retried_with_growing_waits_then_marked_failed(app, customer, monkeypatch):
    app.config.update(NOTIFICATION_MAX_ATTEMPTS=3, NOTIFICATION_RETRY_BASE_SECONDS=60)
    calls = []
    _failing_mail(monkeypatch, calls)

    open_web_ticket(customer)

    [row] = outbox()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection unexpectedly closed" in row.last_error
    waited = row.next_attempt_at - utcnow()
    assert timedelta(seconds=55) < waited <= timedelta(seconds=60)

    _due_now(row)
    assert notifications.deliver_notification(row.id) == "retry"
    [row] = outbox()
    assert row.attempts == 2
    assert timedelta(seconds=115) < row.next_attempt_at - utcnow() <= timedelta(seconds=120)

    _due_now(row)
    assert notifications.deliver_notification(row.id) == "failed"
    [row] = outbox()
    assert (row.status, row.attempts, row.sent_at) == ("failed", 3, None)
    assert len(calls) == 3
    # Failed is final: another run of the job sends nothing.
    assert notifications.deliver_notification(row.id) == "skipped"
    assert len(calls) == 3


def test_a_retry_that_is_not_due_yet_is_skipped(customer, monkeypatch):
    _failing_mail(monkeypatch)
    open_web_ticket(customer)
    [row] = outbox()

    assert notifications.deliver_notification(row.id) == "skipped"
    assert outbox()[0].attempts == 1


def test_delivering_twice_sends_once(customer, mail_log):
    open_web_ticket(customer)
    [row] = outbox()

    assert notifications.deliver_notification(row.id) == "skipped"
    assert len(mail_log()) == 1


def test_the_sweep_delivers_a_row_whose_enqueue_was_lost(app, customer, monkeypatch, mail_log):
    def redis_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(notifications, "enqueue", redis_down)
    ticket = open_web_ticket(customer)  # the commit succeeds although the enqueue failed
    monkeypatch.undo()

    [row] = outbox()
    assert (row.status, row.attempts) == ("pending", 0)
    assert notifications.sweep_outbox() == 0  # fresh rows are left to the job that may still come

    later = utcnow() + notifications.sweep_grace() + timedelta(seconds=1)
    assert notifications.sweep_outbox(now=later) == 1

    [row] = outbox()
    assert (row.status, row.attempts) == ("sent", 1)
    assert mail_log()[0]["subject"] == f"We received your request [{ticket.reference}]"
    assert notifications.sweep_outbox(now=later) == 0


def test_a_row_whose_worker_died_while_sending_goes_out_once_after_the_lease(
    app, customer, monkeypatch, mail_log
):
    app.config["NOTIFICATION_LEASE_SECONDS"] = 30

    def killed(message):
        raise SystemExit("the worker was killed while it talked to the mail server")

    monkeypatch.setattr(mail, "send", killed)
    open_web_ticket(customer)  # its delivery job, run inline, stops in the middle of sending
    monkeypatch.undo()
    [row] = outbox()
    assert (row.status, row.attempts) == ("pending", 1)

    # Within the lease the row is its (dead) worker's: neither a job run again nor the sweep takes it.
    assert notifications.deliver_notification(row.id) == "skipped"
    assert notifications.sweep_outbox(now=utcnow() + timedelta(seconds=29)) == 0
    assert mail_log() == []

    # The lease ran out a lease ago.
    row.next_attempt_at = utcnow() - timedelta(seconds=30)
    db.session.commit()
    assert notifications.sweep_outbox() == 1

    [row] = outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    [sent] = mail_log()
    assert sent["key"] == notifications.message_key(row)


def test_every_attempt_at_a_row_carries_the_same_message_id(customer):
    open_web_ticket(customer)
    [row] = outbox()
    first, again = notifications.render(row), notifications.render(row)

    message = mail.build_message(first, "desk@example.com")

    assert first.key == again.key == notifications.message_key(row)
    assert message["Message-ID"] == f"<{first.key}@example.com>"
    assert mail.build_message(again, "desk@example.com")["Message-ID"] == message["Message-ID"]


def test_the_sweep_is_booked_once_per_interval(app):
    from app.notifications import jobs

    first = jobs.schedule_outbox_sweep()
    again = jobs.schedule_outbox_sweep()

    assert first.id == again.id and first.id.startswith("tickets-outbox-sweep-")


# -- what agents see --------------------------------------------------------------------------------


def test_the_api_lists_a_tickets_notifications(as_agent, customer, monkeypatch):
    ticket = open_web_ticket(customer)
    _failing_mail(monkeypatch)
    notifications.notify("public_reply", ticket=ticket, context={"reply": "Hi"})
    db.session.commit()

    response = as_agent.get(f"/api/v1/tickets/{ticket.id}/notifications")

    assert response.status_code == 200
    newest, oldest = response.json
    assert (newest["kind"], newest["status"], newest["attempts"]) == ("public_reply", "pending", 1)
    assert "SMTPServerDisconnected" in newest["last_error"]
    assert (oldest["kind"], oldest["status"], oldest["recipient"]) == (
        "ticket_received",
        "sent",
        "olivia@example.com",
    )
    assert as_agent.get("/api/v1/tickets/999/notifications").status_code == 404


def test_the_ticket_page_shows_the_outbox(app, client, customer, agent, monkeypatch):
    ticket = open_web_ticket(customer, agent)
    _failing_mail(monkeypatch)
    services.add_comment(ticket.id, body="We are on it", actor=agent)
    sign_in(client, agent.email, PASSWORD)

    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)

    section = page[page.index('id="notifications"') :]
    assert "Confirmation" in section and "olivia@example.com" in section
    assert "sent" in section and "pending" in section
    assert "SMTPServerDisconnected" in section


def test_a_macro_that_replies_and_solves_sends_one_mail(customer, agent, supervisor):
    ticket = open_web_ticket(customer, agent)
    macro = services.create_macro(
        name="Replaced and done",
        actions={"set": {"status": "solved"}, "reply": {"body": "A new lamp is on its way."}},
        actor=supervisor,
    )

    services.apply_macro(ticket.id, macro.id, expected_version=ticket.version, actor=agent)

    rows = outbox()
    assert [row.kind for row in rows] == ["ticket_received", "ticket_solved"]
    assert rows[1].context == {"reply": "A new lamp is on its way."}


def test_a_savepoint_rolled_back_takes_only_its_own_notifications(customer):
    kept = services.stage_ticket(subject="Kept", channel="web", customer_id=customer.id, actor=None)
    savepoint = db.session.begin_nested()
    services.stage_ticket(subject="Dropped", channel="web", customer_id=customer.id, actor=None)
    savepoint.rollback()

    db.session.commit()

    assert [(row.ticket_id, row.status) for row in outbox()] == [(kept.id, "sent")]
