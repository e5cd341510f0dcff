"""The agents' ticket pages: the list with saved views, opening a ticket, and working one."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage

from app.accounts.access import ROLE_PERMISSIONS, Permission
from app.accounts.models import Role
from app.dbtypes import utcnow
from app.extensions import db
from app.pagination import MAX_PAGE
from app.tickets import services
from app.tickets.attachments import services as attachments
from app.tickets.models import Comment, Ticket
from app.tickets.search import services as search
from app.tickets.sla.models import SlaTarget
from tests.factories import AgentFactory
from tests.helpers import csrf_token_from, signed_in
from tests.ticket_factories import QueueFactory
from tests.tickets.workflow import CUSTOMER


@pytest.fixture
def browser(client, agent):
    """The test client, signed in as the agent (the pages' usual visitor)."""
    return signed_in(client, agent)


def _open(actor, **fields):
    values = {"subject": "Printer on fire", "description": "It smells.", "customer": CUSTOMER, **fields}
    return services.open_ticket(**values, actor=actor)


def _fresh(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _form_token(client, path: str) -> str:
    return csrf_token_from(_text(client.get(path)))


def _version_field(html: str, prefix: str) -> int:
    match = re.search(rf'name="{prefix}-version" type="hidden" value="(\d+)"', html)
    assert match, f"no {prefix}-version field"
    return int(match.group(1))


def _post_fields(client, ticket: Ticket, **changes):
    token = _form_token(client, f"/tickets/{ticket.id}")
    data = {
        "fields-csrf_token": token,
        "fields-version": ticket.version,
        "fields-status": ticket.status,
        "fields-priority": ticket.priority,
        "fields-queue_id": ticket.queue_id or "",
        "fields-tags": ", ".join(ticket.tags),
    }
    data.update({f"fields-{name}": value for name, value in changes.items()})
    return client.post(f"/tickets/{ticket.id}/fields", data=data)


def _post_reply(client, ticket_id: int, body: str, *, visibility="public", status=""):
    token = _form_token(client, f"/tickets/{ticket_id}")
    return client.post(
        f"/tickets/{ticket_id}/comments",
        data={
            "reply-csrf_token": token,
            "reply-body": body,
            "reply-visibility": visibility,
            "reply-status": status,
        },
    )


# -- access -----------------------------------------------------------------------------------------


def test_pages_send_visitors_who_are_not_signed_in_to_the_login(client, agent):
    ticket = _open(agent)

    for path in ("/tickets", "/tickets/new", f"/tickets/{ticket.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login?next=" in response.headers["Location"]


def test_a_role_without_ticket_writing_may_read_but_not_change(browser, agent, monkeypatch):
    ticket = _open(agent)
    read_only = ROLE_PERMISSIONS[Role.AGENT] - {Permission.TICKETS_WRITE}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.AGENT, read_only)
    token = _form_token(browser, "/tickets")

    assert browser.get("/tickets").status_code == 200
    assert browser.get(f"/tickets/{ticket.id}").status_code == 200
    assert browser.get("/tickets/new").status_code == 403
    claimed = browser.post(f"/tickets/{ticket.id}/claim", data={"csrf_token": token})
    assert claimed.status_code == 403
    assert _fresh(ticket.id).assignee_id is None


def test_posting_without_the_csrf_token_is_refused(browser, agent):
    ticket = _open(agent)

    response = browser.post(f"/tickets/{ticket.id}/claim")

    assert response.status_code == 400
    assert _fresh(ticket.id).assignee_id is None


def test_an_unknown_ticket_is_a_404(browser):
    assert browser.get("/tickets/999999").status_code == 404
    assert browser.get("/tickets/99999999999").status_code == 404


def test_the_navigation_links_the_ticket_list(browser):
    assert 'href="/tickets">Tickets</a>' in _text(browser.get("/customers"))


def test_pages_name_an_icon_the_app_serves(browser, client, agent):
    # Without an icon link, browsers ask for /favicon.ico on every page and log its 404.
    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    for path in ("/tickets", f"/tickets/{_open(agent).id}", "/complaints/new"):
        assert link in _text(browser.get(path)), path

    icon = client.get("/static/favicon.svg")

    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")


# -- the list ---------------------------------------------------------------------------------------


def test_list_shows_tickets_with_their_columns(browser, agent):
    ticket = _open(agent, subject="Refund <b>please</b>", priority="high")

    page = _text(browser.get("/tickets"))

    assert ticket.reference in page
    assert "Refund &lt;b&gt;please&lt;/b&gt;" in page
    assert "Olivia Bennett" in page
    assert 'class="badge priority-high"' in page
    # Views beside the list: the built-in ones.
    for name in ("My open", "Unassigned in my queues", "Breaching soon"):
        assert name in page


def test_list_filters_by_status_priority_queue_and_words(browser, agent):
    billing = QueueFactory(name="Billing")
    urgent = _open(agent, subject="Invoice wrong", priority="urgent", queue_id=billing.id)
    calm = _open(agent, subject="Printer question", priority="low")
    services.update_ticket(calm.id, {"status": "pending"}, expected_version=calm.version, actor=agent)

    def listed(query: str) -> set[str]:
        page = _text(browser.get(f"/tickets?{query}"))
        return {t.reference for t in (urgent, calm) if t.reference in page}

    assert listed("") == {urgent.reference, calm.reference}
    assert listed("status=pending") == {calm.reference}
    assert listed("status=new&status=pending") == {urgent.reference, calm.reference}
    assert listed("priority=urgent") == {urgent.reference}
    assert listed(f"queue_id={billing.id}") == {urgent.reference}
    assert listed("queue_id=none") == {calm.reference}
    assert listed("q=invoice") == {urgent.reference}
    assert listed("q=&status=&priority=&queue_id=") == {urgent.reference, calm.reference}


def test_list_filters_by_type_assignee_customer_tag_and_dates_from_the_form(browser, agent, supervisor):
    complaint = _open(agent, subject="Rude courier", type="complaint", complaint={"category": "delivery"})
    tagged = _open(
        agent, subject="Printer jam", tags=["printer"], customer={"name": "Ben", "email": "b@example.com"}
    )
    services.assign_ticket(tagged.id, supervisor.id, actor=supervisor)
    old = _open(agent, subject="Old question")
    old.created_at = old.updated_at = datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    db.session.commit()
    form = _text(browser.get("/tickets"))
    for name in (
        "type",
        "assignee_id",
        "customer_id",
        "tag",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
    ):
        assert f'name="{name}"' in form, name

    def listed(query: str) -> set[str]:
        page = _text(browser.get(f"/tickets?{query}"))
        return {t.subject for t in (complaint, tagged, old) if t.reference in page}

    assert listed("type=complaint") == {"Rude courier"}
    assert listed(f"assignee_id={supervisor.id}") == {"Printer jam"}
    assert listed("assignee_id=none") == {"Rude courier", "Old question"}
    assert listed(f"customer_id={tagged.customer_id}") == {"Printer jam"}
    assert listed("tag=printer") == {"Printer jam"}
    assert listed("created_to=2022-01-01") == {"Old question"}
    assert listed("updated_from=2022-01-01&type=&assignee_id=&customer_id=&tag=") == {
        "Rude courier",
        "Printer jam",
    }
    # The form keeps what was asked.
    kept = _text(browser.get(f"/tickets?tag=printer&created_from=2022-01-01&assignee_id={supervisor.id}"))
    assert 'name="tag" size="10" type="text" value="printer"' in kept
    assert 'name="created_from" type="date" value="2022-01-01"' in kept
    assert f'<option selected value="{supervisor.id}">{supervisor.name}</option>' in kept


def test_the_lists_dates_are_days_of_the_agents_time_zone(browser, agent):
    agent.timezone = "Asia/Shanghai"  # UTC+8
    created = {
        "late on the 30th, Shanghai": datetime(2026, 11, 30, 15, 30, tzinfo=UTC),
        "early on the 1st, Shanghai": datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
        "late on the 1st, Shanghai": datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
        "early on the 2nd, Shanghai": datetime(2026, 12, 1, 16, 30, tzinfo=UTC),
    }
    tickets = {subject: _open(agent, subject=subject) for subject in created}
    for subject, moment in created.items():
        tickets[subject].created_at = moment
    db.session.commit()

    def listed(query: str) -> set[str]:
        page = _text(browser.get(f"/tickets?{query}"))
        return {subject for subject, ticket in tickets.items() if ticket.reference in page}

    assert listed("created_from=2026-12-01&created_to=2026-12-02") == {
        "early on the 1st, Shanghai",
        "late on the 1st, Shanghai",
    }
    # A moment with its offset is taken as written, as the API takes it.
    assert listed("created_from=2026-12-01T16:00:00%2B00:00") == {"early on the 2nd, Shanghai"}


def test_saved_view_keeps_the_new_filters(browser, agent):
    _open(agent, subject="Printer jam", tags=["printer"])
    _open(agent, subject="Printer broken", tags=["printer"], type="incident")
    _open(agent, subject="Other thing")
    page = _text(browser.get("/tickets?tag=printer&type=question"))

    response = browser.post(
        "/tickets/views",
        data={"csrf_token": csrf_token_from(page), "name": "Printers", "query": "tag=printer&type=question"},
    )

    assert response.status_code == 302
    [saved] = [v for v in search.list_views(actor=agent) if not v["built_in"]]
    assert saved["filters"] == {"tag": ["printer"], "type": ["question"]}
    view = _text(browser.get(response.headers["Location"]))
    assert "Printer jam" in view
    assert "Other thing" not in view and "Printer broken" not in view


def test_invalid_filters_are_explained(browser, agent):
    _open(agent)

    response = browser.get("/tickets?status=bogus")

    assert response.status_code == 422
    assert 'role="alert"' in _text(response)
    assert "Status" in _text(response)


def test_list_pages_through_many_tickets(browser, agent):
    for n in range(27):
        _open(agent, subject=f"Ticket number {n}")

    first = _text(browser.get("/tickets?priority=normal"))
    second = _text(browser.get("/tickets?priority=normal&page=2"))

    assert "Page 1 of 2 · 27 tickets" in first
    assert 'href="/tickets?page=2&amp;priority=normal"' in first
    assert "Ticket number 0<" in second and "Ticket number 26<" not in second


def test_a_page_far_beyond_the_end_is_just_empty(browser, agent):
    _open(agent)

    response = browser.get(f"/tickets?page={MAX_PAGE}")  # past it: 422 naming `page` (tests/test_inputs.py)

    assert response.status_code == 200
    assert "No tickets match." in _text(response)


def test_list_highlights_a_breached_sla_target(browser, agent):
    late = _open(agent, subject="Late one")
    target = db.session.query(SlaTarget).filter_by(ticket_id=late.id, kind="first_response").one()
    target.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    page = _text(browser.get("/tickets"))

    row = page[page.index(late.reference) :].split("</tr>")[0]
    assert '<strong class="breached">breached</strong>' in row


def test_list_says_how_long_ago_a_ticket_changed_with_the_moment_in_its_title(browser, agent):
    recent = _open(agent, subject="This year")
    old = _open(agent, subject="Years ago")
    old.updated_at = datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    db.session.commit()

    page = _text(browser.get("/tickets"))

    def updated(ticket) -> str:
        row = page[page.index(ticket.reference) :].split("</tr>")[0]
        return re.findall(r"<time[^>]*>[^<]*</time>", row)[-1]

    assert re.fullmatch(r'<time[^>]* title="Mar 4, 2021, 10:00 UTC">\d+ years ago</time>', updated(old))
    assert updated(recent).endswith(">just now</time>")


def test_built_in_view_shows_my_open_tickets(browser, agent, supervisor):
    mine = _open(agent, subject="Mine to do", assignee_id=agent.id)
    theirs = _open(supervisor, subject="Someone else's", assignee_id=supervisor.id)

    page = _text(browser.get("/tickets?view=my-open"))

    assert mine.reference in page and theirs.reference not in page
    assert '<a href="/tickets?view=my-open" aria-current="page"' in page


def test_agent_saves_the_current_filters_as_a_view(browser, agent):
    urgent = _open(agent, subject="Urgent thing", priority="urgent")
    normal = _open(agent, subject="Normal thing")
    page = _text(browser.get("/tickets?priority=urgent"))
    token = csrf_token_from(page)

    response = browser.post(
        "/tickets/views", data={"csrf_token": token, "name": "Urgent ones", "query": "priority=urgent"}
    )

    assert response.status_code == 302
    [view] = [v for v in search.list_views(actor=agent) if not v["built_in"]]
    assert response.headers["Location"] == f"/tickets?view={view['id']}"
    assert view["filters"] == {"priority": ["urgent"]}
    shown = _text(browser.get(response.headers["Location"]))
    assert "Urgent ones" in shown
    assert urgent.reference in shown and normal.reference not in shown


def test_saving_a_view_under_a_taken_name_says_so(browser, agent):
    search.create_view(name="Mine", filters={}, actor=agent)
    token = _form_token(browser, "/tickets")

    response = browser.post("/tickets/views", data={"csrf_token": token, "name": "mine", "query": ""})

    assert response.status_code == 409
    assert "Pick another name." in _text(response)


def test_a_view_needs_a_name(browser, agent):
    token = _form_token(browser, "/tickets?priority=low")

    response = browser.post("/tickets/views", data={"csrf_token": token, "name": "", "query": "priority=low"})

    assert response.status_code == 422
    page = _text(response)
    assert 'id="name-errors" role="alert"' in page
    assert '<option selected value="low">Low</option>' in page
    assert search.list_views(actor=agent)[-1]["built_in"]


def test_another_agents_view_is_not_found(browser, supervisor):
    theirs = search.create_view(name="Sam's", filters={}, actor=supervisor)

    assert browser.get(f"/tickets?view={theirs['id']}").status_code == 404
    assert browser.get("/tickets?view=nonsense").status_code == 404


def test_agent_deletes_an_own_view(browser, agent):
    view = search.create_view(name="Old view", filters={"priority": ["low"]}, actor=agent)
    token = _form_token(browser, "/tickets")

    response = browser.post(f"/tickets/views/{view['id']}/delete", data={"csrf_token": token})

    assert response.status_code == 302
    assert [v for v in search.list_views(actor=agent) if not v["built_in"]] == []


# -- opening ----------------------------------------------------------------------------------------


def test_new_ticket_form_opens_a_ticket_and_shows_it(browser, agent):
    billing = QueueFactory(name="Billing")
    token = _form_token(browser, "/tickets/new")

    response = browser.post(
        "/tickets/new",
        data={
            "csrf_token": token,
            "subject": "Charged twice",
            "description": "Two charges on the 3rd.\nPlease refund one.",
            "type": "complaint",
            "priority": "high",
            "channel": "phone",
            "queue_id": str(billing.id),
            "customer_name": "Olivia Bennett",
            "customer_email": "olivia@example.com",
            "customer_phone": "",
            "complaint_category": "billing",
            "complaint_severity": "high",
            "complaint_desired_outcome": "refund",
        },
    )

    assert response.status_code == 302
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.subject == "Charged twice"))
    assert response.headers["Location"] == f"/tickets/{ticket.id}"
    assert (ticket.type, ticket.priority, ticket.queue_id, ticket.channel) == (
        "complaint",
        "high",
        billing.id,
        "phone",
    )
    complaint = ticket.complaint
    assert (complaint.category, complaint.severity, complaint.desired_outcome) == (
        "billing",
        "high",
        "refund",
    )
    assert ticket.customer.primary_email == "olivia@example.com"
    page = _text(browser.get(response.headers["Location"]))
    assert f"Ticket {ticket.reference} was opened." in page
    assert "<p>Two charges on the 3rd.<br>Please refund one.</p>" in page


