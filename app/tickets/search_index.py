"""Full-text search over tickets: the database structures behind it and the conditions that use them.

A ticket matches a text query when its own document (subject and description) matches, or when one of
its comments does: the same reading on both backends, and each kind of document is indexed where it is
written, so no service has to remember to update an index.

- PostgreSQL: GIN expression indexes on `to_tsvector('simple', ...)` of `tickets` and `ticket_comments`,
  searched with `websearch_to_tsquery('simple', q)`, which accepts any input (never build tsquery syntax
  from user text). The 'simple' configuration lowercases and does not stem: the service desk's text is
  in many languages, and no single stemmer serves them all. Stored bodies are HTML, which is fine here:
  PostgreSQL's parser classifies tags and entities as their own token types, which no configuration
  indexes, so `<p>` or `&amp;` never become words.
- SQLite (embedded mode): FTS5 tables `tickets_fulltext` (rowid = tickets.id) and
  `ticket_comments_fulltext` (rowid = ticket_comments.id), kept in step by triggers. SQLite's tokenizer
  would index markup as words ("p", "span", "agent" from mentions), so the triggers index the plain text
  of the HTML through `switchboard_html_text`, a SQL function this module registers on every SQLite
  connection the app opens (writes to those two tables from a connection without it fail loudly rather
  than index the wrong text). A comment's ticket is looked up through `ticket_comments` at query time, so
  merging tickets (which moves comments) needs no index change. FTS5's query language is not safe for
  user input, so `websearch_to_fts5` translates the same websearch syntax PostgreSQL accepts (words,
  "quoted phrases", `or`, `-exclusion`) into FTS5 expressions where every term is a quoted string.

Everything is created with the tables (`after_create` listeners, so `db.create_all()` builds it) and is
not part of the models' metadata: migrations create it with the same DDL (`DDL` below), and Alembic's
autogenerate must skip it (`include_name`, names registered in `db.metadata.info`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import DDL, ColumnElement, event, false, func, literal_column, or_, select, true, union
from sqlalchemy.engine import Engine
from sqlalchemy.sql import column, table

from app.extensions import db
from app.tickets.models.tickets import Comment, Ticket
from app.tickets.sanitize import html_to_text

TEXT_FUNCTION = "switchboard_html_text"
TICKETS_FTS = "tickets_fulltext"
COMMENTS_FTS = "ticket_comments_fulltext"
TICKETS_INDEX = "ix_tickets_fulltext"
COMMENTS_INDEX = "ix_ticket_comments_fulltext"
# The tables FTS5 creates behind each virtual table (a contentful table: it keeps its own copy of the text,
# so deleting a row never depends on recomputing exactly what was indexed).
_FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")
EXTERNAL_TABLES = frozenset(
    [TICKETS_FTS, COMMENTS_FTS]
    + [f"{name}_{shadow}" for name in (TICKETS_FTS, COMMENTS_FTS) for shadow in _FTS5_SHADOWS]
)
EXTERNAL_INDEXES = frozenset([TICKETS_INDEX, COMMENTS_INDEX])

# The documents as PostgreSQL indexes them; `_ticket_document` and `_comment_document` build the same.
_TICKET_DOCUMENT_SQL = "to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(description, ''))"
_COMMENT_DOCUMENT_SQL = "to_tsvector('simple', body)"

_TICKET_TEXT_SQL = f"coalesce(new.subject, '') || ' ' || {TEXT_FUNCTION}(new.description)"
_COMMENT_TEXT_SQL = f"{TEXT_FUNCTION}(new.body)"
# unicode61 without diacritics removal: like PostgreSQL's 'simple', "café" and "cafe" stay different words.
_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"

DDL_STATEMENTS: dict[str, dict[str, list[str]]] = {
    "postgresql": {
        "tickets": [f"CREATE INDEX {TICKETS_INDEX} ON tickets USING gin ({_TICKET_DOCUMENT_SQL})"],
        "ticket_comments": [
            f"CREATE INDEX {COMMENTS_INDEX} ON ticket_comments USING gin ({_COMMENT_DOCUMENT_SQL})"
        ],
    },
    "sqlite": {
        "tickets": [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TICKETS_FTS} USING fts5(body, {_TOKENIZER})",
            f"""CREATE TRIGGER {TICKETS_FTS}_insert AFTER INSERT ON tickets BEGIN
                INSERT INTO {TICKETS_FTS}(rowid, body) VALUES (new.id, {_TICKET_TEXT_SQL});
            END""",
            f"""CREATE TRIGGER {TICKETS_FTS}_update AFTER UPDATE OF id, subject, description ON tickets BEGIN
                DELETE FROM {TICKETS_FTS} WHERE rowid = old.id;
                INSERT INTO {TICKETS_FTS}(rowid, body) VALUES (new.id, {_TICKET_TEXT_SQL});
            END""",
            f"""CREATE TRIGGER {TICKETS_FTS}_delete AFTER DELETE ON tickets BEGIN
                DELETE FROM {TICKETS_FTS} WHERE rowid = old.id;
            END""",
        ],
        "ticket_comments": [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {COMMENTS_FTS} USING fts5(body, {_TOKENIZER})",
            f"""CREATE TRIGGER {COMMENTS_FTS}_insert AFTER INSERT ON ticket_comments BEGIN
                INSERT INTO {COMMENTS_FTS}(rowid, body) VALUES (new.id, {_COMMENT_TEXT_SQL});
            END""",
            f"""CREATE TRIGGER {COMMENTS_FTS}_update AFTER UPDATE OF id, body ON ticket_comments BEGIN
                DELETE FROM {COMMENTS_FTS} WHERE rowid = old.id;
                INSERT INTO {COMMENTS_FTS}(rowid, body) VALUES (new.id, {_COMMENT_TEXT_SQL});
            END""",
            f"""CREATE TRIGGER {COMMENTS_FTS}_delete AFTER DELETE ON ticket_comments BEGIN
                DELETE FROM {COMMENTS_FTS} WHERE rowid = old.id;
            END""",
        ],
    },
}
# Dropping a table drops its triggers and indexes, but an FTS5 table stands on its own: without this,
# `db.drop_all()` would leave it behind with rows of tickets that no longer exist.
DROP_STATEMENTS: dict[str, dict[str, list[str]]] = {
    "sqlite": {
        "tickets": [f"DROP TABLE IF EXISTS {TICKETS_FTS}"],
        "ticket_comments": [f"DROP TABLE IF EXISTS {COMMENTS_FTS}"],
    },
}

for _dialect, _by_table in DDL_STATEMENTS.items():
    for _table in (Ticket.__table__, Comment.__table__):
        for _statement in _by_table[_table.name]:
            event.listen(_table, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _dialect, _by_table in DROP_STATEMENTS.items():
    for _table in (Ticket.__table__, Comment.__table__):
        for _statement in _by_table[_table.name]:
            event.listen(_table, "before_drop", DDL(_statement).execute_if(dialect=_dialect))

# Alembic's autogenerate compares the database with the metadata; these objects are made by raw DDL, so
# it must not propose dropping them (see `include_name`).
db.metadata.info.setdefault("external_tables", set()).update(EXTERNAL_TABLES)
db.metadata.info.setdefault("external_indexes", set()).update(EXTERNAL_INDEXES)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's `include_name` hook: leave out the tables and indexes registered as made by raw DDL."""
    info = db.metadata.info
    if type_ == "table":
        return name not in info.get("external_tables", ())
    if type_ == "index":
        return name not in info.get("external_indexes", ())
    return True


