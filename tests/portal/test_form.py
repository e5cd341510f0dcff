"""The public complaint and request forms: what people see, what gets created, and what abuse gets."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app import bulk
from app.customers.models import Customer
from app.errors import Invalid
from app.extensions import db
from app.portal import services as portal
from app.portal.models import TrackingToken, WebSubmission
from app.tickets.attachments.models import Attachment
from app.tickets.models import Ticket
from tests.helpers import statements_seen
from tests.portal.conftest import COMPLAINT, PNG, REQUEST, form_fields, submit, tracking_token


def submit_rosas_complaint(**details):
    """`portal.submit_web_form` as the form calls it, for Rosa's broken vase; `details` override."""
    return portal.submit_web_form(
        **{
            "type": "complaint",
            "name": "Rosa",
            "email": "rosa@example.com",
            "phone": None,
            "description": "Broken vase",
            "category": "delivery",
            "idempotency_key": portal.new_idempotency_key(),
            **details,
        }
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- the page ------------------------------------------------------------------------------------------


def test_form_labels_every_field_and_hides_the_honeypot(client):
    html = client.get("/complaints/new").get_data(as_text=True)
    for name in ("name", "email", "phone", "order_number", "category", "description", "files"):
        assert f'<label for="{name}">' in html
    for name in ("desired_outcome", "expected_satisfaction"):
        assert f'<label for="{name}-0">' in html
    assert 'autocomplete="email"' in html and 'autocomplete="name"' in html and 'autocomplete="tel"' in html
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'name="referral_code" tabindex="-1"' in html or 'tabindex="-1"' in html.split("referral_code")[2]
    assert "Customers</a>" not in html  # the public layout, not the agents' one
    assert len(form_fields(html)["idempotency_key"]) >= 16


def test_each_showing_of_the_form_gets_its_own_idempotency_key(client):
    first = form_fields(client.get("/complaints/new").get_data(as_text=True))["idempotency_key"]
    second = form_fields(client.get("/complaints/new").get_data(as_text=True))["idempotency_key"]
    assert first != second


# -- submitting ----------------------------------------------------------------------------------------


def test_complaint_opens_a_web_ticket_and_redirects_to_its_confirmation(client):
    response = submit(client)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/complaints/sent")
    ticket = db.session.scalar(select(Ticket))
    assert ticket.channel == "web" and ticket.type == "complaint"
    assert ticket.complaint.category == "delivery"
    assert ticket.complaint.desired_outcome == "replacement"
    assert ticket.subject == "Delivery: The parcel arrived crushed."
    assert ticket.customer.primary_email == "rosa@example.com"
    submission = db.session.scalar(select(WebSubmission))
    assert (submission.ticket_id, submission.order_number, submission.expected_satisfaction) == (
        ticket.id,
        "A-1001",
        4,
    )
    page = client.get("/complaints/sent")
    html = page.get_data(as_text=True)
    assert ticket.reference in html
    token = tracking_token(html)
    assert portal.find_tracked_ticket(token).id == ticket.id
    assert page.headers["Cache-Control"] == "no-store"


def test_confirmation_shows_the_tracking_link_once(client):
    submit(client)
    assert "tracking-link" in client.get("/complaints/sent").get_data(as_text=True)
    again = client.get("/complaints/sent").get_data(as_text=True)
    assert "tracking-link" not in again and "/track/lost" in again


def test_a_known_customer_is_linked_by_e_mail(client):
    submit(client)
    submit(client, fields={**COMPLAINT, "email": "ROSA@example.com", "name": "R. Díaz"})
    assert count(Customer) == 1
    assert count(Ticket) == 2


def test_a_phone_number_alone_is_enough(client):
    submit(client, fields={**COMPLAINT, "email": "", "phone": "+1 415 555 0100"})
    assert db.session.scalar(select(Ticket)).customer.primary_phone == "+14155550100"


def test_request_form_opens_the_type_the_customer_chose(client):
    response = submit(client, "/support/new", fields={**REQUEST, "type": "incident"})
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.type, ticket.channel, ticket.complaint) == ("incident", "web", None)