def test_invalid_new_ticket_keeps_the_input_and_explains(browser):
    token = _form_token(browser, "/tickets/new")

    response = browser.post(
        "/tickets/new",
        data={
            "csrf_token": token,
            "subject": "",
            "description": "Typed <carefully>",
            "type": "complaint",
            "priority": "urgent",
            "channel": "email",
            "customer_name": 'Olivia "O" Bennett',
            "customer_email": "",
            "customer_phone": "",
            "complaint_category": "",
        },
    )

    assert response.status_code == 422
    page = _text(response)
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0
    assert 'id="subject-errors" role="alert"' in page
    assert "Give the customer&#39;s e-mail or phone." in page
    assert "A complaint needs a category." in page
    assert "Typed &lt;carefully&gt;</textarea>" in page
    assert 'value="Olivia &#34;O&#34; Bennett"' in page
    assert '<option selected value="urgent">' in page


def test_service_refusal_lands_next_to_the_customer_fields(browser):
    token = _form_token(browser, "/tickets/new")

    response = browser.post(
        "/tickets/new",
        data={
            "csrf_token": token,
            "subject": "Call me",
            "type": "question",
            "priority": "normal",
            "channel": "phone",
            "customer_name": "Sam Caller",
            "customer_phone": "not a phone",
        },
    )

    assert response.status_code == 422
    page = _text(response)
    assert 'id="customer_phone-errors" role="alert"' in page
    assert 'value="not a phone"' in page


