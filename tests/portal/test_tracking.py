"""The tracking pages: what a token opens, what it never opens, and the customer writing back."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.customers import services as customers
from app.dbtypes import utcnow
from app.extensions import db
from app.portal import links
from app.portal import services as portal
from app.portal.models import TrackingToken
from app.tickets import services
from app.tickets.attachments.models import Attachment
from app.tickets.models import Comment, Ticket
from tests.helpers import csrf_token_from
from tests.portal.conftest import PNG


@pytest.fixture
def case(app):
    """A request from the web form and its tracking token."""
    return portal.submit_web_form(
        type="incident",
        name="Rosa Díaz",
        email="rosa@example.com",
        phone=None,
        description="The parcel arrived crushed.",
        idempotency_key=portal.new_idempotency_key(),
    )


@pytest.fixture
def complaint(app):
    return portal.submit_web_form(
        type="complaint",
        name="Rosa Díaz",
        email="rosa@example.com",
        phone=None,
        description="The parcel arrived crushed.",
        category="delivery",
        desired_outcome="refund",
        idempotency_key=portal.new_idempotency_key(),
    )


def reply(client, token: str, body: str, files=()):
    page = client.get(f"/track/{token}").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "body": body}
    if files:
        from io import BytesIO

        data["files"] = [(BytesIO(content), name) for content, name in files]
    return client.post(f"/track/{token}", data=data, content_type="multipart/form-data")


def solve(ticket_id: int, agent, status: str = "solved") -> None:
    ticket = services.get_ticket(ticket_id)
    services.update_ticket(ticket_id, {"status": status}, expected_version=ticket.version, actor=agent)


def test_the_page_shows_reference_status_stage_and_public_replies_only(client, complaint, agent):
    ticket, token = complaint
    services.add_comment(ticket.id, body="We are sorry; a refund is on its way.", public=True, actor=agent)
    services.add_comment(ticket.id, body="Courier blamed, check the depot", public=False, actor=agent)

    response = client.get(f"/track/{token}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ticket.reference in html
    assert 'id="status">In progress<' in html  # an agent answered
    assert 'id="stage">Received<' in html
    assert "a refund is on its way" in html and "The parcel arrived crushed." in html
    assert "Courier blamed" not in html
    assert agent.name not in html


def test_a_new_complaint_says_received_once_not_as_status_and_stage(client, complaint):
    _ticket, token = complaint

    html = client.get(f"/track/{token}").get_data(as_text=True)

    assert 'id="status">Received<' in html
    assert 'id="stage"' not in html


def test_the_stage_shows_once_it_says_more_than_the_status(client, complaint, agent):
    ticket, token = complaint
    services.update_ticket(
        ticket.id,
        {"complaint": {"stage": "acknowledged"}},
        expected_version=services.get_ticket(ticket.id).version,
        actor=agent,
    )

    html = client.get(f"/track/{token}").get_data(as_text=True)

    assert 'id="stage">Acknowledged<' in html


def test_messages_are_labelled_you_and_support(client, complaint, agent):
    ticket, token = complaint
    services.add_comment(ticket.id, body="We are sorry.", public=True, actor=agent)
    services.add_customer_message(ticket.id, body="Thank you.")

    html = client.get(f"/track/{token}").get_data(as_text=True)

    labels = re.findall(r"<header>\s*<strong>([^<]*)</strong>", html)
    assert labels == ["You", "Support", "You"]


def test_tracking_pages_are_neither_cached_nor_leaked_by_referer(client, case):
    response = client.get(f"/track/{case[1]}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_only_a_hash_of_the_token_is_stored(case):
    _ticket, token = case
    stored = db.session.scalars(select(TrackingToken.token_hash)).all()
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert len(token) >= 43  # 32 random bytes


def _not_found_page(client, token: str) -> tuple[int, str]:
    response = client.get(f"/track/{token}")
    # The language switcher links back to the page itself.
    return response.status_code, response.get_data(as_text=True).replace(token, "TOKEN")


def test_wrong_expired_and_withdrawn_tokens_all_get_the_same_404(app, client, case, agent):
    ticket, token = case
    wrong = _not_found_page(client, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert wrong[0] == 404 and "Link not valid" in wrong[1]
    assert wrong[0] == 404

    other, other_token = portal.submit_web_form(
        type="question",
        name="Sam",
        email="sam@example.com",
        phone=None,
        description="Question",
        idempotency_key=portal.new_idempotency_key(),
    )
    solve(other.id, agent)
    solve(other.id, agent, "closed")
    db.session.execute(
        update(Ticket).where(Ticket.id == other.id).values(closed_at=utcnow() - timedelta(days=91))
    )
    db.session.commit()
    expired = _not_found_page(client, other_token)

    customers.delete_customer(ticket.customer_id, actor=agent)
    withdrawn = _not_found_page(client, token)

    assert wrong == expired == withdrawn


def test_a_link_works_until_the_configured_days_after_closing(app, client, case, agent):
    ticket, token = case
    solve(ticket.id, agent)
    solve(ticket.id, agent, "closed")
    app.config["PORTAL_TRACKING_LINK_DAYS"] = 10

    def closed_days_ago(days: int) -> int:
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket.id).values(closed_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()
        return client.get(f"/track/{token}").status_code

    assert closed_days_ago(9) == 200
    assert closed_days_ago(11) == 404


def test_using_a_link_is_noted(client, case):
    _ticket, token = case
    client.get(f"/track/{token}")
    digest = hashlib.sha256(token.encode()).hexdigest()
    used = select(TrackingToken.last_used_at).where(TrackingToken.token_hash == digest)
    assert db.session.scalar(used) is not None


def test_the_customer_replies_and_a_solved_ticket_opens_again(client, case, agent):
    ticket, token = case
    solve(ticket.id, agent)

    response = reply(client, token, "It is still broken <script>alert(1)</script>")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/track/{token}#conversation")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "open"
    comment = db.session.scalar(select(Comment).where(Comment.ticket_id == ticket.id))
    assert comment.customer_id == ticket.customer_id and comment.public
    assert "<script" not in comment.body and "&lt;script&gt;" in comment.body
    assert "It is still broken" in client.get(f"/track/{token}").get_data(as_text=True)


def test_a_reply_on_a_closed_case_goes_to_a_follow_up_with_its_own_link(client, case, agent):
    ticket, token = case
    solve(ticket.id, agent)
    solve(ticket.id, agent, "closed")

    response = reply(client, token, "Hello again")

    assert response.status_code == 302
    new_token = re.search(r"/track/([A-Za-z0-9_-]+)", response.headers["Location"]).group(1)
    assert new_token != token
    follow_up = portal.find_tracked_ticket(new_token)
    assert follow_up.follow_up_of_id == ticket.id


def test_a_reply_with_a_file_attaches_it_to_the_message(client, case):
    ticket, token = case
    assert reply(client, token, "Here is a photo", files=[(PNG, "crushed.png")]).status_code == 302
    attachment = db.session.scalar(select(Attachment))
    comment = db.session.scalar(select(Comment))
    assert (attachment.ticket_id, attachment.comment_id) == (ticket.id, comment.id)


def test_a_case_closed_while_the_reply_is_saved_keeps_the_message_without_its_files(
    client, case, agent, monkeypatch
):
    """Closed is final for files too: an agent closing the case between the saved message and its files
    costs the files, never the message (nor an error page for a message that was taken)."""
    token = case[1]
    save = portal.tickets.add_customer_message

    def saved_then_closed(ticket_id, **kwargs):
        comment = save(ticket_id, **kwargs)
        solve(ticket_id, agent)
        solve(ticket_id, agent, "closed")
        return comment

    monkeypatch.setattr(portal.tickets, "add_customer_message", saved_then_closed)

    response = reply(client, token, "Here is a photo", files=[(PNG, "crushed.png")])

    assert response.status_code == 302
    assert [c.body for c in db.session.scalars(select(Comment))] == ["<p>Here is a photo</p>"]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_reply_with_a_bad_file_stores_nothing(client, case):
    response = reply(client, case[1], "Look", files=[(b"<html><script>x</script>", "a.png")])
    assert response.status_code == 422
    assert 'id="files-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_an_empty_reply_is_refused_next_to_its_field(client, case):
    response = reply(client, case[1], "   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and 'href="#body"' in html and 'aria-invalid="true"' in html


def test_a_reply_without_csrf_token_is_refused(client, case):
    response = client.post(f"/track/{case[1]}", data={"body": "Hello"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_wrong_token_cannot_post(client, case):
    page = client.get(f"/track/{case[1]}").get_data(as_text=True)
    response = client.post("/track/" + "x" * 43, data={"csrf_token": csrf_token_from(page), "body": "Hello"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_tracking_url_is_absolute_on_the_public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = "https://help.example.com/"
    assert links.tracking_url("abc") == "https://help.example.com/track/abc"


def test_the_page_speaks_the_customers_language(client, case):
    ticket, token = case
    ticket.customer.preferred_language = "zh"
    db.session.commit()
    html = client.get(f"/track/{token}").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html


# -- lost links ---------------------------------------------------------------------------------------------


def lost_link_rows() -> list[tuple]:
    """The outbox's lost-link rows: to whom, whose, in what state."""
    from app.notifications.models import Notification

    rows = db.session.scalars(
        select(Notification).where(Notification.kind == "tracking_links").order_by(Notification.id)
    )
    return [(row.recipient, row.customer_id, row.status, row.context) for row in rows]


