"""Searching Chinese (and Japanese) text: words inside longer text, without spaces between them.

Chinese is written without spaces, so a search that splits text at spaces only would find 发票抬头需要修改
by the whole sentence and never by 发票 or 修改. These run on both backends, as every `app` test does.
"""

# Chinese text is written with full-width punctuation.
# ruff: noqa: RUF001

from __future__ import annotations

import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import column, insert, select, table, text, update

from app import create_app
from app.accounts.models import Agent
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.tickets import services
from app.tickets.models import Ticket
from app.tickets.search import index as search_index
from app.tickets.search.services import search_tickets
from tests.conftest import BASE_CONFIG
from tests.factories import PASSWORD, bind_factories
from tests.helpers import sign_in
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)
from tests.tickets.search.test_search import HOSTILE, comment, found, found_set
from tests.tickets.workflow import CUSTOMER, open_ticket

# -- words inside longer text ------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["票", "发票", "计算机", "发票抬头需要修改", "抬头需要"])
def test_a_chinese_word_of_any_length_is_found_inside_longer_text(as_agent, q):
    ticket = open_ticket(as_agent, subject="开不了机", description="<p>我的计算机坏了，发票抬头需要修改</p>")
    open_ticket(as_agent, subject="Printer on fire", description="It smells.")

    assert found(as_agent, q=q) == [ticket["id"]]


def test_only_the_characters_in_that_order_and_next_to_each_other_match(as_agent):
    invoice = open_ticket(as_agent, subject="发票抬头需要修改", description="")
    shipping = open_ticket(as_agent, subject="发货太慢了", description="")

    assert found_set(as_agent, q="发") == {invoice["id"], shipping["id"]}
    assert found(as_agent, q="发票") == [invoice["id"]]
    assert found(as_agent, q="发货") == [shipping["id"]]
    assert found(as_agent, q="票发") == []
    assert found(as_agent, q="发抬") == []  # both characters are there, but not next to each other
    assert found(as_agent, q="退款") == []


def test_a_chinese_word_is_found_in_comments_and_notes_across_markup(as_agent):
    reply = open_ticket(as_agent, subject="Help", description="Hello")
    comment(as_agent, reply, "<p>已经<strong>退款</strong>给客户了</p>")
    note = open_ticket(as_agent, subject="Help", description="Hello")
    comment(as_agent, note, "客户是金卡会员", public=False)

    assert found(as_agent, q="退款") == [reply["id"]]
    assert found(as_agent, q="款给") == [reply["id"]]  # the markup between them is no word
    assert found(as_agent, q="金卡") == [note["id"]]
    assert found(as_agent, q="会") == [note["id"]]
    assert found(as_agent, q="退款 金卡") == []  # all words in one document, as for any language


def test_separate_chinese_words_and_the_websearch_syntax(as_agent):
    invoice = open_ticket(as_agent, subject="发票抬头需要修改", description="请尽快处理")
    refund = open_ticket(as_agent, subject="申请退款", description="请尽快处理")

    assert found(as_agent, q="发票 处理") == [invoice["id"]]
    assert found(as_agent, q="处理 -发票") == [refund["id"]]
    assert found_set(as_agent, q="发票 or 退款") == {invoice["id"], refund["id"]}
    assert found(as_agent, q='"抬头需要"') == [invoice["id"]]
    assert found(as_agent, q='"需要 修改"') == [invoice["id"]]  # a space in a phrase is no obstacle
    assert found(as_agent, q='"修改需要"') == []
    assert found_set(as_agent, q="-退款") == {invoice["id"]}


def test_mixed_chinese_and_english_text(as_agent):
    ticket = open_ticket(
        as_agent, subject="VPN无法连接", description="<p>用户的Outlook邮箱打不开, since Monday</p>"
    )
    other = open_ticket(as_agent, subject="VPN slow", description="Outlook works")

    assert found_set(as_agent, q="vpn") == {ticket["id"], other["id"]}
    assert found(as_agent, q="连接") == [ticket["id"]]
    assert found(as_agent, q="VPN无法") == [ticket["id"]]
    assert found(as_agent, q="outlook 邮箱") == [ticket["id"]]
    assert found(as_agent, q="Outlook邮箱") == [ticket["id"]]
    assert found(as_agent, q="打不开 monday") == [ticket["id"]]
    assert found(as_agent, q="vpn -连接") == [other["id"]]
    assert found(as_agent, q="outlook -邮箱") == [other["id"]]