def test_what_was_typed_stays_text(client):
    submit(client, fields={**COMPLAINT, "description": "<script>alert(1)</script><b>bold</b>"})
    description = db.session.scalar(select(Ticket)).description
    assert "<script" not in description and "<b>" not in description
    assert "&lt;script&gt;" in description


# -- validation ----------------------------------------------------------------------------------------


def test_invalid_fields_are_named_in_a_summary_and_marked_keeping_what_was_typed(client):
    response = submit(client, fields={**COMPLAINT, "name": "", "email": "", "category": ""})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert 'href="#name"' in html and 'href="#email"' in html and 'href="#category"' in html
    assert 'aria-describedby="name-error"' in html and 'aria-invalid="true"' in html
    assert "Give an e-mail address or a phone number" in html
    assert "The vase inside is broken." in html  # the description is kept
    assert count(Ticket) == 0


def test_a_malformed_e_mail_is_refused_next_to_its_field(client):
    html = submit(client, fields={**COMPLAINT, "email": "not an address"}).get_data(as_text=True)
    assert 'id="email-error"' in html and "name@example.com" in html


def test_a_missing_choice_is_linked_to_its_first_button(client):
    response = submit(client, fields={k: v for k, v in COMPLAINT.items() if k != "desired_outcome"})
    assert response.status_code == 422
    assert 'href="#desired_outcome-0"' in response.get_data(as_text=True)


class TestWithCsrfSwitchedOffByConfiguration:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": False}

    def test_the_form_is_still_shown(self, client):
        # The form then has no token field, which its error summary used to read unconditionally.
        response = client.get("/complaints/new")

        assert response.status_code == 200
        assert 'name="description"' in response.get_data(as_text=True)


# -- protections -----------------------------------------------------------------------------------------


def test_a_post_without_csrf_token_creates_nothing(client):
    page = client.get("/complaints/new").get_data(as_text=True)
    data = {**COMPLAINT, "idempotency_key": form_fields(page)["idempotency_key"]}
    response = client.post("/complaints/new", data=data)
    assert response.status_code == 400
    assert count(Ticket) == 0


def test_a_filled_honeypot_looks_like_success_and_creates_nothing(client):
    response = submit(client, fields={**COMPLAINT, "referral_code": "http://spam.example"})

    assert response.status_code == 302
    html = client.get("/complaints/sent").get_data(as_text=True)
    assert "Your reference" in html and "tracking-link" in html
    assert count(Ticket) == count(Customer) == count(TrackingToken) == 0


def test_a_double_submission_opens_one_ticket(client):
    page = client.get("/complaints/new").get_data(as_text=True)
    data = {**form_fields(page), **COMPLAINT}
    first = client.post("/complaints/new", data=dict(data))
    first_page = client.get("/complaints/sent").get_data(as_text=True)
    second = client.post("/complaints/new", data=dict(data))
    second_page = client.get("/complaints/sent").get_data(as_text=True)

    assert first.status_code == second.status_code == 302
    assert count(Ticket) == 1
    reference = db.session.scalar(select(Ticket.reference))
    assert reference in first_page and reference in second_page
    # Each answer carries a working link of its own.
    assert tracking_token(first_page) != tracking_token(second_page)
    assert portal.find_tracked_ticket(tracking_token(second_page)).reference == reference


def test_a_sent_form_brought_back_with_another_text_is_a_new_message(client):
    """The back button restores the hidden key of a form already sent; what is written now is news."""
    page = client.get("/complaints/new").get_data(as_text=True)
    data = {**form_fields(page), **COMPLAINT}
    client.post("/complaints/new", data=dict(data))
    client.post("/complaints/new", data={**data, "description": "And the second parcel never came."})

    descriptions = db.session.scalars(select(Ticket.description).order_by(Ticket.id)).all()
    assert len(descriptions) == 2
    assert "second parcel" in descriptions[1]


