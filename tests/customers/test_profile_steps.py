"""The profile page's next steps: the customer's tickets (open first) and a new one for them, timeline
entries that lead to their ticket, and merging a duplicate from the page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from app.customers import services as customers
from app.customers.models import Customer
from app.extensions import db
from app.tickets import services as tickets
from tests.customer_factories import CustomerFactory
from tests.helpers import csrf_token_from, signed_in


@pytest.fixture
def olivia(app):
    return CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])


def _page(client, customer_id: int, **query) -> str:
    response = client.get(f"/customers/{customer_id}", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _open(customer, subject: str, actor, status: str | None = None):
    ticket = tickets.open_ticket(subject=subject, customer_id=customer.id, actor=actor)
    if status:
        tickets.update_ticket(ticket.id, {"status": status}, expected_version=ticket.version, actor=actor)
    return ticket


def _merge(client, target_id: int, source_id: int | str):
    token = csrf_token_from(_page(client, target_id))
    return client.post(f"/customers/{target_id}/merge", data={"csrf_token": token, "source_id": source_id})


# -- tickets ----------------------------------------------------------------------------------------


def test_the_profile_lists_the_customers_tickets_open_ones_first(client, agent, olivia):
    solved = _open(olivia, "Old question", agent, status="solved")
    waiting = _open(olivia, "New question", agent)
    other = _open(CustomerFactory(), "Someone else's", agent)

    page = _page(signed_in(client, agent), olivia.id)

    tickets_card = page[page.index('id="customer-tickets-h"') :]
    assert tickets_card.index(waiting.reference) < tickets_card.index(solved.reference)
    assert f'href="/tickets/{waiting.id}"' in tickets_card
    assert other.reference not in page


def test_a_long_list_links_to_all_the_customers_tickets(client, agent, olivia):
    for n in range(11):
        _open(olivia, f"Question {n}", agent)

    page = _page(signed_in(client, agent), olivia.id)

    assert page.count('<td class="status">') == 10
    assert f'href="/tickets?customer_id={olivia.id}">All 11 tickets of this customer</a>' in page


def test_new_ticket_for_this_customer_opens_the_form_with_them_picked(client, agent, olivia):
    browser = signed_in(client, agent)
    page = _page(browser, olivia.id)
    assert f'href="/tickets/new?customer_id={olivia.id}">New ticket for this customer</a>' in page

    form = browser.get(f"/tickets/new?customer_id={olivia.id}").get_data(as_text=True)

    assert re.search(rf'name="customer_id"[^>]*value="{olivia.id}"', form)
    assert "For Olivia Bennett · olivia@example.com" in form


def test_timeline_entries_link_to_their_ticket(client, agent, olivia):
    ticket = _open(olivia, "Lamp broken", agent)
    customers.update_customer(olivia.id, {"name": "Olivia B."}, actor=agent)

    page = _page(signed_in(client, agent), olivia.id)

    timeline = page[page.index('id="timeline-h"') :]
    assert f'<a href="/tickets/{ticket.id}">Ticket {ticket.reference} opened: Lamp broken</a>' in timeline
    # The profile's own events have no page of their own to lead to.
    assert re.search(r"</time>\s*Profile updated: name", timeline)


# -- merging a duplicate ----------------------------------------------------------------------------


def test_a_supervisor_merges_a_suggested_duplicate_after_confirming(client, supervisor, agent, olivia):
    duplicate = CustomerFactory(name="O. Bennett", emails=["olivia@example.com", "o.b@example.com"])
    ticket = _open(duplicate, "Parcel late", agent)
    browser = signed_in(client, supervisor)

    page = _page(browser, olivia.id)
    assert "Possible duplicates" in page
    assert f'href="/customers/{olivia.id}?merge={duplicate.id}#merge-h">Merge into this profile…</a>' in page
    assert "Merge into this profile</button>" not in page  # nothing merges before it is confirmed

    confirm = _page(browser, olivia.id, merge=duplicate.id)
    assert "Merge O. Bennett into this profile?" in confirm
    assert "A merge cannot be undone." in confirm
    response = _merge(browser, olivia.id, duplicate.id)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/customers/{olivia.id}"
    db.session.expire_all()
    assert db.session.get(Customer, duplicate.id).merged_into_id == olivia.id
    assert tickets.get_ticket(ticket.id).customer_id == olivia.id
    after = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Customer {duplicate.id} was merged into this profile." in after
    assert "o.b@example.com" in after and ticket.reference in after


def test_a_merged_profiles_timeline_says_once_what_went_into_what(client, supervisor, olivia):
    duplicate = CustomerFactory(name="O. Bennett", emails=["olivia@example.com"])
    customers.merge_customers(duplicate.id, olivia.id, actor=supervisor)

    page = _page(signed_in(client, supervisor), olivia.id)

    said = f"O. Bennett (customer {duplicate.id}) was merged into Olivia Bennett (customer {olivia.id})"
    assert page.count(said) == 1
    assert "Merged into customer" not in page


def test_a_refused_merge_is_explained_on_the_profile(client, supervisor, olivia):
    olivia.revenue_12m, olivia.currency = Decimal("10.00"), "USD"
    duplicate = CustomerFactory(
        name="O. Bennett", emails=["olivia@example.com"], revenue_12m=Decimal("5.00"), currency="EUR"
    )
    db.session.commit()
    browser = signed_in(client, supervisor)

    response = _merge(browser, olivia.id, duplicate.id)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'role="alert"><p>The two customers&#39; revenue is in different currencies.</p>' in page, page[
        page.find('role="alert"') - 50 : page.find('role="alert"') + 300
    ]
    assert "Merge O. Bennett into this profile?" in page  # the confirmation stays, to try again later
    db.session.expire_all()
    assert db.session.get(Customer, duplicate.id).merged_into_id is None


def test_a_merge_needs_the_duplicate_named(client, supervisor, olivia):
    response = _merge(signed_in(client, supervisor), olivia.id, "")

    assert response.status_code == 422
    assert "Choose the duplicate to merge." in response.get_data(as_text=True)


def test_agents_see_the_duplicates_but_may_not_merge(client, agent, olivia):
    duplicate = CustomerFactory(name="O. Bennett", emails=["olivia@example.com"])
    browser = signed_in(client, agent)

    page = _page(browser, olivia.id, merge=duplicate.id)

    assert f'href="/customers/{duplicate.id}">O. Bennett</a>' in page
    assert "Merge into this profile" not in page
    token = csrf_token_from(page)
    refused = browser.post(
        f"/customers/{olivia.id}/merge", data={"csrf_token": token, "source_id": duplicate.id}
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Customer, duplicate.id).merged_into_id is None
