"""Who opened a customer's profile: every read of the profile page, the profile's API and its timeline is
logged, and supervisors and admins read the log."""

from __future__ import annotations

from sqlalchemy import select

from app.customers.privacy.models import CustomerAccess
from app.dbtypes import utcnow
from app.extensions import db
from tests.customer_factories import CustomerFactory
from tests.helpers import signed_in

URL = "/api/v1/customers"


def _accesses(customer_id):
    db.session.expire_all()
    query = select(CustomerAccess).where(CustomerAccess.customer_id == customer_id)
    return list(db.session.scalars(query.order_by(CustomerAccess.id)))


def test_reading_a_profile_through_the_api_is_logged(as_agent, agent):
    customer = CustomerFactory()

    as_agent.get(f"{URL}/{customer.id}")
    as_agent.get(f"{URL}/{customer.id}/timeline")

    logged = [(a.agent_id, a.via) for a in _accesses(customer.id)]
    assert logged == [(agent.id, "api"), (agent.id, "timeline")]


def test_opening_the_profile_page_is_logged_once(client, agent):
    customer = CustomerFactory()
    browser = signed_in(client, agent)

    assert browser.get(f"/customers/{customer.id}").status_code == 200

    assert [(a.agent_id, a.via) for a in _accesses(customer.id)] == [(agent.id, "page")]


def test_lists_and_refused_reads_are_not_logged(as_agent):
    customer = CustomerFactory(deleted_at=utcnow())

    as_agent.get(URL)
    as_agent.get(f"{URL}/{customer.id}")

    assert _accesses(customer.id) == []


def test_supervisors_read_the_log_newest_first(as_agent, as_supervisor, agent):
    customer = CustomerFactory()
    as_agent.get(f"{URL}/{customer.id}")
    as_agent.get(f"{URL}/{customer.id}/timeline")

    response = as_supervisor.get(f"{URL}/{customer.id}/accesses")

    assert response.status_code == 200
    listed = [(a["via"], a["agent"]["id"]) for a in response.json]
    assert listed == [("timeline", agent.id), ("api", agent.id)]
    assert "X-Pagination" in response.headers


def test_agents_may_not_read_the_log(as_agent):
    customer = CustomerFactory()

    assert as_agent.get(f"{URL}/{customer.id}/accesses").status_code == 403


def test_the_log_of_a_missing_customer_is_404(as_supervisor):
    assert as_supervisor.get(f"{URL}/999/accesses").status_code == 404