def test_a_post_without_idempotency_key_creates_nothing(client):
    page = client.get("/complaints/new").get_data(as_text=True)
    data = {**COMPLAINT, "csrf_token": form_fields(page)["csrf_token"]}
    response = client.post("/complaints/new", data=data)
    assert response.status_code == 422
    assert count(Ticket) == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_on_postgresql_a_submission_is_written_past_the_unit_of_work(app, backend, monkeypatch):
    """Like a ticket opened through the API (`app.bulk.insert_new_objects`): the ticket, its complaint
    record and its submission record go to the database in one pipeline, not through the flush."""
    written = []
    write = bulk.insert_new_objects

    def noted(session):
        written.append(write(session))
        return written[-1]

    monkeypatch.setattr(bulk, "insert_new_objects", noted)

    with statements_seen(db.engine) as statements:
        ticket, _token = submit_rosas_complaint()

    inserted = {s.split()[2] for s in statements if s.lstrip().upper().startswith("INSERT")}
    assert written == [True]
    assert not inserted & {"tickets", "complaints", "web_submissions"}  # not the flush's statements
    assert (count(Ticket), count(WebSubmission)) == (1, 1)
    assert db.session.scalar(select(WebSubmission.ticket_id)) == ticket.id


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=False)
def test_racing_posts_with_one_key_open_one_ticket(app):
    """Both requests pass the "key unused?" check; the unique key decides, and the loser gets the
    winner's ticket."""
    key = portal.new_idempotency_key()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def post() -> None:
        with app.app_context():
            barrier.wait()
            try:
                ticket, token = submit_rosas_complaint(idempotency_key=key)
                results.append((ticket.id, token))
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len({ticket_id for ticket_id, _token in results}) == 1
    assert count(Ticket) == 1
    assert len(results) == 4
    assert {portal.find_tracked_ticket(token).id for _ticket_id, token in results} == {results[0][0]}


def test_a_body_over_the_portal_limit_gets_a_friendly_413_and_creates_nothing(app, client):
    app.config["PORTAL_MAX_BODY_BYTES"] = 50_000
    response = submit(client, files=[(PNG + b"\0" * 60_000, "photo.png")])
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "too large" in html and "portal.css" in html
    assert count(Ticket) == 0


def test_text_fields_over_the_form_memory_cap_get_413_and_create_nothing(app, client):
    app.config["PORTAL_MAX_FORM_MEMORY"] = 10_000
    response = submit(client, fields={**COMPLAINT, "description": "x" * 12_000})
    assert response.status_code == 413
    assert count(Ticket) == 0


def test_long_text_fields_are_refused(client):
    response = submit(client, fields={**COMPLAINT, "description": "x" * 20_001})
    assert response.status_code == 422
    assert count(Ticket) == 0


def test_files_are_attached_to_the_new_ticket(client):
    assert submit(client, files=[(PNG, "photo.png")]).status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert (attachment.filename, attachment.content_type) == ("photo.png", "image/png")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "invoice.pdf"),  # sniffed, not believed
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "setup.exe"),
        (PNG, "photo.svg"),
        (b"", "empty.txt"),
    ],
)
def test_a_bad_file_refuses_the_whole_submission(client, content, name):
    response = submit(client, files=[(PNG, "good.png"), (content, name)])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="files-error"' in html and name in html
    assert count(Ticket) == count(Attachment) == 0


def test_too_many_files_are_refused(app, client):
    app.config["PORTAL_MAX_FILES"] = 2
    response = submit(client, files=[(PNG, f"p{n}.png") for n in range(3)])
    assert response.status_code == 422
    assert "at most 2 files" in response.get_data(as_text=True)
    assert count(Ticket) == 0


def test_a_phone_number_the_customers_room_refuses_is_marked_on_its_field(client):
    response = submit(client, fields={**COMPLAINT, "phone": "call me"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="phone-error"' in html and "country code" in html and 'href="#phone"' in html
    assert count(Ticket) == 0


@pytest.mark.parametrize(
    ("field", "value"), [("category", "flood"), ("desired_outcome", "revenge"), ("expected_satisfaction", 9)]
)
def test_the_service_refuses_values_the_form_does_not_offer(app, field, value):
    details = {"category": "delivery", "desired_outcome": "refund", "expected_satisfaction": 3, field: value}
    with pytest.raises(Invalid) as refused:
        submit_rosas_complaint(**details)
    assert field in refused.value.errors
    assert count(Ticket) == 0