# -- the ticket page --------------------------------------------------------------------------------


def test_ticket_page_shows_conversation_sla_history_and_customer(browser, agent, supervisor):
    ticket = _open(agent, subject="Broken <i>thing</i>", description="<p>It <b>broke</b></p>")
    services.add_comment(ticket.id, body="We are on it", public=True, actor=supervisor)
    services.add_comment(ticket.id, body="Check warranty", public=False, actor=supervisor)
    services.add_customer_message(ticket.id, body="Thanks!")

    page = _text(browser.get(f"/tickets/{ticket.id}"))

    assert "<h1>Broken &lt;i&gt;thing&lt;/i&gt;</h1>" in page
    assert "<p>It <b>broke</b></p>" in page
    conversation = page[page.index('id="conversation"') : page.index('id="reply"')]
    assert (
        conversation.index("We are on it")
        < conversation.index("Check warranty")
        < conversation.index("Thanks!")
    )
    assert 'class="message message-reply"' in conversation
    assert 'class="message message-note"' in conversation
    assert 'class="message message-customer"' in conversation
    assert "Internal note" in conversation
    # SLA: the first response was met by the public reply, resolution still runs.
    sla_part = page[page.index('id="sla"') : page.index('id="customer"')]
    assert 'class="sla-met"' in sla_part and 'class="sla-running"' in sla_part
    # History, newest first.
    history = page[page.index('id="history"') : page.index("</section>", page.index('id="history"'))]
    assert history.index("wrote a message") < history.index("replied to the customer")
    assert history.index("replied to the customer") < history.index("opened the ticket")
    assert "changed the status: " in history
    # The customer beside it.
    customer_part = page[page.index('id="customer"') :]
    assert f'href="/customers/{ticket.customer_id}">Olivia Bennett</a>' in customer_part
    assert "mailto:olivia@example.com" in customer_part
    assert f"Customer wrote on {ticket.reference}" in customer_part


