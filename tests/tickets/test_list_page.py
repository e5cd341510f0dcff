"""The ticket list's working aids: counts beside the views, sorting by a column, the filters folded
away until asked for, and supervisors' bulk changes (all of the ticked tickets, or none)."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.tickets import services
from app.tickets.models import Ticket
from app.tickets.search import services as search
from tests.helpers import csrf_token_from, signed_in
from tests.ticket_factories import QueueFactory
from tests.tickets.workflow import CUSTOMER


def _open(actor, **fields):
    values = {"subject": "Printer on fire", "customer": CUSTOMER, **fields}
    return services.open_ticket(**values, actor=actor)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _subjects(html: str) -> list[str]:
    return re.findall(r'<td class="subject">([^<]+)', html)


@pytest.fixture
def as_agent_page(client, agent):
    return signed_in(client, agent)


@pytest.fixture
def as_supervisor_page(client, supervisor):
    return signed_in(client, supervisor)


# -- counts -----------------------------------------------------------------------------------------


def test_each_view_shows_how_many_tickets_it_holds(as_agent_page, agent):
    mine = _open(agent, subject="Mine")
    services.claim_ticket(mine.id, actor=agent)
    _open(agent, subject="Nobody's")

    html = _text(as_agent_page.get("/tickets"))

    assert re.search(r'All tickets <span class="count muted">2</span>', html)
    assert re.search(r'My open <span class="count muted">1</span>', html)
    assert re.search(r'Breaching soon <span class="count muted">0</span>', html)


def test_a_saved_views_count_follows_its_filters(as_agent_page, agent):
    _open(agent, priority="urgent")
    _open(agent, priority="low")
    search.create_view(name="Fires", filters={"priority": ["urgent"]}, actor=agent)

    html = _text(as_agent_page.get("/tickets"))

    assert re.search(r'Fires <span class="count muted">1</span>', html)


# -- sorting ----------------------------------------------------------------------------------------


def test_a_column_header_sorts_the_list_and_a_second_click_turns_it(as_agent_page, agent):
    _open(agent, subject="Low one", priority="low")
    _open(agent, subject="Urgent one", priority="urgent")
    _open(agent, subject="Normal one", priority="normal")

    first = _text(as_agent_page.get("/tickets?sort=priority&order=desc"))
    second = _text(as_agent_page.get("/tickets?sort=priority&order=asc"))

    assert _subjects(first) == ["Urgent one", "Normal one", "Low one"]
    assert _subjects(second) == ["Low one", "Normal one", "Urgent one"]
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a class="sort sorted-desc"', first)
    # The sorted column's link turns the direction; the others start with their own.
    assert "sort=priority&amp;order=asc" in first
    assert "sort=status&amp;order=asc" in first


def test_sorting_keeps_the_filters_and_paging_keeps_the_sort(as_agent_page, agent):
    for number in range(27):
        _open(agent, subject=f"Ticket {number:02d}", priority="high" if number % 2 else "low")

    html = _text(as_agent_page.get("/tickets?priority=high&sort=created_at&order=asc"))

    assert _subjects(html)[:2] == ["Ticket 01", "Ticket 03"]
    header = re.search(r'href="([^"]*sort=priority[^"]*)"', html).group(1)
    assert "priority=high" in header
    assert "page=" not in header


def test_paging_carries_the_sort(as_agent_page, agent):
    for number in range(27):
        _open(agent, subject=f"Ticket {number:02d}")

    html = _text(as_agent_page.get("/tickets?sort=created_at&order=asc&page=2"))

    assert _subjects(html) == ["Ticket 25", "Ticket 26"]
    previous = re.search(r'<a href="([^"]+)" rel="prev"', html).group(1)
    assert "sort=created_at" in previous and "order=asc" in previous


def test_a_view_can_be_sorted_by_a_column_too(as_agent_page, agent):
    first = _open(agent, subject="First", priority="low")
    second = _open(agent, subject="Second", priority="urgent")
    for ticket in (first, second):
        services.claim_ticket(ticket.id, actor=agent)

    html = _text(as_agent_page.get("/tickets?view=my-open&sort=priority&order=desc"))

    assert _subjects(html) == ["Second", "First"]


def test_a_column_outside_the_list_of_sortable_ones_is_refused(as_agent_page, agent):
    _open(agent)

    response = as_agent_page.get("/tickets?sort=subject%3Bdrop")
    view = as_agent_page.get("/tickets?view=my-open&sort=customer_id")

    assert response.status_code == 422 and view.status_code == 422
    assert "Must be one of" in _text(response)
    assert "Must be one of" in _text(view)


# -- folded filters ---------------------------------------------------------------------------------


def test_the_filters_are_folded_away_until_one_is_in_use(as_agent_page, agent):
    _open(agent)

    plain = _text(as_agent_page.get("/tickets"))
    searching = _text(as_agent_page.get("/tickets?q=printer"))
    filtered = _text(as_agent_page.get("/tickets?status=new&priority=normal"))

    assert '<details class="more-filters">' in plain
    assert '<details class="more-filters">' in searching  # the search box stays outside the fold
    assert '<details class="more-filters" open>' in filtered
    assert "(2 in use)" in filtered


def test_refused_filters_open_the_fold(as_agent_page):
    response = as_agent_page.get("/tickets?created_from=2026-13-45")

    assert response.status_code == 422
    assert '<details class="more-filters" open>' in _text(response)


# -- bulk changes -----------------------------------------------------------------------------------


def _bulk(client, ticket_ids, query="", **changes):
    token = csrf_token_from(_text(client.get("/tickets")))
    data = {
        "bulk-csrf_token": token,
        "bulk-ticket_ids": [str(i) for i in ticket_ids],
        "bulk-query": query,
        "bulk-assignee_id": "",
        "bulk-status": "",
        "bulk-priority": "",
        "bulk-queue_id": "",
        "bulk-add_tags": "",
        "bulk-remove_tags": "",
    }
    data.update({f"bulk-{name}": value for name, value in changes.items()})
    return client.post("/tickets/bulk", data=data)


def _fresh(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def test_a_supervisor_changes_the_ticked_tickets_at_once(as_supervisor_page, supervisor, agent):
    queue = QueueFactory(name="Billing")
    one, two, left = (_open(agent, subject=s) for s in ("One", "Two", "Left alone"))

    response = _bulk(
        as_supervisor_page,
        [one.id, two.id],
        query="priority=normal&sort=priority&order=asc&page=1",
        assignee_id=str(agent.id),
        status="open",
        priority="high",
        queue_id=str(queue.id),
        add_tags="vip, refund",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/tickets?priority=normal&sort=priority&order=asc&page=1"
    for ticket_id in (one.id, two.id):
        ticket = _fresh(ticket_id)
        assert (ticket.assignee_id, ticket.status, ticket.priority, ticket.queue_id) == (
            agent.id,
            "open",
            "high",
            queue.id,
        )
        assert sorted(ticket.tags) == ["refund", "vip"]
    assert _fresh(left.id).priority == "normal"
    assert "2 tickets were changed." in _text(as_supervisor_page.get(response.headers["Location"]))


def test_a_bulk_change_one_ticket_refuses_changes_none_and_names_it(as_supervisor_page, supervisor, agent):
    fine = _open(agent, subject="Fine")
    closed = _open(agent, subject="Closed one")
    services.update_ticket(closed.id, {"status": "solved"}, expected_version=closed.version, actor=supervisor)
    closed = _fresh(closed.id)
    services.update_ticket(closed.id, {"status": "closed"}, expected_version=closed.version, actor=supervisor)

    response = _bulk(as_supervisor_page, [fine.id, closed.id], priority="urgent")

    html = _text(response)
    assert response.status_code == 422
    assert "none were changed" in html
    assert re.search(rf'<li><a href="/tickets/{closed.id}">{closed.reference}</a>: ', html)
    assert f'<a href="/tickets/{fine.id}">{fine.reference}</a>:' not in html
    assert _fresh(fine.id).priority == "normal"
    # The ticks stay, so the supervisor can untick the refused ticket and try again.
    assert re.search(rf'value="{fine.id}" form="bulk-form" checked', html)


def test_a_bulk_change_needs_tickets_and_a_change(as_supervisor_page, agent):
    ticket = _open(agent)

    nothing_ticked = _bulk(as_supervisor_page, [], priority="high")
    no_change = _bulk(as_supervisor_page, [ticket.id])
    bad_value = _bulk(as_supervisor_page, [ticket.id], priority="whenever")

    assert nothing_ticked.status_code == 422 and "Tick the tickets to change first." in _text(nothing_ticked)
    assert no_change.status_code == 422 and "Choose at least one change." in _text(no_change)
    assert bad_value.status_code == 422 and "Not a valid choice" in _text(bad_value)
    assert _fresh(ticket.id).priority == "normal"


def test_agents_get_no_bulk_form_and_may_not_post_one(as_agent_page, agent):
    ticket = _open(agent)

    html = _text(as_agent_page.get("/tickets"))
    response = _bulk(as_agent_page, [ticket.id], priority="urgent")

    assert 'id="bulk-form"' not in html and 'form="bulk-form"' not in html
    assert response.status_code == 403
    assert _fresh(ticket.id).priority == "normal"
