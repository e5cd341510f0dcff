"""index chinese and japanese text one character per word for full-text search

Revision ID: d56cdebd08c6
Revises: a28e2d69c14f
Create Date: 2026-12-02 10:12:41.503118

Chinese and Japanese have no spaces between words, so the search indexes held a whole sentence as one
word, found only by the whole sentence. From here both backends index every CJK character as a word of
its own (`switchboard_search_text`), and the queries search a CJK word as the phrase of its characters.

PostgreSQL: the expression indexes are rebuilt over the new expression, which indexes every existing
ticket and comment anew. SQLite: the FTS5 triggers write the new text, and the FTS5 tables are refilled
from the tickets and comments already there (through the functions the app registers on its SQLite
connections, as the triggers themselves do).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd56cdebd08c6'
down_revision = 'a28e2d69c14f'
branch_labels = None
depends_on = None

# Written out as they are at this revision (app/tickets/search_index.py builds the same).
SEARCH_TEXT_FUNCTION = (
    r"CREATE OR REPLACE FUNCTION switchboard_search_text(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    r"AS $$ SELECT regexp_replace($1, '([\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\U00020000-\U0003ffff])', ' \1 ', 'g') $$"
)

NEW_TICKET_TEXT = "switchboard_search_text(coalesce({row}subject, '') || ' ' || switchboard_html_text({row}description))"
NEW_COMMENT_TEXT = "switchboard_search_text(switchboard_html_text({row}body))"
OLD_TICKET_TEXT = "coalesce({row}subject, '') || ' ' || switchboard_html_text({row}description)"
OLD_COMMENT_TEXT = "switchboard_html_text({row}body)"

POSTGRES_UPGRADE = [
    SEARCH_TEXT_FUNCTION,
    "DROP INDEX IF EXISTS ix_tickets_fulltext",
    "DROP INDEX IF EXISTS ix_ticket_comments_fulltext",
    "CREATE INDEX ix_tickets_fulltext ON tickets USING gin (to_tsvector('simple', switchboard_search_text(coalesce(subject, '') || ' ' || coalesce(description, ''))))",
    "CREATE INDEX ix_ticket_comments_fulltext ON ticket_comments USING gin (to_tsvector('simple', switchboard_search_text(body)))",
]
POSTGRES_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_tickets_fulltext",
    "DROP INDEX IF EXISTS ix_ticket_comments_fulltext",
    "CREATE INDEX ix_tickets_fulltext ON tickets USING gin (to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(description, '')))",
    "CREATE INDEX ix_ticket_comments_fulltext ON ticket_comments USING gin (to_tsvector('simple', body))",
    "DROP FUNCTION IF EXISTS switchboard_search_text(text)",
]


def _sqlite_triggers(ticket_text, comment_text):
    """The insert and update triggers of the FTS5 tables, indexing the given text (the delete triggers
    do not change), and the FTS5 tables refilled with that text."""
    ticket_new = ticket_text.format(row="new.")
    comment_new = comment_text.format(row="new.")
    return [
        "DROP TRIGGER IF EXISTS tickets_fulltext_insert",
        "DROP TRIGGER IF EXISTS tickets_fulltext_update",
        "DROP TRIGGER IF EXISTS ticket_comments_fulltext_insert",
        "DROP TRIGGER IF EXISTS ticket_comments_fulltext_update",
        f"CREATE TRIGGER tickets_fulltext_insert AFTER INSERT ON tickets BEGIN\n                INSERT INTO tickets_fulltext(rowid, body) VALUES (new.id, {ticket_new});\n            END",
        f"CREATE TRIGGER tickets_fulltext_update AFTER UPDATE OF id, subject, description ON tickets BEGIN\n                DELETE FROM tickets_fulltext WHERE rowid = old.id;\n                INSERT INTO tickets_fulltext(rowid, body) VALUES (new.id, {ticket_new});\n            END",
        f"CREATE TRIGGER ticket_comments_fulltext_insert AFTER INSERT ON ticket_comments BEGIN\n                INSERT INTO ticket_comments_fulltext(rowid, body) VALUES (new.id, {comment_new});\n            END",
        f"CREATE TRIGGER ticket_comments_fulltext_update AFTER UPDATE OF id, body ON ticket_comments BEGIN\n                DELETE FROM ticket_comments_fulltext WHERE rowid = old.id;\n                INSERT INTO ticket_comments_fulltext(rowid, body) VALUES (new.id, {comment_new});\n            END",
        "DELETE FROM tickets_fulltext",
        f"INSERT INTO tickets_fulltext(rowid, body) SELECT id, {ticket_text.format(row='')} FROM tickets",
        "DELETE FROM ticket_comments_fulltext",
        f"INSERT INTO ticket_comments_fulltext(rowid, body) SELECT id, {comment_text.format(row='')} FROM ticket_comments",
        "INSERT INTO tickets_fulltext(tickets_fulltext) VALUES ('optimize')",
        "INSERT INTO ticket_comments_fulltext(ticket_comments_fulltext) VALUES ('optimize')",
    ]


RAW_UPGRADE = {
    "postgresql": POSTGRES_UPGRADE,
    "sqlite": _sqlite_triggers(NEW_TICKET_TEXT, NEW_COMMENT_TEXT),
}
RAW_DOWNGRADE = {
    "postgresql": POSTGRES_DOWNGRADE,
    "sqlite": _sqlite_triggers(OLD_TICKET_TEXT, OLD_COMMENT_TEXT),
}


def _raw(statements):
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade():
    _raw(RAW_UPGRADE)


def downgrade():
    _raw(RAW_DOWNGRADE)