def test_a_closed_ticket_page_offers_nothing_to_change(client, supervisor, app):
    """Closed is final (tests/tickets/test_closed_tickets.py): the page says so and shows no forms."""
    browser = signed_in(client, supervisor)  # a supervisor sees every form there is, assignment too
    ticket = _open(supervisor, type="complaint", complaint={"category": "billing"})
    open_page = _text(browser.get(f"/tickets/{ticket.id}"))
    forms = ('id="reply"', 'id="fields"', 'id="macros"', 'id="assignment"', "/complaint")
    assert all(form in open_page for form in forms)
    assert ">Claim</button>" in open_page
    ticket.status = "closed"
    db.session.commit()

    page = _text(browser.get(f"/tickets/{ticket.id}"))

    assert "a closed ticket is final" in page
    assert not [form for form in forms if form in page]
    assert ">Claim</button>" not in page
    assert 'id="conversation"' in page and 'id="history"' in page and 'id="complaint"' in page


def test_ticket_page_lists_the_files_with_download_links(browser, agent, app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    ticket = _open(agent)
    empty = _text(browser.get(f"/tickets/{ticket.id}"))
    assert "No files yet." in empty[empty.index('id="attachments"') :]
    # The customer's file from the portal (no actor) and an agent's.
    [receipt] = attachments.add_attachments(
        ticket.id, [FileStorage(io.BytesIO(b"Paid 12.50 EUR\n"), "receipt.txt")], actor=None
    )
    [log] = attachments.add_attachments(
        ticket.id, [FileStorage(io.BytesIO(b"x" * 3072), "printer.log")], actor=agent
    )

    page = _text(browser.get(f"/tickets/{ticket.id}"))

    files = page[page.index('id="attachments"') : page.index("</section>", page.index('id="attachments"'))]
    download = f"/api/v1/tickets/{ticket.id}/attachments/{receipt.id}"
    assert f'href="{download}" download>receipt.txt</a>' in files
    assert f'href="/api/v1/tickets/{ticket.id}/attachments/{log.id}" download>printer.log</a>' in files
    assert files.index("receipt.txt") < files.index("printer.log")
    assert "Customer" in files and agent.name in files
    assert "0.1 KB" in files and "3 KB" in files
    # The link works with the agent's session.
    response = browser.get(download)
    assert response.status_code == 200
    assert response.data == b"Paid 12.50 EUR\n"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_times_show_in_the_agents_time_zone(client):
    tokyo = AgentFactory(timezone="Asia/Tokyo")
    ticket = _open(tokyo)
    ticket.created_at = datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
    db.session.commit()
    signed_in(client, tokyo)

    page = _text(client.get(f"/tickets/{ticket.id}"))

    assert '<time datetime="2026-01-05T00:30:00+00:00">Jan 5, 2026, 09:30 UTC+9</time>' in page


def test_status_select_offers_only_the_allowed_next_states(browser, agent):
    ticket = _open(agent)
    services.update_ticket(ticket.id, {"status": "solved"}, expected_version=ticket.version, actor=agent)

    page = _text(browser.get(f"/tickets/{ticket.id}"))

    select = re.search(r'<select[^>]*name="fields-status".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="(\w+)"', select) == ["open", "solved", "closed"]


def test_agent_replies_publicly(browser, agent):
    ticket = _open(agent)

    response = _post_reply(browser, ticket.id, "Hello Olivia,\nwe are on it.")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket.id}#conversation"
    [comment] = db.session.scalars(db.select(Comment).where(Comment.ticket_id == ticket.id)).all()
    assert comment.public and comment.author_id == agent.id
    assert _fresh(ticket.id).status == "open"
    page = _text(browser.get(response.headers["Location"]))
    assert "Your reply was sent." in page
    assert "<p>Hello Olivia,<br>we are on it.</p>" in page


