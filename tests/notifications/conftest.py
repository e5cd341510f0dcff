"""Fixtures of the notification tests: a mail log of the test's own, customers who have an address."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.notifications.models import Notification
from tests.customer_factories import CustomerFactory


@pytest.fixture
def app_config(app_config, tmp_path):
    return {
        **app_config,
        "MAIL_LOG": str(tmp_path / "mail.log"),
        "PUBLIC_BASE_URL": "https://help.example.com",
    }


@pytest.fixture
def mail_log(app):
    """The mails written to the log so far, oldest first."""

    def read() -> list[dict]:
        path = app.config["MAIL_LOG"]
        try:
            with open(path, encoding="utf-8") as log:
                return [json.loads(line) for line in log]
        except FileNotFoundError:
            return []

    return read


@pytest.fixture
def customer(app):
    return CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])


def outbox(**filters) -> list[Notification]:
    """The outbox as the database has it now (deliveries ran in sessions of their own)."""
    db.session.expire_all()
    return db.session.query(Notification).filter_by(**filters).order_by(Notification.id).all()
