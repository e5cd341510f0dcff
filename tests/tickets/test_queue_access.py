"""Who may work which tickets: a queue's team works its tickets; outsiders read them or do not see them.

Billing's queue is served by the Billing team. Bea is in it; Fred is on the front line. In the
`Billing` queue, open to outsiders for reading, Fred reads tickets and changes none (403 saying why);
in `Billing disputes`, closed to outsiders, he cannot tell its tickets from ones that do not exist
(404), in lists, searches, views and the customer's timeline alike. Supervisors see and change all.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage

from app.accounts import services as accounts
from app.extensions import db
from app.tickets import services as tickets
from app.tickets.attachments import services as attachments
from app.tickets.models import Ticket
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import ApiClient, csrf_token_from, signed_in
from tests.tickets.workflow import CUSTOMER

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture
def desk(app):
    """Two teams, two Billing queues (one open to outsiders for reading, one closed), three people."""
    billing, front_line = TeamFactory(name="Billing"), TeamFactory(name="Front line")
    people = {
        "bea": AgentFactory(name="Bea Billing", teams=[billing]),
        "fred": AgentFactory(name="Fred Frontline", teams=[front_line]),
        "sam": AgentFactory(name="Sam Supervisor", role="supervisor"),
    }
    queues = {
        "billing": tickets.create_queue(
            name="Billing", team_id=billing.id, outsider_access="read", actor=None
        ),
        "disputes": tickets.create_queue(name="Billing disputes", team_id=billing.id, actor=None),
        "general": tickets.create_queue(name="General", actor=None),
    }
    return people, {name: queue.id for name, queue in queues.items()}


def _ticket(queue_id: int | None, subject: str = "Invoice INV-2291 charged twice"):
    return tickets.open_ticket(subject=subject, customer=CUSTOMER, queue_id=queue_id, actor=None)


def _api(app, person) -> ApiClient:
    return ApiClient.for_agent(app, person)


# -- the rule ----------------------------------------------------------------------------------------


def test_an_agent_outside_the_billing_team_cannot_claim_a_billing_ticket(app, desk):
    people, queues = desk
    readable, hidden = _ticket(queues["billing"]), _ticket(queues["disputes"])
    as_fred = _api(app, people["fred"])

    refused = as_fred.post(f"/api/v1/tickets/{readable.id}/claim")
    hidden_answer = as_fred.post(f"/api/v1/tickets/{hidden.id}/claim")

    assert refused.status_code == 403
    assert refused.json["message"] == (
        f"Ticket {readable.reference} is in the Billing queue, which the Billing team works; "
        "you may read it but not change it."
    )
    assert hidden_answer.status_code == 404
    assert hidden_answer.json["message"] == f"Ticket {hidden.id} not found."
    db.session.expire_all()
    assert readable.assignee_id is None and hidden.assignee_id is None


def test_an_outsider_reads_a_ticket_of_a_queue_open_for_reading_but_not_one_closed_to_outsiders(app, desk):
    people, queues = desk
    readable, hidden = _ticket(queues["billing"]), _ticket(queues["disputes"])
    as_fred = _api(app, people["fred"])

    assert as_fred.get(f"/api/v1/tickets/{readable.id}").status_code == 200
    assert as_fred.get(f"/api/v1/tickets/{hidden.id}").status_code == 404
    assert as_fred.get("/api/v1/tickets/999999").json["message"] == "Ticket 999999 not found."


def test_members_of_the_queues_team_work_its_tickets_even_when_it_is_closed_to_outsiders(app, desk):
    people, queues = desk
    ticket = _ticket(queues["disputes"])
    as_bea = _api(app, people["bea"])

    claimed = as_bea.post(f"/api/v1/tickets/{ticket.id}/claim")
    replied = as_bea.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": "Refunded.", "public": True})

    assert (claimed.status_code, replied.status_code) == (200, 201)


def test_supervisors_see_and_change_the_tickets_of_every_queue(app, desk):
    people, queues = desk
    ticket = _ticket(queues["disputes"])
    as_sam = _api(app, people["sam"])

    changed = as_sam.patch(f"/api/v1/tickets/{ticket.id}", json={"priority": "high", "version": 1})

    assert changed.status_code == 200


def test_a_queue_without_a_team_and_a_ticket_without_a_queue_are_everyones(app, desk):
    people, queues = desk
    as_fred = _api(app, people["fred"])

    for ticket in (_ticket(queues["general"]), _ticket(None)):
        assert as_fred.post(f"/api/v1/tickets/{ticket.id}/claim").status_code == 200


def test_a_ticket_goes_only_to_an_agent_of_the_team_that_works_its_queue(app, desk):
    people, queues = desk
    ticket = _ticket(queues["billing"])
    as_sam = _api(app, people["sam"])

    refused = as_sam.post(f"/api/v1/tickets/{ticket.id}/assign", json={"assignee_id": people["fred"].id})
    given = as_sam.post(f"/api/v1/tickets/{ticket.id}/assign", json={"assignee_id": people["bea"].id})

    assert refused.status_code == 422
    assert refused.json["errors"] == {"assignee_id": ["Not in the queue's team."]}
    assert given.status_code == 200


def test_a_new_ticket_goes_only_to_an_agent_of_the_team_that_works_its_queue(app, desk):
    people, queues = desk
    as_sam = _api(app, people["sam"])
    ticket = {"subject": "Refund for order 1182", "customer": CUSTOMER, "queue_id": queues["billing"]}

    refused = as_sam.post("/api/v1/tickets", json={**ticket, "assignee_id": people["fred"].id})
    given = as_sam.post("/api/v1/tickets", json={**ticket, "assignee_id": people["bea"].id})

    assert refused.status_code == 422
    assert refused.json["errors"] == {"assignee_id": ["Not in the queue's team."]}
    assert given.status_code == 201
    assert [ticket.assignee_id for ticket in db.session.scalars(db.select(Ticket))] == [people["bea"].id]


def test_a_ticket_moved_into_a_closed_queue_disappears_for_outsiders(app, desk):
    people, queues = desk
    ticket = _ticket(queues["general"])
    as_fred = _api(app, people["fred"])
    moved = as_fred.patch(f"/api/v1/tickets/{ticket.id}", json={"queue_id": queues["disputes"], "version": 1})

    assert moved.status_code == 200  # handing work over to the team that does it
    assert as_fred.get(f"/api/v1/tickets/{ticket.id}").status_code == 404


def test_merging_or_linking_with_a_hidden_ticket_is_as_with_one_that_does_not_exist(app, desk):
    people, queues = desk
    mine, hidden = _ticket(queues["general"]), _ticket(queues["disputes"])
    as_fred = _api(app, people["fred"])

    merged = as_fred.post(f"/api/v1/tickets/{mine.id}/merge", json={"into": hidden.id})
    linked = as_fred.post(
        f"/api/v1/tickets/{mine.id}/links", json={"ticket_id": hidden.id, "kind": "related"}
    )

    assert (merged.status_code, linked.status_code) == (422, 422)
    assert merged.json["errors"] == {"into": [f"Ticket {hidden.id} not found."]}


def test_links_to_tickets_the_reader_may_not_see_are_left_out(app, desk):
    people, queues = desk
    mine, hidden = _ticket(queues["general"]), _ticket(queues["disputes"])
    tickets.link_tickets(mine.id, hidden.id, actor=people["sam"])

    seen_by_fred = _api(app, people["fred"]).get(f"/api/v1/tickets/{mine.id}/links").json
    seen_by_bea = _api(app, people["bea"]).get(f"/api/v1/tickets/{mine.id}/links").json

    assert seen_by_fred == []
    assert [link["ticket_id"] for link in seen_by_bea] == [hidden.id]


# -- lists, searches, views, the timeline ------------------------------------------------------------


def test_search_full_text_and_views_find_only_the_tickets_the_caller_may_see(app, desk):
    people, queues = desk
    readable = _ticket(queues["billing"], "Refund for the broken lamp")
    hidden = _ticket(queues["disputes"], "Refund for the broken chair")
    as_fred, as_bea = _api(app, people["fred"]), _api(app, people["bea"])
    saved = as_fred.post("/api/v1/views", json={"name": "Refunds", "filters": {"q": "refund"}}).json

    def found(api, path):
        return {ticket["id"] for ticket in api.get(path).json}

    assert found(as_fred, "/api/v1/tickets") == {readable.id}
    assert found(as_fred, "/api/v1/tickets?q=refund") == {readable.id}
    assert found(as_fred, f"/api/v1/tickets?queue_id={queues['disputes']}") == set()
    assert found(as_fred, f"/api/v1/views/{saved['id']}/tickets") == {readable.id}
    assert found(as_bea, "/api/v1/tickets?q=refund") == {readable.id, hidden.id}


def test_the_unassigned_in_my_queues_view_and_the_list_page_leave_hidden_tickets_out(app, desk):
    people, queues = desk
    hidden = _ticket(queues["disputes"], "Chargeback from the bank")
    as_fred = signed_in(app.test_client(), people["fred"])

    page = as_fred.get("/tickets?q=chargeback").get_data(as_text=True)
    view = _api(app, people["fred"]).get("/api/v1/views/unassigned-in-my-queues/tickets").json

    assert hidden.reference not in page
    assert view == []


def test_the_customers_timeline_leaves_out_the_tickets_the_reader_may_not_see(app, desk):
    people, queues = desk
    readable = _ticket(queues["billing"], "Where is my refund?")
    hidden = _ticket(queues["disputes"], "I dispute this charge")
    customer_id = readable.customer_id
    assert hidden.customer_id == customer_id

    fred_sees = _api(app, people["fred"]).get(f"/api/v1/customers/{customer_id}/timeline").json["items"]
    sam_sees = _api(app, people["sam"]).get(f"/api/v1/customers/{customer_id}/timeline").json["items"]
    profile = signed_in(app.test_client(), people["fred"]).get(f"/customers/{customer_id}")

    def references(items):
        return {item["data"].get("reference") for item in items if item["source"] == "tickets"}

    assert references(fred_sees) == {readable.reference}
    assert references(sam_sees) == {readable.reference, hidden.reference}
    assert hidden.reference not in profile.get_data(as_text=True)


def test_attachments_of_a_hidden_ticket_are_not_found(app, desk):
    people, queues = desk
    hidden = _ticket(queues["disputes"])
    png = FileStorage(BytesIO(PNG), filename="receipt.png", content_type="image/png")
    attachment = attachments.add_attachments(hidden.id, [png], actor=None)[0]
    as_fred = _api(app, people["fred"])

    assert as_fred.get(f"/api/v1/tickets/{hidden.id}/attachments").status_code == 404
    assert as_fred.get(f"/api/v1/tickets/{hidden.id}/attachments/{attachment.id}").status_code == 404


# -- the ticket page ---------------------------------------------------------------------------------


def test_a_readable_ticket_of_another_team_shows_without_any_form_to_change_it(app, desk):
    people, queues = desk
    ticket = _ticket(queues["billing"])
    as_fred = signed_in(app.test_client(), people["fred"])

    page = as_fred.get(f"/tickets/{ticket.id}")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "You may read this ticket but not change it: the Billing team works the Billing queue." in html
    assert f'action="/tickets/{ticket.id}/' not in html
    mine = signed_in(app.test_client(), people["bea"]).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'action="/tickets/{ticket.id}/claim"' in mine and "You may read this ticket" not in mine


def test_posting_to_a_read_only_ticket_page_is_refused_and_changes_nothing(app, desk):
    people, queues = desk
    ticket = _ticket(queues["billing"])
    as_fred = signed_in(app.test_client(), people["fred"])
    token = csrf_token_from(as_fred.get(f"/tickets/{ticket.id}").get_data(as_text=True))

    claimed = as_fred.post(f"/tickets/{ticket.id}/claim", data={"csrf_token": token})
    replied = as_fred.post(
        f"/tickets/{ticket.id}/comments",
        data={"csrf_token": token, "visibility": "public", "body": "Hello", "status": ""},
    )

    assert (claimed.status_code, replied.status_code) == (403, 403)
    assert "the Billing team works" in replied.get_data(as_text=True)
    db.session.expire_all()
    assert (ticket.assignee_id, ticket.public_reply_count) == (None, 0)


def test_a_ticket_opened_for_a_queue_closed_to_its_opener_is_handed_over_not_shown(app, desk):
    people, queues = desk
    as_fred = signed_in(app.test_client(), people["fred"])
    token = csrf_token_from(as_fred.get("/tickets/new").get_data(as_text=True))

    opened = as_fred.post(
        "/tickets/new",
        data={
            "csrf_token": token,
            "subject": "Wants to dispute a charge",
            "type": "question",
            "priority": "normal",
            "channel": "phone",
            "queue_id": str(queues["disputes"]),
            "customer_name": "Olivia Bennett",
            "customer_email": "olivia@example.com",
        },
    )

    assert (opened.status_code, opened.headers["Location"]) == (302, "/tickets")


# -- the queue's setting -----------------------------------------------------------------------------


def test_a_queue_is_closed_to_outsiders_unless_a_supervisor_opens_it_for_reading(app, as_supervisor):
    created = as_supervisor.post("/api/v1/queues", json={"name": "Refunds"}).json
    opened = as_supervisor.patch(
        f"/api/v1/queues/{created['id']}", json={"outsider_access": "read", "version": created["version"]}
    )
    refused = as_supervisor.patch(
        f"/api/v1/queues/{created['id']}",
        json={"outsider_access": "write", "version": opened.json["version"]},
    )

    assert created["outsider_access"] == "none"
    assert opened.json["outsider_access"] == "read"
    assert refused.status_code == 422 and "outsider_access" in refused.json["errors"]
    trail = db.session.scalars(accounts.list_setting_changes(kind="queue", setting_id=created["id"])).all()
    assert trail[0].changes == {"outsider_access": ["none", "read"]}


# -- ETag and If-None-Match --------------------------------------------------------------------------


def test_a_ticket_is_sent_with_its_version_as_etag_and_not_again_while_it_is_unchanged(app, desk):
    people, queues = desk
    ticket = _ticket(queues["billing"])
    as_bea = _api(app, people["bea"])

    read = as_bea.get(f"/api/v1/tickets/{ticket.id}")
    unchanged = as_bea.get(f"/api/v1/tickets/{ticket.id}", headers={"If-None-Match": read.headers["ETag"]})
    as_bea.patch(f"/api/v1/tickets/{ticket.id}", json={"priority": "high"}, headers={"If-Match": "1"})
    changed = as_bea.get(f"/api/v1/tickets/{ticket.id}", headers={"If-None-Match": read.headers["ETag"]})

    assert read.headers["ETag"] == 'W/"1"'
    assert (unchanged.status_code, unchanged.get_data(), unchanged.headers["ETag"]) == (304, b"", 'W/"1"')
    assert (changed.status_code, changed.headers["ETag"], changed.json["priority"]) == (200, 'W/"2"', "high")


def test_if_none_match_tells_nothing_about_a_ticket_the_caller_may_not_see(app, desk):
    people, queues = desk
    hidden = _ticket(queues["disputes"])

    answer = _api(app, people["fred"]).get(f"/api/v1/tickets/{hidden.id}", headers={"If-None-Match": "*"})

    assert answer.status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_api_document_says_how_to_read_a_ticket_only_when_it_changed(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/tickets/{ticket_id}"]["get"]

    assert "If-None-Match" in [parameter["name"] for parameter in operation["parameters"]]
    assert "ETag" in operation["responses"]["304"]["headers"]
    assert "ETag" in operation["responses"]["200"]["headers"]