def test_agent_adds_an_internal_note_and_changes_the_status_with_it(browser, agent):
    ticket = _open(agent)

    response = _post_reply(
        browser, ticket.id, "Waiting on the vendor", visibility="internal", status="on_hold"
    )

    assert response.status_code == 302
    [comment] = db.session.scalars(db.select(Comment).where(Comment.ticket_id == ticket.id)).all()
    assert comment.public is False
    assert _fresh(ticket.id).status == "on_hold"


def test_an_empty_reply_is_refused_next_to_the_editor(browser, agent):
    ticket = _open(agent)

    response = _post_reply(browser, ticket.id, "<p> </p>", status="pending")

    assert response.status_code == 422
    page = _text(response)
    assert 'id="reply-body-errors" role="alert"' in page
    assert "Write something." in page
    assert "&lt;p&gt; &lt;/p&gt;</textarea>" in page
    assert _fresh(ticket.id).status == "new"


def test_a_reply_refused_for_its_status_is_kept_in_the_editor_not_in_the_conversation(browser, agent):
    ticket = _open(agent)

    response = _post_reply(browser, ticket.id, "All fixed, closing.", status="closed")

    assert response.status_code == 422
    page = _text(response)
    assert "A new ticket cannot become closed." in page
    assert 'Conversation <span class="muted">(0)</span>' in page
    assert "All fixed, closing.</textarea>" in page


def test_agent_changes_status_priority_queue_and_tags(browser, agent):
    billing = QueueFactory(name="Billing")
    ticket = _open(agent)

    response = _post_fields(
        browser, ticket, status="pending", priority="urgent", queue_id=str(billing.id), tags="vip, Refund"
    )

    assert response.status_code == 302
    after = _fresh(ticket.id)
    assert (after.status, after.priority, after.queue_id, after.tags) == (
        "pending",
        "urgent",
        billing.id,
        ["refund", "vip"],
    )
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert "The ticket was saved." in page
    assert "changed the status: " in page and "Pending" in page
    assert f'name="fields-version" type="hidden" value="{after.version}"' in page


