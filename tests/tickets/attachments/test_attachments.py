"""Attachments: checked by content, stored by random names all-or-nothing, served only as downloads."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.tickets.attachments import services as service
from app.tickets.attachments.models import Attachment
from app.tickets.models import Comment, Ticket, TicketEvent
from tests.customer_factories import CustomerFactory
from tests.helpers import ApiClient

HEX_NAME = re.compile(r"^[0-9a-f]{32}$")


# -- sample files ------------------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = png_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00;"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Grüße from the printer room.\nLine two\ttabbed.\n".encode()
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<r/>", "word/document.xml": b"<w/>"})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"})
ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<c/>"})
ZIP = zip_bytes({"notes.txt": b"hello"})
DOCX_WITH_MACROS = zip_bytes(
    {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"\x00"}
)


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    return app_config


@pytest.fixture
def storage(app) -> Path:
    return Path(app.config["ATTACHMENTS_DIR"])


def _new_ticket(reference: str) -> Ticket:
    customer = CustomerFactory()
    ticket = Ticket(reference=reference, subject="The printer is on fire", customer_id=customer.id)
    db.session.add(ticket)
    db.session.commit()
    return ticket


@pytest.fixture
def ticket(app) -> Ticket:
    return _new_ticket("T-1001")


@pytest.fixture
def other_ticket(app) -> Ticket:
    return _new_ticket("T-1002")


def url(ticket_id: int, attachment_id: int | None = None) -> str:
    base = f"/api/v1/tickets/{ticket_id}/attachments"
    return base if attachment_id is None else f"{base}/{attachment_id}"


def upload(client: ApiClient, ticket_id: int, *files: tuple[bytes, str], field: str = "files", **kwargs):
    data = {field: [(io.BytesIO(content), name, "application/octet-stream") for content, name in files]}
    return client.post(url(ticket_id), data=data, content_type="multipart/form-data", **kwargs)


def stored_files(storage: Path) -> list[Path]:
    return sorted(storage.iterdir()) if storage.exists() else []


def attachment_rows() -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def upload_events() -> list[TicketEvent]:
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "attachment_added")))


# -- uploading ---------------------------------------------------------------------------------------


def test_upload_stores_file_under_random_name_and_row(as_agent, agent, ticket, storage):
    response = upload(as_agent, ticket.id, (PNG, "screenshot.png"))

    assert response.status_code == 201, response.json
    [body] = response.json
    assert body["filename"] == "screenshot.png"
    assert body["content_type"] == "image/png"
    assert body["size"] == len(PNG)
    assert body["ticket_id"] == ticket.id
    assert body["uploaded_by_id"] == agent.id
    assert body["download_url"] == url(ticket.id, body["id"])
    [row] = attachment_rows()
    assert HEX_NAME.match(row.storage_name)
    assert [path.name for path in stored_files(storage)] == [row.storage_name]
    assert (storage / row.storage_name).read_bytes() == PNG
    assert row.sha256 == body["sha256"] and len(row.sha256) == 64


def test_upload_writes_one_audit_event_per_file(as_agent, agent, ticket):
    upload(as_agent, ticket.id, (PNG, "a.png"), (PDF, "b.pdf"))

    events = upload_events()
    assert sorted(event.new_value for event in events) == ["a.png", "b.pdf"]
    assert {(e.ticket_id, e.actor_id, e.actor_kind, e.field) for e in events} == {
        (ticket.id, agent.id, "agent", "attachments")
    }


def test_several_files_get_distinct_random_names(as_agent, ticket, storage):
    response = upload(as_agent, ticket.id, (PNG, "a.png"), (PNG, "a.png"), (PDF, "c.pdf"))

    assert response.status_code == 201
    names = {row.storage_name for row in attachment_rows()}
    assert len(names) == 3
    assert names == {path.name for path in stored_files(storage)}


def test_single_file_field_is_accepted(as_agent, ticket):
    response = upload(as_agent, ticket.id, (PDF, "invoice.pdf"), field="file")

    assert response.status_code == 201
    assert response.json[0]["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PNG, "pic.png", "image/png"),
        (JPEG, "photo.jpg", "image/jpeg"),
        (GIF, "a.gif", "image/gif"),
        (PDF, "contract.pdf", "application/pdf"),
        (TEXT, "notes.txt", "text/plain"),
        ("name,amount\nÅsa,3\n".encode(), "export.csv", "text/csv"),
        (ZIP, "logs.zip", "application/zip"),
        (DOCX, "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (XLSX, "sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (ODT, "letter.odt", "application/vnd.oasis.opendocument.text"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 24, "call.wav", "audio/wav"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00" + b"\x00" * 40, "call.mp3", "audio/mpeg"),
        (b"OggS\x00\x02" + b"\x00" * 40, "call.ogg", "audio/ogg"),
    ],
)
def test_accepted_types_are_stored_with_the_sniffed_type(as_agent, ticket, content, name, content_type):
    response = upload(as_agent, ticket.id, (content, name))

    assert response.status_code == 201, response.json
    assert response.json[0]["content_type"] == content_type
    assert response.json[0]["filename"] == name


def test_the_clients_content_type_is_ignored(as_agent, ticket):
    data = {"files": [(io.BytesIO(PDF), "scan.pdf", "image/png")]}

    response = as_agent.post(url(ticket.id), data=data, content_type="multipart/form-data")

    assert response.json[0]["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("photo.jpg", "photo.jpg.png"), ("screenshot", "screenshot.png"), ("SHOT.PNG", "SHOT.PNG")],
)
def test_an_extension_that_does_not_fit_the_content_gets_the_right_one(as_agent, ticket, name, expected):
    response = upload(as_agent, ticket.id, (PNG, name))

    assert response.json[0]["filename"] == expected


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><body><script>alert(1)</script></body></html>", "cat.png", "HTML"),
        (b"\x89PNG<html><script>alert(1)</script></html>", "cat.png", "HTML"),
        (b"<!DOCTYPE html><p>hello</p>", "page.txt", "HTML"),
        (b"  \n<script>alert(document.cookie)</script>", "notes.txt", "HTML"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "a.png", "SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg", ".svg"),
        (ELF, "tool.png", "Programs"),
        (PE, "setup.pdf", "Programs"),
        (PE, "setup.exe", ".exe"),
        (b"alert(document.cookie);\nfetch('/api/v1/agents');\n", "app.js", ".js"),
        (b"#!/bin/sh\nrm -rf ~\n", "fix.txt", "Scripts"),
        (b'CreateObject("WScript.Shell").Run "calc"\n', "invoice.pdf.vbs", ".vbs"),
        (DOCX_WITH_MACROS, "letter.docx", "macros"),
        (DOCX, "letter.docm", ".docm"),
        (b"\x00\x01\x02\x03 unknown binary \xff\xfe\x00", "data.bin", "not accepted"),
        (b"Rar!\x1a\x07\x00" + b"\x00" * 20, "logs.rar", "not accepted"),
        ("Caf\xe9 cr\xe8me".encode("latin-1"), "menu.txt", "UTF-8"),
        ("hello".encode("utf-16"), "hello.txt", "UTF-8"),
        (b"PK\x03\x04 not really a zip", "broken.zip", "damaged"),
        (b"", "empty.txt", "empty"),
    ],
)
def test_rejected_files_leave_nothing_behind(as_agent, ticket, storage, content, name, message):
    response = upload(as_agent, ticket.id, (content, name))

    assert response.status_code == 422, response.json
    assert response.json["code"] == 422
    [problem] = response.json["errors"]["files"]
    assert problem.startswith(name.rsplit("/", 1)[-1])
    assert message in problem
    assert attachment_rows() == []
    assert upload_events() == []
    assert stored_files(storage) == []


def test_one_bad_file_means_none_is_stored(as_agent, ticket, storage):
    response = upload(as_agent, ticket.id, (PNG, "good.png"), (ELF, "bad.png"), (PDF, "fine.pdf"))

    assert response.status_code == 422
    assert response.json["errors"]["files"] == ["bad.png: Programs are not accepted."]
    assert attachment_rows() == []
    assert stored_files(storage) == []


def test_upload_without_files_is_refused(as_agent, ticket):
    response = as_agent.post(url(ticket.id), data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "files" in response.json["errors"]


def test_upload_to_a_missing_ticket_is_404(as_agent, storage):
    response = upload(as_agent, 999, (PNG, "a.png"))

    assert response.status_code == 404
    assert response.json["message"] == "Ticket 999 not found."
    assert stored_files(storage) == []


def test_upload_needs_sign_in(client, ticket, storage):
    data = {"files": [(io.BytesIO(PNG), "a.png")]}

    response = client.post(url(ticket.id), data=data, content_type="multipart/form-data")

    assert response.status_code == 401
    assert response.json["code"] == 401
    assert stored_files(storage) == []


def test_files_can_belong_to_a_comment_of_the_ticket(as_agent, agent, ticket, other_ticket):
    comment = Comment(ticket_id=ticket.id, author_id=agent.id, body="<p>See attached.</p>")
    foreign = Comment(ticket_id=other_ticket.id, author_id=agent.id, body="<p>Elsewhere.</p>")
    db.session.add_all([comment, foreign])
    db.session.commit()

    attached = upload(as_agent, ticket.id, (PNG, "a.png"), query_string={"comment_id": comment.id})
    refused = upload(as_agent, ticket.id, (PNG, "b.png"), query_string={"comment_id": foreign.id})

    assert attached.status_code == 201
    assert attached.json[0]["comment_id"] == comment.id
    assert refused.status_code == 422
    assert "comment_id" in refused.json["errors"]


class TestLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["ATTACHMENT_MAX_BYTES"] = 1024
        app_config["ATTACHMENTS_MAX_PER_TICKET"] = 3
        app_config["ATTACHMENT_MAX_FILES_PER_UPLOAD"] = 2
        return app_config

    def test_a_file_at_the_limit_is_accepted(self, as_agent, ticket):
        response = upload(as_agent, ticket.id, (b"x" * 1024, "full.txt"))

        assert response.status_code == 201
        assert response.json[0]["size"] == 1024

    def test_a_file_over_the_limit_is_refused(self, as_agent, ticket, storage):
        response = upload(as_agent, ticket.id, (b"x" * 1025, "big.txt"))

        assert response.status_code == 422
        assert response.json["errors"]["files"] == ["big.txt: The file is larger than the limit of 1.0 KiB."]
        assert stored_files(storage) == []
        assert attachment_rows() == []

    def test_too_many_files_in_one_upload_are_refused(self, as_agent, ticket, storage):
        response = upload(as_agent, ticket.id, (PNG, "a.png"), (PNG, "b.png"), (PNG, "c.png"))

        assert response.status_code == 422
        assert "At most 2 files per upload" in response.json["errors"]["files"][0]
        assert stored_files(storage) == []

    def test_a_ticket_holds_a_limited_number_of_files(self, as_agent, ticket, storage):
        assert upload(as_agent, ticket.id, (PNG, "a.png"), (PNG, "b.png")).status_code == 201

        response = upload(as_agent, ticket.id, (PNG, "c.png"), (PNG, "d.png"))

        assert response.status_code == 422
        assert "at most 3 attachments; it has 2, 2 sent" in response.json["errors"]["files"][0]
        assert len(attachment_rows()) == 2
        assert len(stored_files(storage)) == 2
        assert upload(as_agent, ticket.id, (PNG, "c.png")).status_code == 201

    def test_the_app_wide_request_limit_still_applies(self, app, as_agent, ticket):
        app.config["MAX_CONTENT_LENGTH"] = 2048

        response = upload(as_agent, ticket.id, (b"x" * 4096, "huge.txt"))

        assert response.status_code == 413
        assert response.json["code"] == 413


# -- names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ann\\Desktop\\scan.pdf", "scan.pdf"),
        ("Überweisung März 2024.pdf", "Überweisung März 2024.pdf"),
        ("契約書.pdf", "契約書.pdf"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ('what?<"*>|:.txt', "what_______.txt"),
        ("   ..hidden  ", "hidden"),
        ("CON.txt", "_CON.txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_display_names_are_sanitized(raw, expected):
    assert service.display_name(raw) == expected


def test_the_stored_name_has_no_trace_of_the_uploaded_one(as_agent, ticket, storage):
    upload(as_agent, ticket.id, (PNG, "../../../../tmp/owned.png"))

    [row] = attachment_rows()
    assert row.filename == "owned.png"
    assert HEX_NAME.match(row.storage_name)
    assert [path.name for path in stored_files(storage)] == [row.storage_name]


# -- listing and downloading -------------------------------------------------------------------------


def test_list_shows_a_tickets_attachments_oldest_first(as_agent, ticket, other_ticket):
    upload(as_agent, ticket.id, (PNG, "a.png"))
    upload(as_agent, ticket.id, (PDF, "b.pdf"))
    upload(as_agent, other_ticket.id, (PDF, "other.pdf"))

    response = as_agent.get(url(ticket.id))

    assert response.status_code == 200
    assert [item["filename"] for item in response.json] == ["a.png", "b.pdf"]
    assert set(response.json[0]) >= {"id", "filename", "content_type", "size", "created_at", "download_url"}


def test_list_of_a_missing_ticket_is_404(as_agent):
    response = as_agent.get(url(4242))

    assert response.status_code == 404
    assert set(response.json) >= {"code", "message", "errors"}


def test_download_is_an_attachment_with_safe_headers(as_agent, ticket):
    [created] = upload(as_agent, ticket.id, (PNG, "Überweisung.png")).json

    response = as_agent.get(created["download_url"])

    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response.headers["Cache-Control"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%C3%9Cberweisung.png" in disposition


def test_text_is_downloaded_as_utf8_plain_text(as_agent, ticket):
    [created] = upload(as_agent, ticket.id, (TEXT, "notes.txt")).json

    response = as_agent.get(created["download_url"])

    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == TEXT
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_another_tickets_attachment_is_404(as_agent, ticket, other_ticket):
    [created] = upload(as_agent, other_ticket.id, (PDF, "secret.pdf")).json

    response = as_agent.get(url(ticket.id, created["id"]))

    assert response.status_code == 404
    assert response.json["code"] == 404
    assert b"%PDF" not in response.data


@pytest.mark.parametrize("attachment_id", [12345, 2**40])
def test_a_missing_attachment_is_404(as_agent, ticket, attachment_id):
    response = as_agent.get(url(ticket.id, attachment_id))

    assert response.status_code == 404


def test_a_file_missing_on_disk_is_404_not_500(as_agent, ticket, storage):
    [created] = upload(as_agent, ticket.id, (PDF, "gone.pdf")).json
    for path in stored_files(storage):
        path.unlink()

    response = as_agent.get(created["download_url"])

    assert response.status_code == 404
    assert response.json["message"] == "The file of this attachment is missing."


@pytest.mark.parametrize("path", ["/api/v1/tickets/1/attachments", "/api/v1/tickets/1/attachments/1"])
def test_reading_needs_sign_in(client, ticket, path):
    response = client.get(path)

    assert response.status_code == 401


# -- the service on its own ------------------------------------------------------------------------


def _file(content: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name)


def test_customer_uploads_are_recorded_as_the_customers(ticket):
    [attachment] = service.add_attachments(ticket.id, [_file(PDF, "receipt.pdf")], actor=None)

    assert attachment.uploaded_by_id is None
    [event] = upload_events()
    assert (event.actor_id, event.actor_kind, event.new_value) == (None, "customer", "receipt.pdf")


def test_a_failed_commit_removes_the_files(ticket, storage, monkeypatch):
    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", fail)

    with pytest.raises(RuntimeError):
        service.add_attachments(ticket.id, [_file(PNG, "a.png"), _file(PDF, "b.pdf")], actor=None)

    monkeypatch.undo()
    assert stored_files(storage) == []
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_every_stored_row_has_its_file(ticket, storage):
    service.add_attachments(ticket.id, [_file(PNG, "a.png"), _file(TEXT, "b.txt")], actor=None)

    for row in attachment_rows():
        assert service.open_attachment(row) == storage / row.storage_name
        assert (storage / row.storage_name).stat().st_size == row.size


def test_files_are_readable_by_the_owner_only(ticket, storage):
    [attachment] = service.add_attachments(ticket.id, [_file(PNG, "a.png")], actor=None)

    assert (storage / attachment.storage_name).stat().st_mode & 0o077 == 0
    assert storage.stat().st_mode & 0o077 == 0


def test_the_directory_defaults_to_the_instance_folder(app, tmp_path):
    del app.config["ATTACHMENTS_DIR"]
    app.instance_path = str(tmp_path / "instance")

    assert service.attachments_dir() == tmp_path / "instance" / "attachments"
    assert (tmp_path / "instance" / "attachments").is_dir()
