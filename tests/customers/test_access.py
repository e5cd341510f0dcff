"""Who may do what with customers: readers, writers, and supervisors for merge, delete and import."""

from __future__ import annotations

import pytest

from tests.customer_factories import CustomerFactory

URL = "/api/v1/customers"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}/1"),
        ("patch", f"{URL}/1"),
        ("delete", f"{URL}/1"),
        ("post", f"{URL}/1/merge"),
        ("get", f"{URL}/1/timeline"),
        ("get", f"{URL}/1/duplicates"),
        ("get", f"{URL}/lookup?phone=2015550123"),
        ("get", f"{URL}/fields"),
        ("post", f"{URL}/imports"),
        ("get", f"{URL}/imports/1"),
        ("post", f"{URL}/1/export"),
        ("post", f"{URL}/1/erase"),
        ("get", f"{URL}/1/accesses"),
    ],
)
def test_every_endpoint_needs_a_signed_in_caller(client, method, path):
    response = getattr(client, method)(path, json={})

    assert response.status_code == 401
    assert response.json["code"] == 401


def test_an_agent_may_not_merge_delete_import_or_define_fields(as_agent):
    source, target = CustomerFactory(), CustomerFactory()

    assert as_agent.post(f"{URL}/{source.id}/merge", json={"into": target.id}).status_code == 403
    assert as_agent.delete(f"{URL}/{source.id}").status_code == 403
    assert as_agent.post(f"{URL}/imports").status_code == 403
    assert as_agent.get(f"{URL}/imports/1").status_code == 403
    assert as_agent.post(f"{URL}/fields", json={"key": "k", "label": "K", "type": "text"}).status_code == 403
    assert as_agent.get(f"{URL}/{source.id}").status_code == 200


def test_a_signed_in_browser_must_send_the_csrf_token_to_change_things(app, agent, client):
    from tests.factories import PASSWORD
    from tests.helpers import sign_in

    sign_in(client, agent.email, PASSWORD)

    response = client.post(URL, json={"name": "Jane"})

    assert response.status_code == 400
    assert client.get(URL).status_code == 200