def test_japanese_kana_and_kanji_are_found_inside_longer_text(as_agent):
    ticket = open_ticket(as_agent, subject="ログインできない", description="パスワードを忘れました")

    assert found(as_agent, q="パスワード") == [ticket["id"]]
    assert found(as_agent, q="忘れ") == [ticket["id"]]
    assert found(as_agent, q="ログイン") == [ticket["id"]]


def test_english_words_still_match_whole_without_stemming_or_prefixes(as_agent):
    printer = open_ticket(as_agent, subject="Printer on fire", description="<p>The toner leaks</p>")
    chinese = open_ticket(as_agent, subject="打印机着火了", description="printers 请帮忙")

    assert found(as_agent, q="printer") == [printer["id"]]
    assert found(as_agent, q="printers") == [chinese["id"]]
    assert found(as_agent, q="print") == []
    assert found(as_agent, q="toner leaks") == [printer["id"]]
    assert found(as_agent, q='"on fire"') == [printer["id"]]
    assert found(as_agent, q="着火") == [chinese["id"]]


def test_chinese_search_combines_with_filters_sorting_and_paging(as_agent, agent):
    tickets = [
        open_ticket(as_agent, subject=f"发票问题 {n}", priority="high" if n % 2 else "low")["id"]
        for n in range(5)
    ]
    open_ticket(as_agent, subject="退款问题", priority="high")

    assert found(as_agent, q="发票") == tickets[::-1]
    assert found(as_agent, q="发票", priority="high") == [tickets[3], tickets[1]]
    first = as_agent.get("/api/v1/tickets", query_string={"q": "发票", "page_size": 2, "order": "asc"})
    assert [ticket["id"] for ticket in first.json] == tickets[:2]


def test_the_chinese_index_follows_edits(as_agent):
    ticket = open_ticket(as_agent, subject="发票抬头需要修改", description="")
    db.session.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(subject="退款申请"))
    db.session.commit()

    assert found(as_agent, q="发票") == []
    assert found(as_agent, q="退款") == [ticket["id"]]


# Each query with what it finds of the one ticket below: "it", "nothing", or None where either answer
# would do (odd syntax whose reading is the backend's business); every one is answered.
CJK_HOSTILE = [
    ("发", "it"),
    ('"发票', "it"),
    ('发票"', "it"),
    ('发票"abc"', "nothing"),
    ('"发票""修改"', "it"),
    ("-发票", "nothing"),
    ("--发票", None),
    ("- 发票", None),
    ("发票*", "it"),
    ("（发票）", "it"),
    ("发票，谢谢", None),
    ("。，、", "nothing"),
    ("发票 or", None),
    ("or 发票", None),
    ("发票 OR 修改 -", "it"),
    ("𠀀𠀁", "nothing"),
    ("NEAR(发票", None),
    ("' OR 1=1 -- 发票", None),
    ("发" * 200, "nothing"),
]


@pytest.mark.parametrize(("q", "expected"), CJK_HOSTILE)
def test_any_chinese_text_is_a_safe_query(as_agent, q, expected):
    ticket = open_ticket(as_agent, subject="发票抬头需要修改", description="谢谢")

    response = as_agent.get("/api/v1/tickets", query_string={"q": q})

    assert response.status_code == 200, response.json
    assert isinstance(response.json, list)
    ids = [found["id"] for found in response.json]
    if expected is not None:
        assert ids == {"it": [ticket["id"]], "nothing": []}[expected]


def test_quotes_and_punctuation_around_chinese_words_do_not_hide_them(as_agent):
    ticket = open_ticket(as_agent, subject="发票抬头需要修改，谢谢", description="")

    assert found(as_agent, q="（发票）") == [ticket["id"]]
    assert found(as_agent, q='"发票') == [ticket["id"]]
    assert found(as_agent, q="修改，谢谢") == [ticket["id"]]
    assert found(as_agent, q="修改 谢谢") == [ticket["id"]]
    assert found(as_agent, q="。，、") == []


def test_the_ticket_list_page_finds_a_chinese_word(client, agent):
    invoice = services.open_ticket(subject="发票抬头需要修改", description="", customer=CUSTOMER, actor=agent)
    other = services.open_ticket(subject="退款申请", description="", customer=CUSTOMER, actor=agent)
    assert sign_in(client, agent.email, PASSWORD).status_code == 302

    page = client.get("/tickets", query_string={"q": "发票"}).get_data(as_text=True)

    assert invoice.reference in page
    assert other.reference not in page


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # the expression indexes are its own
def test_postgres_searches_through_the_indexes(app, as_agent):
    """The query spells the documents as the expression indexes do, so the planner can use them."""
    open_ticket(as_agent, subject="发票抬头需要修改")
    query = search_tickets({"q": "发票 printer"}, actor=None)
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(conn.scalars(text(f"EXPLAIN {compiled}")))

    assert search_index.TICKETS_INDEX in plan
    assert search_index.COMMENTS_INDEX in plan


