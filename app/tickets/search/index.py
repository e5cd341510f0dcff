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
  of the HTML through `switchboard_html_text`, a SQL function this module registers (with
  `switchboard_search_text`) on every SQLite connection the app opens (writes to those two tables from a
  connection without them fail loudly rather than index the wrong text). A comment's ticket is looked up
  through `ticket_comments` at query time, so merging tickets (which moves comments) needs no index
  change. FTS5's query language is not safe for user input, so `websearch_to_fts5` translates the same
  websearch syntax PostgreSQL accepts (words, "quoted phrases", `or`, `-exclusion`) into FTS5
  expressions where every term is a quoted string.
- Chinese and Japanese are written without spaces between words, so both tokenizers would make a whole
  sentence one word, found only whole. Both backends therefore index such text one character per word
  (`switchboard_search_text` puts a space on either side of every CJK character: a SQL function on
  PostgreSQL, `search_text` registered on SQLite connections), and the query side turns each CJK word
  into a phrase of its characters: 发票 is searched as the adjacent words "发 票" and finds
  发票抬头需要修改, whatever the length of the word searched for. `websearch_to_fts5` quotes every term
  anyway; `websearch_for_postgres` rewrites only the CJK words of a query, so a query without CJK
  characters reaches `websearch_to_tsquery` unchanged, as text without them reaches the index.

Everything is created with the tables (`after_create` listeners, so `db.create_all()` builds it) and is
not part of the models' metadata: migrations create it with the same DDL (`DDL` below), and Alembic's
autogenerate must skip it (`include_name`, names registered in `db.metadata.info`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import DDL, ColumnElement, event, false, func, literal_column, or_, select, true, union
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.sql import column, table

from app.extensions import db
from app.sanitize import html_to_text
from app.tickets.models.tickets import Comment, Ticket

TEXT_FUNCTION = "switchboard_html_text"
SEARCH_TEXT_FUNCTION = "switchboard_search_text"
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

# The characters of scripts written without spaces between words (Han ideographs of Chinese and
# Japanese, kana, bopomofo), each of which is indexed as a word of its own. The same class serves
# Python's `re` and PostgreSQL's regular expressions, which both read \uXXXX and \UXXXXXXXX escapes, so
# the query side (Python) and the index side (PostgreSQL) can never disagree on what a CJK character is.
_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31FF),  # Bopomofo Extended, CJK Strokes, Katakana Phonetic Extensions
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3FFFF),  # the Supplementary and Tertiary Ideographic Planes
)


def _escape(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


CJK_CLASS = "[" + "".join(f"{_escape(low)}-{_escape(high)}" for low, high in _CJK_RANGES) + "]"
_CJK = re.compile(CJK_CLASS)
_CJK_CHARACTER = re.compile(f"({CJK_CLASS})")

# PostgreSQL's twin of `search_text`: IMMUTABLE, as an index expression must be; a plain SQL function,
# so the planner inlines it into the query and the index expression alike.
_SEARCH_TEXT_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {SEARCH_TEXT_FUNCTION}(text) RETURNS text "
    f"LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    f"AS $$ SELECT regexp_replace($1, '({CJK_CLASS})', ' \\1 ', 'g') $$"
)

# The documents as PostgreSQL indexes them; `_ticket_document` and `_comment_document` build the same.
_TICKET_DOCUMENT_SQL = (
    f"to_tsvector('simple', "
    f"{SEARCH_TEXT_FUNCTION}(coalesce(subject, '') || ' ' || coalesce(description, '')))"
)
_COMMENT_DOCUMENT_SQL = f"to_tsvector('simple', {SEARCH_TEXT_FUNCTION}(body))"

_TICKET_TEXT_SQL = (
    f"{SEARCH_TEXT_FUNCTION}(coalesce(new.subject, '') || ' ' || {TEXT_FUNCTION}(new.description))"
)
_COMMENT_TEXT_SQL = f"{SEARCH_TEXT_FUNCTION}({TEXT_FUNCTION}(new.body))"
# unicode61 without diacritics removal: like PostgreSQL's 'simple', "café" and "cafe" stay different words.
_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"

