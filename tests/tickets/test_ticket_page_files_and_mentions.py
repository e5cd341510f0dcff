"""The ticket page's files, mentions and outbox card: agents attach files to the ticket or to their
reply (under the attachment rules the API applies), mention agents picked from suggestions, and see a
mail's delivery without reloading."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app.extensions import db
from app.notifications import services as notifications
from app.notifications.models import Notification
from app.tickets import services
from app.tickets.attachments.models import Attachment
from app.tickets.models import Comment, Ticket
from tests.helpers import csrf_token_from, signed_in
from tests.tickets.workflow import CUSTOMER

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "ATTACHMENTS_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def page_client(client, agent):
    return signed_in(client, agent)


def _open(actor, **fields):
    values = {"subject": "Printer on fire", "customer": CUSTOMER, **fields}
    return services.open_ticket(**values, actor=actor)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _token(client, ticket_id: int) -> str:
    return csrf_token_from(_text(client.get(f"/tickets/{ticket_id}")))


def _stored_files(app) -> list[Path]:
    directory = Path(app.config["ATTACHMENTS_DIR"])
    return [path for path in directory.iterdir() if path.is_file()] if directory.exists() else []


def _files(ticket_id: int) -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Attachment).where(Attachment.ticket_id == ticket_id)))


def _reply(client, ticket_id: int, body: str, files=(), **fields):
    data = {
        "reply-csrf_token": _token(client, ticket_id),
        "reply-body": body,
        "reply-visibility": fields.pop("visibility", "public"),
        "reply-status": "",
        "reply-files": [(io.BytesIO(content), name) for name, content in files],
        **{f"reply-{name}": value for name, value in fields.items()},
    }
    return client.post(f"/tickets/{ticket_id}/comments", data=data, content_type="multipart/form-data")


# -- files on the ticket ----------------------------------------------------------------------------


def test_an_agent_attaches_files_to_the_ticket_from_its_page(page_client, agent):
    ticket = _open(agent)

    response = page_client.post(
        f"/tickets/{ticket.id}/attachments",
        data={
            "attach-csrf_token": _token(page_client, ticket.id),
            "attach-files": [(io.BytesIO(b"Paid 12.50 EUR\n"), "receipt.txt"), (io.BytesIO(PNG), "shot.png")],
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}#attachments")
    assert [(a.filename, a.uploaded_by_id, a.comment_id) for a in _files(ticket.id)] == [
        ("receipt.txt", agent.id, None),
        ("shot.png", agent.id, None),
    ]
    page = _text(page_client.get(response.headers["Location"]))
    assert "The files were attached." in page
    assert ">receipt.txt</a>" in page and ">shot.png</a>" in page


def test_a_refused_file_is_named_beside_the_upload_and_nothing_is_stored(page_client, agent, app):
    ticket = _open(agent)

    response = page_client.post(
        f"/tickets/{ticket.id}/attachments",
        data={
            "attach-csrf_token": _token(page_client, ticket.id),
            "attach-files": [
                (io.BytesIO(b"fine\n"), "notes.txt"),
                (io.BytesIO(b"MZ\x00\x00" * 20), "tool.exe"),
            ],
        },
        content_type="multipart/form-data",
    )

    html = _text(response)
    assert response.status_code == 422
    assert "Some files were not accepted." in html
    errors = re.search(r'<ul class="errors" id="attach-files-errors" role="alert">(.*?)</ul>', html, re.S)
    assert errors and "tool.exe" in errors.group(1)
    assert _files(ticket.id) == [] and _stored_files(app) == []


def test_the_upload_keeps_the_limits_of_the_api(page_client, agent, app):
    app.config["ATTACHMENT_MAX_BYTES"] = 100
    ticket = _open(agent)

    response = page_client.post(
        f"/tickets/{ticket.id}/attachments",
        data={
            "attach-csrf_token": _token(page_client, ticket.id),
            "attach-files": [(io.BytesIO(b"x" * 101), "big.txt")],
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "big.txt: The file is larger than the limit" in _text(response)
    assert 'data-max-bytes="100"' in _text(page_client.get(f"/tickets/{ticket.id}"))
    assert _files(ticket.id) == []


def test_attaching_nothing_is_explained(page_client, agent):
    ticket = _open(agent)

    response = page_client.post(
        f"/tickets/{ticket.id}/attachments",
        data={"attach-csrf_token": _token(page_client, ticket.id), "attach-files": [(io.BytesIO(b""), "")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "Send one or more files." in _text(response)


# -- files with a reply -----------------------------------------------------------------------------


def test_a_reply_carries_its_files(page_client, agent):
    ticket = _open(agent)

    response = _reply(page_client, ticket.id, "The label is attached.", files=[("label.png", PNG)])

    assert response.status_code == 302
    comment = db.session.scalar(db.select(Comment).where(Comment.ticket_id == ticket.id))
    [attachment] = _files(ticket.id)
    assert (attachment.filename, attachment.comment_id) == ("label.png", comment.id)


def test_a_reply_whose_file_is_refused_is_not_sent_and_stays_in_the_editor(page_client, agent, app):
    ticket = _open(agent)

    response = _reply(
        page_client, ticket.id, "See the page attached.", files=[("page.html", b"<html><script>")]
    )

    html = _text(response)
    assert response.status_code == 422
    assert "See the page attached.</textarea>" in html
    assert "page.html" in html[html.index('id="reply-files-errors"') :]
    assert db.session.scalar(db.select(Comment).where(Comment.ticket_id == ticket.id)) is None
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).first_response_at is None
    assert _stored_files(app) == []
    # No reply mail went out for the message that was not sent.
    assert db.session.scalar(db.select(Notification).where(Notification.kind == "public_reply")) is None


# -- mentions ---------------------------------------------------------------------------------------


def test_mentions_are_boxes_the_script_fills_from_suggestions(page_client, agent, supervisor):
    ticket = _open(agent)

    html = _text(page_client.get(f"/tickets/{ticket.id}"))

    assert "<select multiple" not in html and 'name="reply-mention_ids" type="checkbox"' in html
    assert re.search(
        rf'type="checkbox" value="{supervisor.id}"> <label for="[^"]+">{supervisor.name}</label>', html
    )
    assert "Type @ and a name in the message" in html
    assert re.search(r'<script [^>]*src="/static/js/tickets\.js', html)


def test_a_reply_mentions_the_agents_ticked(page_client, agent, supervisor):
    ticket = _open(agent)

    response = _reply(
        page_client,
        ticket.id,
        f"@{supervisor.name} please approve",
        visibility="internal",
        mention_ids=[str(supervisor.id)],
    )

    assert response.status_code == 302
    note = db.session.scalar(db.select(Comment).where(Comment.ticket_id == ticket.id))
    assert [a.id for a in note.mentions] == [supervisor.id]


# -- the notifications card -------------------------------------------------------------------------


def test_the_notifications_card_is_served_alone_and_says_when_it_waits_for_a_mail(
    page_client, agent, monkeypatch
):
    # No worker takes the mail: it stays pending until delivered below.
    monkeypatch.setattr(notifications, "enqueue_delivery", lambda *args, **kwargs: None)
    ticket = _open(agent, channel="web")
    [row] = db.session.scalars(db.select(Notification).where(Notification.ticket_id == ticket.id))

    page = _text(page_client.get(f"/tickets/{ticket.id}"))
    pending = page_client.get(f"/tickets/{ticket.id}/notifications")
    notifications.deliver_notification(row.id)
    sent = page_client.get(f"/tickets/{ticket.id}/notifications")

    card = f'data-refresh-url="/tickets/{ticket.id}/notifications"'
    assert f"{card} data-pending" in page
    assert pending.status_code == 200 and "<html" not in _text(pending)
    assert f"{card} data-pending" in _text(pending) and ">pending</span>" in _text(pending)
    assert f"{card} data-pending" not in _text(sent) and ">sent</span>" in _text(sent)


def test_the_notifications_card_of_a_missing_ticket_is_a_404(page_client):
    assert page_client.get("/tickets/999999/notifications").status_code == 404