def _plain_text(markup: str | None) -> str:
    try:
        return html_to_text(markup or "")
    except Exception:
        # An exception here would abort the caller's write; indexing the markup is the lesser harm.
        return markup or ""


@event.listens_for(Engine, "connect")
def _register_text_function(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_function(TEXT_FUNCTION, 1, _plain_text, deterministic=True)


# -- matching ----------------------------------------------------------------------------------------


def matches(q: str, dialect: str) -> ColumnElement[bool]:
    """The condition on `Ticket` for the text query `q` (websearch syntax) on the given backend."""
    if dialect == "postgresql":
        return _postgres_matches(q)
    if dialect == "sqlite":
        return _sqlite_matches(q)
    raise NotImplementedError(f"full-text search is not set up for {dialect}")


def _postgres_matches(q: str) -> ColumnElement[bool]:
    query = func.websearch_to_tsquery(_SIMPLE, q)
    # One set of ids from both indexes (two bitmap index scans), rather than `document @@ q OR id IN
    # (...)`: with the OR, PostgreSQL filters every ticket row and never uses the tickets' index.
    return Ticket.id.in_(
        union(
            select(Ticket.id).where(_ticket_document().bool_op("@@")(query)).correlate(None),
            select(Comment.ticket_id).where(_comment_document().bool_op("@@")(query)),
        )
    )


# The documents exactly as the PostgreSQL indexes spell them, with literals rather than parameters: the
# planner uses an expression index only for the identical expression.
_SIMPLE = literal_column("'simple'")
_EMPTY = literal_column("''")
_SPACE = literal_column("' '")


def _ticket_document() -> ColumnElement:
    text = (
        func.coalesce(Ticket.subject, _EMPTY)
        .op("||")(_SPACE)
        .op("||")(func.coalesce(Ticket.description, _EMPTY))
    )
    return func.to_tsvector(_SIMPLE, text)


def _comment_document() -> ColumnElement:
    return func.to_tsvector(_SIMPLE, Comment.body)


def _sqlite_matches(q: str) -> ColumnElement[bool]:
    clauses = websearch_to_fts5(q)
    if not clauses:
        return false()  # nothing searchable in it, as PostgreSQL answers such a query
    tickets_fts = table(TICKETS_FTS, column("rowid"))
    comments_fts = table(COMMENTS_FTS, column("rowid"))
    comment_ids = [clause.condition(Comment.id, comments_fts) for clause in clauses]
    return or_(
        *(clause.condition(Ticket.id, tickets_fts) for clause in clauses),
        Ticket.id.in_(select(Comment.ticket_id).where(or_(*comment_ids))),
    )


@dataclass
class Fts5Clause:
    """One `or`-separated part of a websearch query: all of `required` and none of `excluded`.

    Each entry is an FTS5 string (a quoted phrase), so no user text is ever read as FTS5 syntax.
    """

    required: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def condition(self, id_column, fts) -> ColumnElement[bool]:
        """The documents (ids in `id_column`) that this clause accepts, via the FTS5 table `fts`."""

        def matching(expression: str):
            return select(fts.c.rowid).where(literal_column(fts.name).op("MATCH")(expression))

        required = " AND ".join(self.required)
        excluded = " OR ".join(self.excluded)
        if required and excluded:
            return id_column.in_(matching(f"({required}) NOT ({excluded})"))
        if required:
            return id_column.in_(matching(required))
        if excluded:
            # FTS5 has no unary NOT: "-word" alone means every document without the word.
            return id_column.not_in(matching(excluded))
        return true()


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _searchable(text: str) -> bool:
    # The tokenizer keeps letters and digits; text without any (punctuation, "-", "*") yields no term,
    # and PostgreSQL likewise ignores such parts of a query.
    return any(ch.isalnum() for ch in text)


def _websearch_items(q: str) -> list[tuple[str, bool, bool]]:
    """(text, negated, quoted) for each word run or quoted phrase, the way websearch_to_tsquery splits."""
    items: list[tuple[str, bool, bool]] = []
    negated = False
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
        elif ch == "-":
            negated = not negated
            i += 1
        elif ch == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end  # an unclosed quote runs to the end, as in PostgreSQL
            items.append((q[i + 1 : end], negated, True))
            negated = False
            i = end + 1
        else:
            end = i
            while end < n and not q[end].isspace() and q[end] != '"':
                end += 1
            items.append((q[i:end], negated, False))
            negated = False
            i = end
    return items


def websearch_to_fts5(q: str) -> list[Fts5Clause]:
    """`q` in PostgreSQL's websearch syntax as FTS5 clauses, any of which may match.

    Words and "phrases" are all required; `or` between two of them makes alternatives (binding looser
    than the implicit AND, as in PostgreSQL: `a or b c` is a, or b and c); a leading `-` excludes.
    Parts without a letter or digit are dropped. An empty list means nothing searchable was given.
    """
    items = _websearch_items(q)
    clauses: list[Fts5Clause] = [Fts5Clause()]
    for index, (text, negated, quoted) in enumerate(items):
        current = clauses[-1]
        is_operator = (
            not quoted
            and not negated
            and text.lower() == "or"
            and bool(current.required or current.excluded)
            and index + 1 < len(items)
        )
        if is_operator:
            clauses.append(Fts5Clause())
        elif _searchable(text):
            (current.excluded if negated else current.required).append(_fts5_string(text))
    return [clause for clause in clauses if clause.required or clause.excluded]