def test_an_illegal_status_change_is_explained_and_nothing_changes(browser, agent):
    ticket = _open(agent)

    response = _post_fields(browser, ticket, status="closed", priority="urgent")

    assert response.status_code == 422
    page = _text(response)
    assert "A new ticket cannot become closed." in page
    assert 'id="fields-status-errors" role="alert"' in page
    after = _fresh(ticket.id)
    assert (after.status, after.priority, after.version) == ("new", "normal", ticket.version)
    # The page shows the ticket as stored, not the half-applied change.
    assert '<li class="badge priority-normal">Priority: Normal</li>' in page


def test_a_stale_version_says_someone_else_changed_it_and_shows_the_current_values(
    browser, agent, supervisor
):
    ticket = _open(agent)
    seen = ticket.version
    services.update_ticket(ticket.id, {"priority": "high"}, expected_version=seen, actor=supervisor)
    stale = _fresh(ticket.id)

    token = _form_token(browser, f"/tickets/{ticket.id}")
    response = browser.post(
        f"/tickets/{ticket.id}/fields",
        data={
            "fields-csrf_token": token,
            "fields-version": seen,
            "fields-status": "pending",
            "fields-priority": "low",
            "fields-queue_id": "",
            "fields-tags": "",
        },
    )

    assert response.status_code == 409
    page = _text(response)
    assert "changed by someone else" in page
    assert 'role="alert"' in page
    assert "Status: Pending" in page  # what the agent tried
    assert _version_field(page, "fields") == stale.version
    assert '<option selected value="high">High</option>' in page
    after = _fresh(ticket.id)
    assert (after.status, after.priority) == ("new", "high")


def test_agent_claims_an_unassigned_ticket(browser, agent):
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert ">Claim</button>" in page

    response = browser.post(f"/tickets/{ticket.id}/claim", data={"csrf_token": csrf_token_from(page)})

    assert response.status_code == 302
    after = _fresh(ticket.id)
    assert (after.assignee_id, after.status) == (agent.id, "open")
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert "The ticket is yours now." in page
    assert ">Claim</button>" not in page
    assert (
        f'changed the assignee: <span class="old">nobody</span> → <span class="new">{agent.name}</span>'
        in page
    )


def test_claiming_a_taken_ticket_says_who_was_faster(browser, agent, supervisor):
    ticket = _open(agent)
    token = _form_token(browser, f"/tickets/{ticket.id}")
    services.claim_ticket(ticket.id, actor=supervisor)

    response = browser.post(f"/tickets/{ticket.id}/claim", data={"csrf_token": token})

    assert response.status_code == 409
    assert "already taken" in _text(response)
    assert _fresh(ticket.id).assignee_id == supervisor.id


def test_supervisor_assigns_the_ticket_to_an_active_agent(client, agent, supervisor):
    browser = signed_in(client, supervisor)
    ticket = _open(agent)
    AgentFactory(name="Gone Away", active=False)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assign_box = page[page.index('id="assign-assignee_id"') :].split("</select>")[0]
    assert f'<option value="{agent.id}">{agent.name}</option>' in assign_box
    assert "Gone Away" not in assign_box

    response = browser.post(
        f"/tickets/{ticket.id}/assign",
        data={
            "assign-csrf_token": csrf_token_from(page),
            "assign-version": _version_field(page, "assign"),
            "assign-assignee_id": str(agent.id),
        },
    )

    assert response.status_code == 302
    assert (_fresh(ticket.id).assignee_id, _fresh(ticket.id).status) == (agent.id, "open")
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert "The ticket was assigned." in page
    assert f"Assignee: {agent.name}" in page


def test_assigning_a_stale_version_changes_nothing(client, agent, supervisor):
    browser = signed_in(client, supervisor)
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    services.update_ticket(ticket.id, {"priority": "high"}, expected_version=ticket.version, actor=agent)

    response = browser.post(
        f"/tickets/{ticket.id}/assign",
        data={
            "assign-csrf_token": csrf_token_from(page),
            "assign-version": _version_field(page, "assign"),
            "assign-assignee_id": str(agent.id),
        },
    )

    assert response.status_code == 409
    assert "changed by someone else" in _text(response)
    assert _fresh(ticket.id).assignee_id is None


def test_an_agent_has_no_assignment_control_and_may_not_assign(browser, agent, supervisor):
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert 'id="assign-assignee_id"' not in page
    assert ">Claim</button>" in page

    response = browser.post(
        f"/tickets/{ticket.id}/assign",
        data={
            "assign-csrf_token": csrf_token_from(page),
            "assign-version": "1",
            "assign-assignee_id": str(supervisor.id),
        },
    )

    assert response.status_code == 403
    assert _fresh(ticket.id).assignee_id is None


