"""Searching tickets: `GET /api/v1/tickets` with filters, full text, sorting and paging, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update

from app.dbtypes import utcnow
from app.extensions import db
from app.tickets import services
from app.tickets.models import Comment, Ticket
from app.tickets.search import index as search_index
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import ApiClient
from tests.ticket_factories import QueueFactory
from tests.tickets.workflow import CUSTOMER, open_ticket, ticket_in


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def search(api, **params):
    response = api.get("/api/v1/tickets", query_string=params)
    assert response.status_code == 200, response.json
    return response


def found(api, **params) -> list[int]:
    """Ids of the matching tickets, in the order the search gives them."""
    return [ticket["id"] for ticket in search(api, page_size=100, **params).json]


def found_set(api, **params) -> set[int]:
    return set(found(api, **params))


def opened(actor, at: datetime, subject: str = "Old ticket", **fields) -> int:
    """A ticket opened at a moment in the past, as the history import does it."""
    return services.open_ticket(subject=subject, customer=CUSTOMER, actor=actor, at=at, **fields).id


def comment(api, ticket: dict, body: str, *, public: bool = True) -> None:
    response = api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": body, "public": public})
    assert response.status_code == 201, response.json


# -- listing and paging ------------------------------------------------------------------------------


def test_without_filters_every_ticket_is_listed_newest_first_and_paged(as_agent):
    first, second, third = (open_ticket(as_agent, subject=f"Ticket {n}")["id"] for n in range(3))

    response = search(as_agent, page_size=2)

    assert [ticket["id"] for ticket in response.json] == [third, second]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert [t["id"] for t in search(as_agent, page_size=2, page=2).json] == [first]
    assert response.json[0]["customer"]["name"] == CUSTOMER["name"]


def test_searching_needs_a_signed_in_caller(client):
    assert client.get("/api/v1/tickets").status_code == 401


# -- filters -----------------------------------------------------------------------------------------


def test_status_filter_takes_one_value_or_several(as_agent):
    new = open_ticket(as_agent)["id"]
    pending = ticket_in(as_agent, "pending")["id"]
    solved = ticket_in(as_agent, "solved")["id"]

    assert found_set(as_agent, status="new") == {new}
    assert found_set(as_agent, status=["pending", "solved"]) == {pending, solved}


def test_priority_type_and_channel_filters(as_agent):
    urgent = open_ticket(as_agent, priority="urgent", type="incident", channel="phone")["id"]
    low = open_ticket(as_agent, priority="low", type="request", channel="email")["id"]
    open_ticket(as_agent, priority="normal")

    assert found_set(as_agent, priority="urgent") == {urgent}
    assert found_set(as_agent, priority=["urgent", "low"]) == {urgent, low}
    assert found_set(as_agent, type="request") == {low}
    assert found_set(as_agent, channel="phone") == {urgent}


def test_queue_filter_takes_ids_none_and_the_queues_of_my_teams(as_agent, agent):
    mine = QueueFactory(team=TeamFactory(members=[agent]))
    theirs = QueueFactory(team=TeamFactory(), outsider_access="read")
    in_mine = open_ticket(as_agent, queue_id=mine.id)["id"]
    in_theirs = open_ticket(as_agent, queue_id=theirs.id)["id"]
    nowhere = open_ticket(as_agent)["id"]

    assert found_set(as_agent, queue_id=theirs.id) == {in_theirs}
    assert found_set(as_agent, queue_id="mine") == {in_mine}
    assert found_set(as_agent, queue_id="none") == {nowhere}
    assert found_set(as_agent, queue_id=["mine", "none"]) == {in_mine, nowhere}


def test_assignee_filter_takes_ids_me_and_none(as_agent, agent, supervisor, as_supervisor):
    mine = open_ticket(as_agent, assignee_id=agent.id)["id"]
    theirs = open_ticket(as_supervisor, assignee_id=supervisor.id)["id"]
    nobodys = open_ticket(as_agent)["id"]

    assert found_set(as_agent, assignee_id="me") == {mine}
    assert found_set(as_agent, assignee_id=supervisor.id) == {theirs}
    assert found_set(as_agent, assignee_id="none") == {nobodys}
    assert found_set(as_agent, assignee_id=["me", "none"]) == {mine, nobodys}


def test_customer_filter(as_agent):
    olivia = open_ticket(as_agent)
    other = open_ticket(as_agent, customer={"name": "Bob", "email": "bob@example.com"})

    assert found_set(as_agent, customer_id=olivia["customer"]["id"]) == {olivia["id"]}
    assert found_set(as_agent, customer_id=other["customer"]["id"]) == {other["id"]}


def test_tag_filter_needs_every_tag_given_in_any_case(as_agent):
    both = open_ticket(as_agent, tags=["vip", "billing"])["id"]
    vip = open_ticket(as_agent, tags=["vip"])["id"]
    open_ticket(as_agent)

    assert found_set(as_agent, tag="VIP") == {both, vip}
    assert found_set(as_agent, tag=["vip", "billing"]) == {both}
    assert found_set(as_agent, tag="nope") == set()


def test_created_range_is_half_open(app, agent, as_agent):
    before = opened(agent, utc(2026, 1, 4, 23, 59, 59))
    at_start = opened(agent, utc(2026, 1, 5))
    inside = opened(agent, utc(2026, 1, 6, 12))
    at_end = opened(agent, utc(2026, 1, 7))

    window = {"created_from": "2026-01-05T00:00:00Z", "created_to": "2026-01-07T00:00:00Z"}
    assert found(as_agent, **window) == [inside, at_start]
    assert found_set(as_agent, created_from="2026-01-06") == {inside, at_end}
    assert found_set(as_agent, created_to="2026-01-05") == {before}
    # An offset is honoured: 01:00 in Paris on 5 January is midnight UTC.
    assert at_start in found_set(as_agent, created_from="2026-01-05T01:00:00+01:00")


def test_updated_and_solved_ranges(app, agent, as_agent):
    quiet = opened(agent, utc(2026, 1, 5))
    changed = opened(agent, utc(2026, 1, 5))
    services.update_ticket(changed, {"priority": "high"}, expected_version=1, actor=agent, at=utc(2026, 1, 8))
    solved = opened(agent, utc(2026, 1, 5), assignee_id=agent.id)
    services.update_ticket(solved, {"status": "solved"}, expected_version=1, actor=agent, at=utc(2026, 1, 9))

    assert found_set(as_agent, updated_from="2026-01-08", updated_to="2026-01-09") == {changed}
    assert found_set(as_agent, updated_to="2026-01-06") == {quiet}
    assert found_set(as_agent, solved_from="2026-01-09") == {solved}
    assert found_set(as_agent, solved_to="2026-01-09") == set()


def test_filters_combine(as_agent, agent):
    wanted = open_ticket(as_agent, subject="Refund for order 1234", priority="high", assignee_id=agent.id)
    open_ticket(as_agent, subject="Refund for order 99", priority="low", assignee_id=agent.id)
    open_ticket(as_agent, subject="Refund again", priority="high")
    open_ticket(as_agent, subject="Printer", priority="high", assignee_id=agent.id)

    assert found(as_agent, q="refund", priority="high", assignee_id="me", status="open") == [wanted["id"]]


# -- sorting -----------------------------------------------------------------------------------------


def test_sort_by_priority_updated_and_due(app, agent, as_agent):
    low = opened(agent, utc(2026, 1, 5, 9), priority="low")
    urgent = opened(agent, utc(2026, 1, 5, 10), priority="urgent")
    normal = opened(agent, utc(2026, 1, 5, 11), priority="normal")
    services.update_ticket(low, {"subject": "Still low"}, expected_version=1, actor=agent, at=utc(2026, 1, 6))

    assert found(as_agent) == [normal, urgent, low]
    assert found(as_agent, order="asc") == [low, urgent, normal]
    assert found(as_agent, sort="priority") == [urgent, normal, low]
    assert found(as_agent, sort="priority", order="asc") == [low, normal, urgent]
    assert found(as_agent, sort="updated_at") == [low, normal, urgent]
    # First responses are due 1 h (urgent), 8 h (normal) and 24 h (low) after opening.
    assert found(as_agent, sort="due") == [urgent, normal, low]
    assert found(as_agent, sort="due", order="desc") == [low, normal, urgent]


def test_tickets_without_a_running_sla_target_sort_last_by_due(app, agent, as_agent):
    done = opened(agent, utc(2026, 1, 5, 9), priority="urgent", assignee_id=agent.id)
    services.update_ticket(
        done, {"status": "solved"}, expected_version=1, actor=agent, at=utc(2026, 1, 5, 9, 5)
    )
    running = opened(agent, utc(2026, 1, 5, 10), priority="low")

    assert found(as_agent, sort="due") == [running, done]
    assert found(as_agent, sort="due", order="desc") == [running, done]


def test_breaching_within_keeps_tickets_with_a_running_target_due_soon_or_overdue(app, agent, as_agent):
    now = utcnow()
    overdue = opened(agent, now - timedelta(days=2), priority="low")  # first response was due after 24 h
    urgent = open_ticket(as_agent, priority="urgent")  # first response due in 1 h
    open_ticket(as_agent, priority="high")  # due in 4 h
    answered = open_ticket(as_agent, priority="urgent")
    comment(as_agent, answered, "On it.")  # first response met; resolution due in a day

    assert found(as_agent, breaching_within_seconds=7200, sort="due") == [overdue, urgent["id"]]
    assert found(as_agent, breaching_within_seconds=0) == [overdue]


# -- full text ---------------------------------------------------------------------------------------


def test_full_text_finds_subject_description_and_comments(as_agent):
    by_subject = open_ticket(as_agent, subject="Printer on fire", description="Help")
    by_description = open_ticket(as_agent, subject="Help", description="<p>The <b>toner</b> leaks</p>")
    by_reply = open_ticket(as_agent, subject="Help", description="Hello")
    comment(as_agent, by_reply, "<p>Have you tried the <em>modem</em>?</p>")
    by_note = open_ticket(as_agent, subject="Help", description="Hello")
    comment(as_agent, by_note, "Customer is on the gold plan", public=False)

    assert found(as_agent, q="printer") == [by_subject["id"]]
    assert found(as_agent, q="TONER") == [by_description["id"]]
    assert found(as_agent, q="modem") == [by_reply["id"]]
    assert found(as_agent, q="gold plan") == [by_note["id"]]
    assert found(as_agent, q="toner modem") == []  # all words in one document: the ticket or a comment


def test_markup_is_not_searchable_text(as_agent, agent):
    ticket = open_ticket(as_agent, subject="Help", description="<p><strong>Tom &amp; Jerry</strong></p>")
    mention = f'<p>Ask <span class="mention" data-agent-id="{agent.id}">@Alex</span> about the table</p>'
    comment(as_agent, ticket, mention)

    assert found(as_agent, q="jerry") == [ticket["id"]]
    assert found(as_agent, q="alex table") == [ticket["id"]]
    for markup in ("p", "strong", "amp", "span", "mention", "agent", "class"):
        assert found(as_agent, q=markup) == [], markup


def test_websearch_syntax_phrases_or_and_exclusion(as_agent):
    fire = open_ticket(as_agent, subject="Printer on fire")
    paper = open_ticket(as_agent, subject="Printer out of paper")
    refund = open_ticket(as_agent, subject="Refund please")

    assert found_set(as_agent, q='"on fire"') == {fire["id"]}
    assert found_set(as_agent, q='"fire on"') == set()
    assert found_set(as_agent, q="printer -fire") == {paper["id"]}
    assert found_set(as_agent, q="refund or paper") == {refund["id"], paper["id"]}
    assert found_set(as_agent, q="-printer") == {refund["id"]}


def test_chinese_text_matches_as_a_whole_word(as_agent):
    ticket = open_ticket(as_agent, subject="Urgent", description="打印机着火了 请帮忙")

    assert found(as_agent, q="打印机着火了") == [ticket["id"]]
    assert found(as_agent, q="请帮忙") == [ticket["id"]]


def test_index_follows_edits_merges_and_deleted_comments(as_agent):
    ticket = open_ticket(as_agent, subject="Printer", description="blue smoke")
    response = as_agent.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"version": ticket["version"], "description": "green smoke"}
    )
    assert response.status_code == 200

    assert found(as_agent, q="blue") == []
    assert found(as_agent, q="green") == [ticket["id"]]

    duplicate = open_ticket(as_agent, subject="Printer again", description="Same thing")
    comment(as_agent, duplicate, "the fuser rattles")
    merged = as_agent.post(f"/api/v1/tickets/{duplicate['id']}/merge", json={"into": ticket["id"]})
    assert merged.status_code == 200, merged.json
    assert found(as_agent, q="rattles") == [ticket["id"]]

    db.session.delete(db.session.scalars(db.select(Comment).where(Comment.body.contains("fuser"))).one())
    db.session.commit()
    assert found(as_agent, q="rattles") == []


HOSTILE = [
    '"',
    '""',
    '"unclosed phrase',
    "*",
    "printer*",
    "NEAR(",
    "NEAR(printer fire, 2)",
    "OR",
    "AND",
    "NOT",
    "printer OR",
    "or or or",
    "-",
    "--printer",
    "- -",
    ":",
    "subject:printer",
    "body : x",
    "'",
    "O'Brien's",
    "\\",
    "\\\\'\"",
    "printer & fire | !x",
    "(printer",
    "printer)",
    "{body}",
    "^printer",
    "+printer",
    "%_%",
    "' OR 1=1 --",
    '"; DROP TABLE tickets; --',
    "😀🔥",
    "Ünïcödé ßtraße",
    "打印机着火了",
    "\u200b\u00a0\t",
    "a" * 200,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_any_text_is_a_safe_query(as_agent, q):
    open_ticket(as_agent, subject="Printer on fire", description="O'Brien's printer")

    response = as_agent.get("/api/v1/tickets", query_string={"q": q})

    assert response.status_code == 200, response.json
    assert isinstance(response.json, list)


def test_hostile_terms_still_match_their_words(as_agent):
    ticket = open_ticket(as_agent, subject="Printer on fire", description="O'Brien's printer")

    assert found(as_agent, q="printer*") == [ticket["id"]]
    assert found(as_agent, q="NEAR(printer") == []  # "near" is a word like any other, and it is absent
    assert found(as_agent, q='"printer') == [ticket["id"]]
    assert found(as_agent, q="(fire)") == [ticket["id"]]


def test_a_query_without_any_word_finds_nothing(as_agent):
    open_ticket(as_agent)

    assert found(as_agent, q='" - * :') == []


def test_a_blank_query_is_no_filter(as_agent):
    ticket = open_ticket(as_agent)

    assert found(as_agent, q="   ") == [ticket["id"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("printer fire", [(['"printer"', '"fire"'], [])]),
        ('"on fire" -smoke', [(['"on fire"'], ['"smoke"'])]),
        ("a or b c", [(['"a"'], []), (['"b"', '"c"'], [])]),
        ("or fire", [(['"or"', '"fire"'], [])]),
        ("fire or", [(['"fire"', '"or"'], [])]),
        ("a -- b", [(['"a"', '"b"'], [])]),
        ('say "hi', [(['"say"', '"hi"'], [])]),
        ("NEAR(", [(['"NEAR("'], [])]),
        ('x"y', [(['"x"', '"y"'], [])]),
        ("- * :", []),
    ],
)
def test_websearch_syntax_becomes_quoted_fts5_terms(q, expected):
    clauses = search_index.websearch_to_fts5(q)

    assert [(clause.required, clause.excluded) for clause in clauses] == expected


# -- bad filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": ["open", "lost"]}, "status"),
        ({"priority": "asap"}, "priority"),
        ({"type": "rant"}, "type"),
        ({"queue_id": "yours"}, "queue_id"),
        ({"assignee_id": "someone"}, "assignee_id"),
        ({"assignee_id": "0"}, "assignee_id"),
        ({"assignee_id": str(2**31)}, "assignee_id"),
        ({"customer_id": "x"}, "customer_id"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_from": "2026-01-05", "created_to": "2026-01-04"}, "created_to"),
        ({"created_from": "2026-01-05", "created_to": "2026-01-05"}, "created_to"),
        ({"updated_from": "2026-01-05T10:00:00Z", "updated_to": "2026-01-05T09:00:00Z"}, "updated_to"),
        ({"solved_from": "2026-02-01", "solved_to": "2026-01-01"}, "solved_to"),
        ({"solved_to": "9999-12-31T23:00:00-05:00"}, "solved_to"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
        ({"tag": "x" * 51}, "tag"),
        ({"breaching_within_seconds": "-1"}, "breaching_within_seconds"),
        ({"breaching_within_seconds": "soon"}, "breaching_within_seconds"),
        ({"sort": "subject"}, "sort"),
        ({"order": "sideways"}, "order"),
    ],
)
def test_bad_filters_get_422_naming_the_field(as_agent, params, field):
    response = as_agent.get("/api/v1/tickets", query_string=params)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_too_many_values_in_a_list_filter_get_422(as_agent):
    response = as_agent.get("/api/v1/tickets", query_string={"customer_id": [str(n) for n in range(1, 60)]})

    assert response.status_code == 422
    assert "customer_id" in response.json["errors"]


# -- the index itself --------------------------------------------------------------------------------


def test_search_structures_are_left_out_of_autogenerate(app):
    """Migrations create the full-text structures by raw DDL; autogenerate must not offer to drop them."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": search_index.include_name}
        )
        assert compare_metadata(context, db.metadata) == []
        unfiltered = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(unfiltered, db.metadata) != []  # so the filter is what hides them


def test_tickets_changed_behind_the_orm_are_reindexed(as_agent):
    """The index is kept by the database (triggers, expression indexes), not by the services."""
    ticket = open_ticket(as_agent, subject="Printer")
    db.session.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(subject="Scanner"))
    db.session.commit()

    assert found(as_agent, q="scanner") == [ticket["id"]]
    assert found(as_agent, q="printer") == []


def test_another_agent_sees_the_same_results(app, as_agent):
    ticket = open_ticket(as_agent, subject="Printer")
    other = ApiClient.for_agent(app, AgentFactory(role="agent"))

    assert found(other, q="printer") == [ticket["id"]]
