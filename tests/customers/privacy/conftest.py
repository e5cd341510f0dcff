"""One customer's whole story, written through the use cases every channel uses: a profile with
contact points, an organization, a custom field, tags and notes, changed once; a complaint from the web
form with an order number and a file; an agent's reply, an internal note, the customer's answer, a
changed subject, a root cause and a remedy; the solve, its survey and a comment on it."""

from __future__ import annotations

from io import BytesIO
from types import SimpleNamespace

import pytest

from app.customers import services as customers
from app.extensions import db
from app.portal import links
from app.portal import services as portal
from app.portal.models import WebSubmission
from app.portal.surveys import services as surveys
from app.tickets import services as tickets
from app.tickets.attachments.models import Attachment
from tests.customer_factories import FieldDefinitionFactory
from tests.ticket_factories import SlaPolicyFactory

# The smallest valid PNG: 1x1, one black pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

# Every value of the person's that the story writes somewhere: none may be left after the erasure.
NAME = "Rosa Díaz-Quintero"
EMAIL = "rosa.quintero@example.com"
PHONE = "+12015550177"
TAG = "quintero-family"
PASSPORT = "X1234567"
NOTES = "Allergic to cats."
FIRST_NOTES = "Prefers calls after six."
ADDRESS = "12 Baker Street"
ORDER = "ORD-778899"
FILE_NAME = "rosa-passport-scan"
SUBJECT = "Crushed vase for Rosa"
ROOT_CAUSE = "Courier dropped Rosa's parcel"
SURVEY_COMMENT = "Rosa is happy with the new vase"
NOTE = "Rosa called twice, upset about the vase"


class Upload:
    def __init__(self, content: bytes, filename: str):
        self.stream = BytesIO(content)
        self.filename = filename


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "ATTACHMENTS_DIR": str(tmp_path / "files"), "MAIL_LOG": str(tmp_path / "mail.log")}


@pytest.fixture
def story(app, agent):
    FieldDefinitionFactory(key="passport", label="Passport", type="text")
    SlaPolicyFactory()
    customer = customers.create_customer(
        name=NAME,
        organization="Quintero Imports",
        emails=[EMAIL],
        phones=[PHONE],
        tags=[TAG],
        custom_fields={"passport": PASSPORT},
        notes=FIRST_NOTES,
        actor=agent,
    )
    customers.update_customer(customer.id, {"notes": NOTES}, actor=agent)
    ticket, _token = portal.submit_web_form(
        type="complaint",
        name=NAME,
        email=EMAIL,
        phone=PHONE,
        description=f"My parcel to {ADDRESS} arrived crushed.",
        idempotency_key="k" * 32,
        category="delivery",
        desired_outcome="replacement",
        order_number=ORDER,
        expected_satisfaction=4,
        files=[Upload(PNG, f"{FILE_NAME}.png")],
        remote_address="203.0.113.9",
    )
    tickets.claim_ticket(ticket.id, actor=agent)
    tickets.add_comment(ticket.id, body=f"<p>Dear Rosa, a new vase goes to {ADDRESS}.</p>", actor=agent)
    tickets.add_comment(ticket.id, body=f"<p>{NOTE}</p>", public=False, actor=agent)
    tickets.add_customer_message(ticket.id, body=f"<p>Thank you! I am at {ADDRESS} all day.</p>")
    current = tickets.get_ticket(ticket.id)
    tickets.update_ticket(
        ticket.id,
        {"subject": SUBJECT, "complaint": {"root_cause": ROOT_CAUSE, "remedy": "A new vase for Rosa."}},
        expected_version=current.version,
        actor=agent,
    )
    tickets.add_comment(ticket.id, body="<p>Solved, Rosa.</p>", status="solved", actor=agent)
    survey = surveys.get_survey(ticket.id)
    token = links.issue_survey_token(survey)
    db.session.commit()
    surveys.answer_survey(
        token,
        {"csat": "5", "ces": "6", "nps": "9", "expected": "4", "experienced": "5", "comment": SURVEY_COMMENT},
    )
    db.session.expire_all()
    attachment = db.session.query(Attachment).filter_by(ticket_id=ticket.id).one()
    submission = db.session.query(WebSubmission).filter_by(ticket_id=ticket.id).one()
    return SimpleNamespace(
        customer_id=customer.id,
        ticket_id=ticket.id,
        attachment=attachment,
        # Derived from the person's data: a hash of their address, of their file.
        derived=[submission.remote_address_hash, attachment.sha256],
    )


PERSONAL_VALUES = [
    NAME,
    "Rosa",
    EMAIL,
    PHONE,
    "2015550177",
    TAG,
    PASSPORT,
    NOTES,
    FIRST_NOTES,
    ADDRESS,
    ORDER,
    FILE_NAME,
    SUBJECT,
    ROOT_CAUSE,
    SURVEY_COMMENT,
    NOTE,
]