def test_a_note_mentions_the_agents_picked_beside_the_editor(browser, agent, supervisor):
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert re.search(
        rf'name="reply-mention_ids" type="checkbox" value="{supervisor.id}"> <label [^>]*>{supervisor.name}<',
        page,
    )

    response = browser.post(
        f"/tickets/{ticket.id}/comments",
        data={
            "reply-csrf_token": csrf_token_from(page),
            "reply-body": "@Sam can you approve the refund?",
            "reply-visibility": "internal",
            "reply-status": "",
            "reply-mention_ids": [str(supervisor.id)],
        },
    )

    assert response.status_code == 302
    note = db.session.scalar(db.select(Comment).where(Comment.ticket_id == ticket.id))
    assert [a.id for a in note.mentions] == [supervisor.id]
    assert f"Mentioned: {supervisor.name}" in _text(browser.get(f"/tickets/{ticket.id}"))


def test_mentioning_an_unknown_agent_is_explained_and_keeps_the_message(browser, agent):
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))

    response = browser.post(
        f"/tickets/{ticket.id}/comments",
        data={
            "reply-csrf_token": csrf_token_from(page),
            "reply-body": "Who is this?",
            "reply-visibility": "internal",
            "reply-status": "",
            "reply-mention_ids": ["999999"],
        },
    )

    assert response.status_code == 422
    assert "Agent 999999 not found." in _text(response)
    assert "Who is this?</textarea>" in _text(response)
    assert db.session.scalar(db.select(Comment).where(Comment.ticket_id == ticket.id)) is None


def test_agent_applies_a_macro(browser, agent, supervisor):
    macro = services.create_macro(
        name="Ask for a photo",
        actions={
            "set": {"status": "pending"},
            "add_tags": ["needs-photo"],
            "reply": {"body": "Send a photo?"},
        },
        actor=supervisor,
    )
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert "Ask for a photo" in page

    response = browser.post(
        f"/tickets/{ticket.id}/macro",
        data={
            "macro-csrf_token": csrf_token_from(page),
            "macro-version": _version_field(page, "macro"),
            "macro-macro_id": macro.id,
        },
    )

    assert response.status_code == 302
    after = _fresh(ticket.id)
    assert (after.status, after.tags) == ("pending", ["needs-photo"])
    assert "Send a photo?" in _text(browser.get(f"/tickets/{ticket.id}"))


def test_a_macro_on_a_stale_version_changes_nothing(browser, agent, supervisor):
    macro = services.create_macro(name="Pend", actions={"set": {"status": "pending"}}, actor=supervisor)
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    services.update_ticket(ticket.id, {"priority": "low"}, expected_version=ticket.version, actor=supervisor)

    response = browser.post(
        f"/tickets/{ticket.id}/macro",
        data={
            "macro-csrf_token": csrf_token_from(page),
            "macro-version": _version_field(page, "macro"),
            "macro-macro_id": macro.id,
        },
    )

    assert response.status_code == 409
    assert "changed by someone else" in _text(response)
    assert _fresh(ticket.id).status == "new"


def test_a_macro_refused_halfway_shows_the_ticket_as_stored(browser, agent, supervisor):
    macro = services.create_macro(
        name="Close urgently", actions={"set": {"priority": "urgent", "status": "closed"}}, actor=supervisor
    )
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))

    response = browser.post(
        f"/tickets/{ticket.id}/macro",
        data={
            "macro-csrf_token": csrf_token_from(page),
            "macro-version": _version_field(page, "macro"),
            "macro-macro_id": macro.id,
        },
    )

    assert response.status_code == 422
    page = _text(response)
    assert "A new ticket cannot become closed." in page
    # The priority the macro set before its status was refused is not shown, nor stored.
    assert '<li class="badge priority-normal">Priority: Normal</li>' in page
    assert _fresh(ticket.id).priority == "normal"


def test_choosing_no_macro_is_explained(browser, agent, supervisor):
    services.create_macro(name="Pend", actions={"set": {"status": "pending"}}, actor=supervisor)
    ticket = _open(agent)
    page = _text(browser.get(f"/tickets/{ticket.id}"))

    response = browser.post(
        f"/tickets/{ticket.id}/macro",
        data={
            "macro-csrf_token": csrf_token_from(page),
            "macro-version": ticket.version,
            "macro-macro_id": "",
        },
    )

    assert response.status_code == 422
    assert 'id="macro-macro_id-errors" role="alert"' in _text(response)


def _post_complaint(client, ticket: Ticket, **changes):
    """The complaint panel as the page fills it, with `changes` typed in."""
    page = _text(client.get(f"/tickets/{ticket.id}"))
    complaint = ticket.complaint
    data = {
        "complaint-csrf_token": csrf_token_from(page),
        "complaint-version": _version_field(page, "complaint"),
        "complaint-stage": complaint.stage,
        "complaint-category": complaint.category,
        "complaint-severity": complaint.severity,
        "complaint-desired_outcome": complaint.desired_outcome or "",
        "complaint-root_cause": complaint.root_cause,
        "complaint-remedy": complaint.remedy,
        "complaint-compensation_amount": complaint.compensation_amount or "",
        "complaint-compensation_currency": complaint.compensation_currency or "",
        "complaint-compensation_note": complaint.compensation_note,
        "complaint-follow_up_note": complaint.follow_up_note,
    }
    data.update({f"complaint-{name}": value for name, value in changes.items()})
    return client.post(f"/tickets/{ticket.id}/complaint", data=data)


