"""A complaint sent while the database restarts is not lost: the customer gets the form back as they
filled it in, and sending it again opens one ticket."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.tickets.models import Ticket
from tests.database_faults import assert_retry_later, cut_every_connection
from tests.portal.conftest import COMPLAINT, form_fields

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def test_a_complaint_caught_in_a_restart_comes_back_filled_in_and_opens_one_ticket_when_sent_again(
    unchecked_pool, client
):
    page = client.get("/complaints/new").get_data(as_text=True)
    sent = {**form_fields(page), **COMPLAINT}
    cut_every_connection()

    caught = client.post("/complaints/new", data=sent)

    assert_retry_later(caught)
    again = caught.get_data(as_text=True)
    assert "We could not save your message just now" in again
    assert "The vase inside is broken." in again
    assert 'value="rosa@example.com"' in again
    assert form_fields(again)["idempotency_key"] == sent["idempotency_key"]
    assert db_count(Ticket) == 0

    resent = client.post("/complaints/new", data=form_fields(again) | COMPLAINT)

    assert resent.status_code == 302
    assert db_count(Ticket) == 1


def test_a_page_other_than_a_form_caught_in_a_restart_says_to_try_again(unchecked_pool, client):
    client.get("/complaints/new")
    cut_every_connection()

    caught = client.get("/track/" + "x" * 43)

    assert_retry_later(caught)
    assert re.search(r"<h1>Back in a moment", caught.get_data(as_text=True))


def db_count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
