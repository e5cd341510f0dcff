"""Files attached to tickets: checked, stored by random names, and handed out only as downloads.

An upload is untrusted in every part, so none of it is believed:

- **Type**: sniffed from the content (`puremagic` for binary formats, a strict UTF-8 check for text) and
  checked against `ALLOWED_TYPES`; what the client claims is ignored. HTML, SVG, XML, scripts,
  executables, macro-enabled Office files and anything unrecognised are refused, whatever their name.
  The stored `content_type` is the sniffed one.
- **Name**: kept for display only (unicode is fine, control and bidi characters and path parts are not),
  its extension must not be one that runs or renders (`.exe`, `.js`, `.html`, ...), and a file whose
  extension does not fit its content gets the right one appended (`photo.jpg` holding a PNG is
  downloaded as `photo.jpg.png`), so the receiving system opens it as what it is.
- **Storage**: under `ATTACHMENTS_DIR` by a random name (`secrets.token_hex(16)`); no byte of user
  input reaches a path. Files are written to a temporary file and renamed into place, and the rename
  happens before the commit: a row never points at a missing file, and a failed commit removes the
  files again. (A crash between rename and commit can leave an orphan file, never a dangling row.)
- **Limits**: `ATTACHMENT_MAX_BYTES` per file, `ATTACHMENT_MAX_FILES_PER_UPLOAD` per request and
  `ATTACHMENTS_MAX_PER_TICKET` in all; the app-wide `MAX_CONTENT_LENGTH` caps the request before that.
- **Erasure**: erasing a customer's data (`erase_files`) blanks the names and hashes of their files
  and removes the files once the erasure commits; the rows stay (their sizes, types and times say
  nothing about anyone), and asking for such a file answers 404.
- **Serving**: the views send files as attachments with `X-Content-Type-Options: nosniff` and a
  sandboxing CSP; nothing here is ever rendered inline.

An upload is all-or-nothing: one bad file and none is stored, with every bad file named in `errors`.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import puremagic
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.errors import Invalid, NotFound
from app.extensions import db
from app.records import is_storable_id
from app.tickets import audit
from app.tickets.attachments.models import Attachment
from app.tickets.models import Comment, Ticket
from app.tickets.services.access import readable_ticket, workable_ticket
from app.tickets.services.tickets import Change, check_open, commit_ticket, reply
from app.tickets.signals import ticket_commented
from app.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PER_TICKET = 20
DEFAULT_MAX_FILES_PER_UPLOAD = 10
FILENAME_MAX = 200
ERASED_FILENAME = "erased"
ERASED_HASH = ""
_FILES_TO_REMOVE = "attachment_files_to_remove"
FALLBACK_NAME = "attachment"

# Content type -> the extensions a file of that type may have; the first is appended when a name's
# extension does not fit.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "application/pdf": ("pdf",),
    "text/plain": ("txt", "text", "log", "md", "tsv"),
    "text/csv": ("csv",),
    "application/zip": ("zip",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "audio/mpeg": ("mp3",),
    "audio/wav": ("wav",),
    "audio/ogg": ("ogg", "oga", "opus"),
    "audio/mp4": ("m4a",),
    "video/mp4": ("mp4", "m4v"),
}
ALLOWED_DESCRIPTION = (
    "PNG, JPEG, GIF and WebP images, PDF, plain text and CSV, ZIP, Word, Excel and PowerPoint (docx, "
    "xlsx, pptx), OpenDocument text and spreadsheets, MP3, WAV, Ogg, M4A audio and MP4 video"
)

# Names that run, install or render when opened, refused whatever the content: the receiving system
# decides by the extension, not by our content type.
_DENIED_GROUPS = (
    # markup a browser renders, with script
    "html htm xhtml xht shtml mht mhtml svg svgz xml xsl xslt xbl swf",
    # scripts run by a double click
    "js mjs cjs jsx ts tsx vbs vbe jse wsf wsh wsc sct hta ps1 psm1 psd1 ps1xml sh bash zsh csh ksh command",
    "py pyc pyw pl rb php phtml php3 php4 php5 phar asp aspx jsp cgi reg",
    # programs, libraries, installers, disk images
    "exe com bat cmd scr pif msi msp mst dll sys cpl ocx drv jar class apk app dmg pkg deb rpm iso img vhd",
    "vhdx msix appx appxbundle xap xpi crx elf so dylib bin run application gadget workflow action",
    # shortcuts and settings that point somewhere or change the system
    "lnk url scf inf ins isp cer desktop webloc chm hlp",
    # Office documents that carry macros
    "docm dotm xlsm xltm xlam pptm potm ppam sldm",
)
DENIED_EXTENSIONS = frozenset(extension for group in _DENIED_GROUPS for extension in group.split())

_SNIFF_BYTES = 4096
# As many bytes as WHATWG MIME sniffing looks at: markup there would make a browser take text for HTML.
_MARKUP_WINDOW = 1445
# Only unmistakable ones: a log file that quotes a stray "<div" is still text. (One quoting "<script"
# near its start is refused; zipped, it goes through.)
_MARKUP_MARKERS = (b"<!doctype", b"<html", b"<body", b"<script", b"<iframe", b"<svg", b"<?xml")
_TEXT_TYPES = {"text/plain", "text/csv"}
# Windows' "MZ" is checked apart: two letters could start a text file, a program has NULs after them.
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
)
_MARKUP_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "application/xml",
    "text/xml",
    "application/javascript",
    "text/javascript",
}
# puremagic's names for the types we accept -> ours.
_MIME_ALIASES = {
    "audio/wave": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "application/ogg": "audio/ogg",
    "audio/x-ogg": "audio/ogg",
    "audio/mp3": "audio/mpeg",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-zip-compressed": "application/zip",
    "application/x-pdf": "application/pdf",
    "audio/x-m4a": "audio/mp4",
}
_ZIP_FAMILY = {
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}
_MP4_FAMILY = {"video/mp4", "audio/mp4"}
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}
# Characters Windows refuses in names, and what a shell or a header could read specially.
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"/\\|?*;\x00-\x1f\x7f]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_STORAGE_NAME = re.compile(r"^[0-9a-f]{32}$")


class UploadedFile(Protocol):
    """What the service needs of an uploaded file (werkzeug's `FileStorage` is one)."""

    filename: str | None
    stream: IO[bytes]


class Rejected(Exception):
    """One file broke a rule; the message says which and is shown to the uploader."""


@dataclass
class _Spooled:
    """An upload copied to a temporary file beside its final place, with what was learnt reading it."""

    filename: str
    temp_path: Path
    size: int = 0
    sha256: str = ""
    head: bytes = b""
    content_type: str = ""
    final_path: Path | None = None
    errors: list[str] = field(default_factory=list)


# -- settings ----------------------------------------------------------------------------------------


def _setting(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


def limits() -> dict[str, int]:
    """The upload limits in force (settings `ATTACHMENT_MAX_BYTES`, `ATTACHMENT_MAX_FILES_PER_UPLOAD`,
    `ATTACHMENTS_MAX_PER_TICKET`), for a form to state them before anyone uploads."""
    return {
        "max_bytes": _setting("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES),
        "max_files": _setting("ATTACHMENT_MAX_FILES_PER_UPLOAD", DEFAULT_MAX_FILES_PER_UPLOAD),
        "max_per_ticket": _setting("ATTACHMENTS_MAX_PER_TICKET", DEFAULT_MAX_PER_TICKET),
    }


def attachments_dir() -> Path:
    """Where files live (`ATTACHMENTS_DIR`, by default `<instance>/attachments`), created if missing."""
    configured = current_app.config.get("ATTACHMENTS_DIR") or os.path.join(
        current_app.instance_path, "attachments"
    )
    directory = Path(configured)
    # Owner-only: the files are customers' documents, and nobody else on the host needs them.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


# -- use cases ---------------------------------------------------------------------------------------


@unit_of_work
def add_attachments(
    ticket_id: int, files: Sequence[UploadedFile], *, actor: Agent | None, comment_id: int | None = None
) -> list[Attachment]:
    """Attach files to a ticket (optionally to one of its comments), all or none, in one commit.

    Each file must pass the size limit and the type check; together they must fit the per-upload and
    per-ticket counts. Otherwise `Invalid` names every bad file under `errors["files"]` and nothing is
    stored. `actor=None` means the customer uploaded (the portal). Writes one `attachment_added` audit
    event per file. An agent adds files only to tickets they may work (`access`).
    """
    ticket = workable_ticket(ticket_id, actor=actor)
    check_open(ticket)
    comment = _comment(ticket, comment_id)
    files = list(files)
    if not files:
        raise Invalid(_l("Choose at least one file."), {"files": [_l("Send one or more files.")]})
    with _checked_files(files) as spooled:
        # Counted under the ticket's row lock (PostgreSQL), so two uploads at once cannot both squeeze
        # under the limit; the files were checked before, so the lock is held only for the inserts.
        _lock(ticket)
        attachments = _store(ticket, spooled, comment=comment, actor=actor)
        db.session.commit()
    return attachments


@unit_of_work
def reply_with_files(
    ticket_id: int,
    files: Sequence[UploadedFile],
    *,
    body: str,
    public: bool = True,
    mention_ids: Iterable[int] = (),
    status: str | None = None,
    actor: Agent,
) -> Comment:
    """An agent's public reply or internal note (as `add_comment` writes it) with files attached to it,
    in one commit: a file refused by the rules of `add_attachments` refuses the message too, so no
    reply reaches the customer without the files it speaks of. Without files, just the message."""
    files = list(files)
    with _checked_files(files) as spooled:
        ticket = workable_ticket(ticket_id, actor=actor, for_update=True)
        change = Change(ticket, actor)
        comment = reply(change, body=body, public=public, mention_ids=mention_ids, status=status)
        if spooled:
            _store(ticket, spooled, comment=comment, actor=actor)
        commit_ticket(ticket)
    ticket_commented.send(ticket, actor=actor, comment=comment)
    change.send()
    return comment


def list_attachments(ticket_id: int, *, viewer: Agent | None) -> list[Attachment]:
    """A ticket's attachments, oldest first (there are at most `ATTACHMENTS_MAX_PER_TICKET`); 404 for a
    ticket `viewer` may not see (None: the customer's own case, on the portal)."""
    readable_ticket(ticket_id, viewer=viewer)
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
        )
    )


def get_attachment(ticket_id: int, attachment_id: int, *, viewer: Agent | None) -> Attachment:
    """One attachment of one ticket: 404 for a missing ticket or one `viewer` may not see, and for an id
    of another ticket's file."""
    readable_ticket(ticket_id, viewer=viewer)
    attachment = db.session.get(Attachment, attachment_id) if is_storable_id(attachment_id) else None
    if attachment is None or attachment.ticket_id != ticket_id:
        raise NotFound(
            _l("Attachment %(attachment_id)s not found on this ticket.", attachment_id=attachment_id)
        )
    return attachment


def open_attachment(attachment: Attachment) -> Path:
    """The stored file of an attachment, to be sent as a download (never inline)."""
    if attachment.sha256 == ERASED_HASH:
        raise NotFound(_l("The file of this attachment was erased on the customer's request."))
    # The name comes from our own database, but a path is built from it: trust nothing but hex.
    if not _STORAGE_NAME.match(attachment.storage_name or ""):
        current_app.logger.error("Attachment %s has a malformed storage name.", attachment.id)
        raise NotFound(_l("The file of this attachment is missing."))
    path = attachments_dir() / attachment.storage_name
    if not path.is_file():
        current_app.logger.error("The file of attachment %s is missing: %s", attachment.id, path)
        raise NotFound(_l("The file of this attachment is missing."))
    return path


def erase_files(attachment_ids: list[int]) -> None:
    """Blank the names and hashes of these attachments in the caller's transaction; their files are
    removed when it commits (a rollback keeps them, and the rows still point at them)."""
    if not attachment_ids:
        return
    for attachment in db.session.scalars(select(Attachment).where(Attachment.id.in_(attachment_ids))):
        attachment.filename = ERASED_FILENAME
        # A file's hash tells whoever holds a copy of the file that it was here.
        attachment.sha256 = ERASED_HASH
        db.session.info.setdefault(_FILES_TO_REMOVE, []).append(attachment.storage_name)


@event.listens_for(Session, "after_commit")
def _remove_erased_files(session: Session) -> None:
    names = session.info.pop(_FILES_TO_REMOVE, None)
    if not names:
        return
    directory = attachments_dir()
    for name in names:
        if _STORAGE_NAME.match(name or ""):
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()


@event.listens_for(Session, "after_soft_rollback")
def _keep_files_rolled_back(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_FILES_TO_REMOVE, None)


# -- loading -----------------------------------------------------------------------------------------


def _comment(ticket: Ticket, comment_id: int | None) -> Comment | None:
    if comment_id is None:
        return None
    comment = db.session.get(Comment, comment_id) if is_storable_id(comment_id) else None
    if comment is None or comment.ticket_id != ticket.id:
        raise Invalid(
            _l("The comment is not on this ticket."), {"comment_id": [_l("No such comment on this ticket.")]}
        )
    return comment


def _lock(ticket: Ticket) -> None:
    db.session.execute(select(Ticket.id).where(Ticket.id == ticket.id).with_for_update())


def _check_ticket_limit(ticket: Ticket, adding: int) -> None:
    limit = _setting("ATTACHMENTS_MAX_PER_TICKET", DEFAULT_MAX_PER_TICKET)
    existing = db.session.scalar(select(func.count()).where(Attachment.ticket_id == ticket.id)) or 0
    if existing + adding > limit:
        raise Invalid(
            _l("The ticket cannot take that many attachments."),
            {
                "files": [
                    _l(
                        "A ticket holds at most %(limit)s attachments; it has %(existing)s, %(adding)s sent.",
                        limit=limit,
                        existing=existing,
                        adding=adding,
                    )
                ]
            },
        )


@contextlib.contextmanager
def _checked_files(files: list[UploadedFile]) -> Iterator[list[_Spooled]]:
    """The uploads read into temporary files beside their final place and checked, for the block to
    store; `Invalid` naming every bad file (and nothing kept) if one breaks a rule. The files are
    removed again unless the block completes (its commit)."""
    per_upload = _setting("ATTACHMENT_MAX_FILES_PER_UPLOAD", DEFAULT_MAX_FILES_PER_UPLOAD)
    if len(files) > per_upload:
        raise Invalid(
            _l("Too many files at once."),
            {
                "files": [
                    _l(
                        "At most %(per_upload)s files per upload (%(files)s sent).",
                        per_upload=per_upload,
                        files=len(files),
                    )
                ]
            },
        )
    spooled: list[_Spooled] = []
    try:
        if files:
            directory = attachments_dir()
            for upload in files:
                spooled.append(_spool(upload, directory))
        if problems := [f"{item.filename}: {error}" for item in spooled for error in item.errors]:
            raise Invalid(
                _l("The file was not accepted.") if len(files) == 1 else _l("Some files were not accepted."),
                {"files": problems},
            )
        yield spooled
    except BaseException:
        # The rows go with the unit of work's rollback; the files written for them go here.
        for item in spooled:
            for path in (item.temp_path, item.final_path):
                if path is not None:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
        raise


def _store(
    ticket: Ticket, spooled: list[_Spooled], *, comment: Comment | None, actor: Agent | None
) -> list[Attachment]:
    """Move checked files into place and add their rows and audit events, to be committed by the
    caller; refused if the ticket cannot hold that many more."""
    _check_ticket_limit(ticket, len(spooled))
    directory = attachments_dir()
    attachments = []
    for item in spooled:
        item.final_path = directory / _new_storage_name(directory)
        os.replace(item.temp_path, item.final_path)
        attachment = Attachment(
            ticket_id=ticket.id,
            comment=comment,
            filename=item.filename,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            storage_name=item.final_path.name,
            uploaded_by_id=actor.id if actor is not None else None,
        )
        db.session.add(attachment)
        attachments.append(attachment)
        audit.record(
            ticket,
            "attachment_added",
            actor=actor,
            actor_kind=None if actor is not None else "customer",
            field="attachments",
            new=item.filename,
        )
    _sync_directory(directory)
    return attachments


# -- reading and checking one file -------------------------------------------------------------------


def _spool(upload: UploadedFile, directory: Path) -> _Spooled:
    """Copy an upload to a temporary file, hashing it and checking size, type and name on the way."""
    filename = display_name(upload.filename or "")
    handle, temp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=directory)
    item = _Spooled(filename=filename, temp_path=Path(temp_name))
    limit = _setting("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)
    digest = hashlib.sha256()
    head = bytearray()
    stream = upload.stream
    with os.fdopen(handle, "wb") as out:
        while chunk := stream.read(64 * 1024):
            item.size += len(chunk)
            if item.size > limit:
                item.errors.append(_l("The file is larger than the limit of %(value)s.", value=_human(limit)))
                return item
            digest.update(chunk)
            if len(head) < _SNIFF_BYTES:
                head.extend(chunk[: _SNIFF_BYTES - len(head)])
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    item.sha256 = digest.hexdigest()
    item.head = bytes(head)
    if item.size == 0:
        item.errors.append(_l("The file is empty."))
        return item
    try:
        _check_extension(filename)
        item.content_type = sniff(item.head, item.temp_path)
    except Rejected as rejected:
        item.errors.append(str(rejected))
        return item
    if item.content_type == "text/plain" and _extension(filename) == "csv":
        item.content_type = "text/csv"
    item.filename = _fit_extension(filename, item.content_type)
    return item


def sniff(head: bytes, path: Path | None = None) -> str:
    """The content type of a file from its first bytes (and, for archives and text, the file at `path`).

    Raises `Rejected` with a message fit for the uploader when the type is not in `ALLOWED_TYPES`.
    """
    if head.startswith(_EXECUTABLE_MAGIC) or (head.startswith(b"MZ") and b"\x00" in head[:64]):
        raise Rejected("Programs are not accepted.")
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    candidates = []
    for match in sorted(matches, key=lambda m: m.confidence, reverse=True):
        mime = _MIME_ALIASES.get(match.mime_type, match.mime_type)
        if mime in ALLOWED_TYPES and mime not in _TEXT_TYPES and mime not in candidates:
            candidates.append(mime)
    if candidates:
        content_type = candidates[0]
        if content_type in _ZIP_FAMILY:
            return _zip_type(path)
        if content_type in _MP4_FAMILY:
            return _mp4_type(head)
        return content_type
    if _looks_like_markup(head) or any(match.mime_type in _MARKUP_TYPES for match in matches):
        raise Rejected("HTML, SVG and XML files are not accepted.")
    # Text is judged here, never by puremagic (which calls UTF-16 "text/plain" too), and by itself:
    # puremagic's guesses about text (a vCard, PostScript) do not matter, it is served as plain text.
    problem = _text_problem(head, path)
    if problem is None:
        if head.lstrip(codecs.BOM_UTF8).startswith(b"#!"):
            raise Rejected("Scripts are not accepted.")
        return "text/plain"
    raise Rejected(problem)


def _looks_like_markup(head: bytes) -> bool:
    start = head.lstrip(codecs.BOM_UTF8).lstrip(b" \t\r\n\f")
    if start.startswith(b"<"):
        return True
    window = head[:_MARKUP_WINDOW].lower()
    return any(marker in window for marker in _MARKUP_MARKERS)


def _text_problem(head: bytes, path: Path | None) -> str | None:
    """None for text we accept: UTF-8 throughout, no control characters but tab, line breaks and form
    feed; else why not."""
    not_accepted = f"This type of file is not accepted. Allowed: {ALLOWED_DESCRIPTION}."
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "Text files must be saved as UTF-8."
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        if path is None:
            return None if _printable(decoder.decode(head, final=True)) else not_accepted
        with path.open("rb") as source:
            while chunk := source.read(64 * 1024):
                if not _printable(decoder.decode(chunk)):
                    return not_accepted
            return None if _printable(decoder.decode(b"", final=True)) else not_accepted
    except UnicodeDecodeError:
        # Binary data, or text in a legacy encoding: only the second deserves the hint.
        return (
            not_accepted
            if b"\x00" in head or _CONTROL_BYTES.search(head)
            else "Text files must be saved as UTF-8."
        )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _printable(text: str) -> bool:
    return not _CONTROL.search(text)


def _zip_type(path: Path | None) -> str:
    """ZIP, or the Office / OpenDocument format inside; macro-enabled documents are refused."""
    if path is None:
        return "application/zip"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            lowered = {name.lower() for name in names}
            if "mimetype" in names:
                # Read a little only: the member could be a bomb.
                with archive.open("mimetype") as member:
                    declared = member.read(100).decode("ascii", "replace").strip()
                if declared in _OPENDOCUMENT:
                    return declared
            if "[content_types].xml" in lowered:
                if any(name.endswith("vbaproject.bin") for name in lowered):
                    raise Rejected("Office documents with macros are not accepted.")
                for prefix, office_type in (
                    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                ):
                    if any(name.startswith(prefix) for name in lowered):
                        return office_type
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise Rejected("The archive is damaged or cannot be read.") from exc
    return "application/zip"


def _mp4_type(head: bytes) -> str:
    brand = head[8:12]
    return "audio/mp4" if brand in {b"M4A ", b"M4B "} else "video/mp4"


# -- names -------------------------------------------------------------------------------------------


def display_name(raw: str) -> str:
    """A file name fit for showing and for a download: no path, no control or bidi characters, no
    characters other systems refuse, at most `FILENAME_MAX` characters with the extension kept.

    Unicode stays (the name never reaches the file system: files are stored by random names).
    """
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    # Control and format characters (U+202E RIGHT-TO-LEFT OVERRIDE shows "gpj.exe" as "exe.jpg").
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            name = stem[: FILENAME_MAX - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:FILENAME_MAX].rstrip(" .")
    return name or FALLBACK_NAME


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _check_extension(name: str) -> None:
    extension = _extension(name)
    if extension in DENIED_EXTENSIONS:
        raise Rejected(
            f"Files ending in .{extension} are not accepted: they could run or render when opened."
        )


def _fit_extension(name: str, content_type: str) -> str:
    """The name, with the content type's extension appended when its own does not fit the content."""
    allowed = ALLOWED_TYPES[content_type]
    if _extension(name) in allowed:
        return name
    suffix = "." + allowed[0]
    return name[: FILENAME_MAX - len(suffix)].rstrip(" .") + suffix


def _new_storage_name(directory: Path) -> str:
    while True:
        name = secrets.token_hex(16)
        if not (directory / name).exists():
            return name


def _sync_directory(directory: Path) -> None:
    """Make the renames durable before the commit makes the rows visible (POSIX only)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