@pytest.fixture
def lost_link_mails(app, tmp_path):
    """The lost-link mails written to the mail log so far."""
    app.config["MAIL_LOG"] = str(tmp_path / "mail.log")

    def read() -> list[dict]:
        try:
            with open(app.config["MAIL_LOG"], encoding="utf-8") as log:
                return [mail for mail in map(json.loads, log) if "links" in mail["subject"]]
        except FileNotFoundError:
            return []

    return read


def _ask_for_links(client, email: str):
    page = client.get("/track/lost").get_data(as_text=True)
    response = client.post("/track/lost", data={"csrf_token": csrf_token_from(page), "email": email})
    return response, client.get(response.headers["Location"]).get_data(as_text=True)


def test_lost_links_are_sent_for_a_known_address(app, client, case, lost_link_mails):
    ticket, _token = case
    response, page = _ask_for_links(client, "Rosa@Example.com")
    assert "If we have open or recent cases" in page
    assert response.status_code == 302
    assert lost_link_rows() == [("rosa@example.com", ticket.customer_id, "sent", {"ticket_ids": [ticket.id]})]
    [mail] = lost_link_mails()
    assert mail["to"] == "rosa@example.com"
    assert ticket.reference in mail["text"]
    assert "/track/" in mail["text"]


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent_or_kept(
    app, client, case, lost_link_mails
):
    _response, known = _ask_for_links(client, "rosa@example.com")
    _response, unknown = _ask_for_links(client, "nobody@example.com")
    # CSRF tokens carry the second they were made in, so they may differ between the two pages.
    known, unknown = (re.sub(r'name="csrf_token"[^>]*>', "", page) for page in (known, unknown))
    assert known.replace("rosa@example.com", "X") == unknown.replace("nobody@example.com", "X")
    assert [mail["to"] for mail in lost_link_mails()] == ["rosa@example.com"]
    assert [row[0] for row in lost_link_rows()] == ["rosa@example.com"]  # no stranger's address kept