# -- the query translations --------------------------------------------------------------------------


@pytest.mark.parametrize("q", [q for q in HOSTILE if not re.search("[\u3040-\u30ff\u4e00-\u9fff]", q)])
def test_queries_without_chinese_reach_postgres_unchanged(q):
    assert search_index.websearch_for_postgres(q) == q


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("发票", ' " 发  票 " '),
        ("printer -发票", 'printer  -" 发  票 " '),
        ('"发票 抬头"', '" 发  票   抬  头 "'),
        ('"未闭合', '" 未  闭  合 '),
        ("vpn无法", ' "vpn 无  法 " '),
    ],
)
def test_chinese_words_reach_postgres_as_phrases_of_their_characters(q, expected):
    assert search_index.websearch_for_postgres(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("发票", [(['" 发  票 "'], [])]),
        ("printer -修改", [(['"printer"'], ['" 修  改 "'])]),
        ("发票 or 退款", [(['" 发  票 "'], []), (['" 退  款 "'], [])]),
        ("vpn无法", [(['"vpn 无  法 "'], [])]),
    ],
)
def test_chinese_words_become_fts5_phrases_of_their_characters(q, expected):
    clauses = search_index.websearch_to_fts5(q)

    assert [(clause.required, clause.excluded) for clause in clauses] == expected


def test_search_text_spaces_out_cjk_characters_only():
    assert search_index.search_text("发票abc 𠀀x") == " 发  票 abc  𠀀 x"
    assert search_index.search_text("Printer on fire, café") == "Printer on fire, café"
    assert search_index.search_text(None) == ""


# -- existing data -----------------------------------------------------------------------------------

BEFORE_CJK_SEARCH = "a28e2d69c14f"


def _agent_of_then() -> Agent:
    """An agent written into the schema of that revision, whose `agents.session_nonce` (NOT NULL) today's
    model no longer has. A supervisor, who searches every queue: the rule for agents reads a queue's
    `outsider_access`, a column of a later revision."""
    agents_then = table(
        "agents",
        *(column(name) for name in ("email", "name", "role", "password_hash", "active", "session_nonce")),
        *(column(name) for name in ("language", "timezone")),
        column("created_at", UTCDateTime()),
    )
    db.session.execute(
        insert(agents_then).values(
            email="then@example.com",
            name="Agent of then",
            role="supervisor",
            password_hash="not used",
            active=True,
            session_nonce="0",
            language="en",
            timezone="UTC",
            created_at=utcnow(),
        )
    )
    return db.session.scalar(select(Agent))


def test_upgrading_makes_existing_tickets_and_comments_searchable_by_chinese_words(
    empty_database,  # noqa: F811 (the fixture imported above)
):
    # Jobs are queued, not run inline: the call center's (routing a new ticket, the wallboard's figures)
    # read tables this old schema does not have yet, and a failed statement would abort the transaction.
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database, "RQ_ASYNC": True})
    with app.app_context():
        upgrade(revision=BEFORE_CJK_SEARCH)
        bind_factories()
        agent = _agent_of_then()
        ticket = services.open_ticket(
            subject="开不了机", description="<p>发票抬头需要修改</p>", customer=CUSTOMER, actor=agent
        )
        services.add_comment(ticket.id, body="<p>已经<b>退款</b>给客户了</p>", actor=agent)
        english = services.open_ticket(subject="Printer on fire", customer=CUSTOMER, actor=agent)

        def found_now(q: str) -> list[int]:
            db.session.expire_all()
            return [found.id for found in db.session.scalars(search_tickets({"q": q}, actor=agent))]

        if db.engine.dialect.name == "sqlite":
            assert found_now("发票") == []  # indexed as one word before

        upgrade()

        assert found_now("发票") == [ticket.id]
        assert found_now("修改") == [ticket.id]
        assert found_now("退款") == [ticket.id]
        assert found_now("printer") == [english.id]
        # And rows written after the upgrade are indexed the same way.
        later = services.open_ticket(subject="申请退款", customer=CUSTOMER, actor=agent)
        assert set(found_now("退款")) == {ticket.id, later.id}
        db.session.remove()
        db.engine.dispose()