def test_a_complaint_panel_posted_to_a_ticket_that_is_no_complaint_is_refused_not_a_500(browser, agent):
    ticket = _open(agent)
    token = _form_token(browser, f"/tickets/{ticket.id}")
    panel = {"complaint-csrf_token": token, "complaint-version": ticket.version, "complaint-remedy": "Refund"}

    response = browser.post(f"/tickets/{ticket.id}/complaint", data=panel)

    assert response.status_code == 422
    assert "Complaint handling" not in _text(response)
    assert _fresh(ticket.id).complaint is None


def test_complaint_panel_records_cause_and_remedy(browser, agent):
    ticket = _open(agent, type="complaint", complaint={"category": "delivery"})
    assert "Complaint handling" in _text(browser.get(f"/tickets/{ticket.id}"))

    response = _post_complaint(
        browser,
        ticket,
        stage="investigating",
        root_cause="Courier lost the parcel",
        remedy="Resent with tracking",
    )

    assert response.status_code == 302
    complaint = _fresh(ticket.id).complaint
    assert (complaint.stage, complaint.root_cause, complaint.remedy) == (
        "investigating",
        "Courier lost the parcel",
        "Resent with tracking",
    )


def test_complaint_panel_edits_the_whole_record(browser, agent):
    ticket = _open(agent, type="complaint", complaint={"category": "delivery", "severity": "low"})

    response = _post_complaint(
        browser,
        ticket,
        category="product_quality",
        severity="critical",
        desired_outcome="compensation",
        compensation_amount="25.50",
        compensation_currency="EUR",
        compensation_note="Voucher sent by post",
    )

    assert response.status_code == 302
    complaint = _fresh(ticket.id).complaint
    assert (complaint.category, complaint.severity, complaint.desired_outcome) == (
        "product_quality",
        "critical",
        "compensation",
    )
    assert (complaint.compensation_amount, complaint.compensation_currency) == (Decimal("25.50"), "EUR")
    assert complaint.compensation_note == "Voucher sent by post"
    page = _text(browser.get(f"/tickets/{ticket.id}"))
    assert "€25.50" in page
    assert '<option selected value="compensation">Compensation</option>' in page
    assert 'name="complaint-compensation_amount" type="text" value="25.50"' in page


def test_complaint_panel_clears_what_the_customer_wants_and_the_compensation(browser, agent):
    ticket = _open(agent, type="complaint", complaint={"category": "billing", "desired_outcome": "refund"})
    setup = _post_complaint(browser, ticket, compensation_amount="10", compensation_currency="USD")
    assert setup.status_code == 302
    stored = _fresh(ticket.id).complaint
    assert (stored.desired_outcome, stored.compensation_amount, stored.compensation_currency) == (
        "refund",
        Decimal("10"),
        "USD",
    )

    response = _post_complaint(
        browser, _fresh(ticket.id), desired_outcome="", compensation_amount="", compensation_currency=""
    )

    assert response.status_code == 302
    complaint = _fresh(ticket.id).complaint
    assert (complaint.desired_outcome, complaint.compensation_amount, complaint.compensation_currency) == (
        None,
        None,
        None,
    )


def test_complaint_panel_refuses_what_the_api_refuses_with_the_same_messages(browser, as_agent, agent):
    ticket = _open(agent, type="complaint", complaint={"category": "billing"})
    wrong = {"compensation_amount": "lots", "compensation_currency": "eur", "desired_outcome": "revenge"}
    api = as_agent.patch(f"/api/v1/tickets/{ticket.id}", json={"version": ticket.version, "complaint": wrong})
    assert api.status_code == 422

    response = _post_complaint(browser, ticket, **wrong)

    assert response.status_code == 422
    page = _text(response)
    for name, messages in api.get_json()["errors"]["complaint"].items():
        errors = page[page.index(f'id="complaint-{name}-errors"') :].split("</ul>")[0]
        for message in messages:
            assert f"<li>{message}</li>" in errors, name
    complaint = _fresh(ticket.id).complaint
    assert (complaint.compensation_amount, complaint.desired_outcome) == (None, None)


def test_solving_a_complaint_without_cause_and_remedy_is_explained(browser, agent):
    ticket = _open(agent, type="complaint", complaint={"category": "delivery"})

    response = _post_fields(browser, ticket, status="solved")

    assert response.status_code == 422
    assert "cannot be solved without a root cause and a remedy" in _text(response)
    assert _fresh(ticket.id).status == "new"


def test_tickets_that_are_not_complaints_have_no_complaint_panel(browser, agent):
    ticket = _open(agent)

    assert "Complaint handling" not in _text(browser.get(f"/tickets/{ticket.id}"))