def test_closed_cases_past_their_link_time_are_not_sent(app, client, case, agent, lost_link_mails):
    ticket, _token = case
    solve(ticket.id, agent)
    solve(ticket.id, agent, "closed")
    db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(closed_at=utcnow() - timedelta(days=91))
    )
    db.session.commit()
    _ask_for_links(client, "rosa@example.com")
    assert lost_link_mails() == []
    assert lost_link_rows() == []


def test_asking_for_lost_links_does_the_same_work_for_known_and_unknown_addresses(case, redis_down):
    """The request writes one row to the address, whatever it is; whose it is, is looked up at delivery,
    so timing cannot tell."""
    portal.request_tracking_links("rosa@example.com")
    portal.request_tracking_links("nobody@example.com")

    assert lost_link_rows() == [
        ("rosa@example.com", None, "pending", {}),
        ("nobody@example.com", None, "pending", {}),
    ]


def test_lost_links_asked_for_while_redis_is_down_are_mailed_once_it_is_back(
    app, client, case, redis_down, lost_link_mails
):
    from app.notifications import services as notifications

    ticket, _token = case
    response, _page = _ask_for_links(client, "rosa@example.com")
    assert response.status_code == 302
    assert lost_link_mails() == []

    redis_down.connected = True
    app.config["RQ_ASYNC"] = False  # the sweep's deliveries run here
    assert notifications.sweep_outbox(now=utcnow() + notifications.sweep_grace() + timedelta(seconds=1)) == 1

    assert [mail["to"] for mail in lost_link_mails()] == ["rosa@example.com"]
    assert lost_link_rows() == [("rosa@example.com", ticket.customer_id, "sent", {"ticket_ids": [ticket.id]})]


def test_a_reply_on_a_merged_case_never_opens_the_ticket_it_went_into(client, case, agent):
    """An agent may merge a duplicate into a ticket whose conversation this link never showed."""
    ticket, token = case
    other = services.open_ticket(subject="Earlier complaint", customer_id=ticket.customer_id, actor=agent)
    services.add_comment(other.id, body="Internal matter of an earlier case", public=True, actor=agent)
    services.merge_tickets(ticket.id, other.id, actor=agent)

    response = reply(client, token, "Any news?")

    assert response.status_code == 302
    assert f"/track/{token}" in response.headers["Location"]
    assert "Internal matter of an earlier case" not in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert "Any news?" in [c.body for c in portal.public_comments(other.id)][-1]


def test_lost_links_go_to_the_address_as_the_profile_stores_it(app, case):
    portal.request_tracking_links("ROSA@ｅxample.com ")  # noqa: RUF001 (a full-width letter, on purpose)

    [(recipient, customer_id, status, _context)] = lost_link_rows()
    assert (recipient, customer_id, status) == ("rosa@example.com", case[0].customer_id, "sent")


def test_a_stranger_cannot_attach_their_address_to_someone_elses_profile(app, client, case, lost_link_mails):
    """Otherwise: post the victim's e-mail with your phone, then your e-mail with that phone, then ask
    for "your" lost links, and the victim's cases arrive in your mailbox."""
    from tests.portal.conftest import REQUEST, submit

    ticket, _token = case
    submit(client, "/support/new", {**REQUEST, "email": "rosa@example.com", "phone": "+14155550100"})
    submit(client, "/support/new", {**REQUEST, "email": "mallory@example.com", "phone": "+14155550100"})
    _ask_for_links(client, "mallory@example.com")

    victim = customers.get_customer(ticket.customer_id)
    assert [c.value for c in victim.contact_points] == ["rosa@example.com"]
    assert lost_link_mails()  # her own request's link
    assert all(ticket.reference not in mail["text"] for mail in lost_link_mails())