DDL_STATEMENTS: dict[str, dict[str, list[str]]] = {
    "postgresql": {
        "tickets": [
            _SEARCH_TEXT_FUNCTION_SQL,
            f"CREATE INDEX {TICKETS_INDEX} ON tickets USING gin ({_TICKET_DOCUMENT_SQL})",
        ],
        "ticket_comments": [
            _SEARCH_TEXT_FUNCTION_SQL,
            f"CREATE INDEX {COMMENTS_INDEX} ON ticket_comments USING gin ({_COMMENT_DOCUMENT_SQL})",
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
# After the tickets table, the last whose index uses it (comments reference tickets, so they go first).
event.listen(
    Ticket.__table__,
    "after_drop",
    DDL(f"DROP FUNCTION IF EXISTS {SEARCH_TEXT_FUNCTION}(text)").execute_if(dialect="postgresql"),
)

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


def search_text(text: str | None) -> str:
    """`text` as the index reads it: a space on either side of every CJK character, so each is a word.

    Exactly what PostgreSQL's `switchboard_search_text` does; text without CJK characters is unchanged.
    """
    return _CJK_CHARACTER.sub(r" \1 ", text or "")


@event.listens_for(Engine, "connect")
def _register_text_function(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_function(TEXT_FUNCTION, 1, _plain_text, deterministic=True)
        dbapi_connection.create_function(SEARCH_TEXT_FUNCTION, 1, search_text, deterministic=True)


# -- matching ----------------------------------------------------------------------------------------


def matches(q: str, dialect: str) -> ColumnElement[bool]:
    """The condition on `Ticket` for the text query `q` (websearch syntax) on the given backend."""
    if dialect == "postgresql":
        return _postgres_matches(q)
    if dialect == "sqlite":
        return _sqlite_matches(q)
    raise NotImplementedError(f"full-text search is not set up for {dialect}")


def _postgres_matches(q: str) -> ColumnElement[bool]:
    query = func.websearch_to_tsquery(_SIMPLE, websearch_for_postgres(q))
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
    return func.to_tsvector(_SIMPLE, getattr(func, SEARCH_TEXT_FUNCTION)(text))


def _comment_document() -> ColumnElement:
    return func.to_tsvector(_SIMPLE, getattr(func, SEARCH_TEXT_FUNCTION)(Comment.body))


def websearch_for_postgres(q: str) -> str:
    """`q` for `websearch_to_tsquery`, each CJK word made a "quoted phrase" of its characters.

    The index holds CJK text one character per word, so 发票 must be searched as the phrase "发 票"
    (two adjacent words), not as one word nor as two words anywhere. Quoted phrases keep their quotes
    and get their characters spaced; a word's leading `-` stays outside the phrase it becomes. All else
    is left as written, and a query without CJK characters is returned unchanged.
    """
    if not _CJK.search(q):
        return q
    parts: list[str] = []
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            parts.append('"' + search_text(q[i + 1 : end]) + q[end : end + 1])
            i = end + 1
        elif ch.isspace():
            parts.append(ch)
            i += 1
        else:
            end = i
            while end < n and not q[end].isspace() and q[end] != '"':
                end += 1
            word = q[i:end]
            if _CJK.search(word):
                bare = word.lstrip("-")
                # Spaces around it, so the phrase's quotes never touch a quote of the text.
                word = f' {word[: len(word) - len(bare)]}"{search_text(bare)}" '
            parts.append(word)
            i = end
    return "".join(parts)


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
            # CJK words become phrases of their characters, as the index holds them (see `search_text`).
            (current.excluded if negated else current.required).append(_fts5_string(search_text(text)))
    return [clause for clause in clauses if clause.required or clause.excluded]


def forget_replaced_text() -> None:
    """Drop what the index still holds of text that was overwritten (a customer's erasure).

    PostgreSQL's expression indexes follow the rows. An FTS5 table keeps a replaced document's words in
    its old segments until they are merged; `optimize` merges them all now, so no word of an erased text
    stays readable in `*_data`. It rewrites the index, which embedded mode's sizes allow for a rare erasure.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return
    for name in (TICKETS_FTS, COMMENTS_FTS):
        db.session.execute(sql(f"INSERT INTO {name}({name}) VALUES('optimize')"))
