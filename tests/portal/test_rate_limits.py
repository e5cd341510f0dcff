"""Rate limits of the public pages: per client address, per e-mail address, on tracking pages."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.portal import services as portal
from app.tickets.models import Ticket
from tests import backends
from tests.portal.conftest import COMPLAINT, submit


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PORTAL_RATE_LIMIT": "3 per minute",
        "PORTAL_EMAIL_RATE_LIMIT": "100 per minute",
        "TRACKING_RATE_LIMIT": "3 per minute",
    }


def test_a_flood_from_one_address_gets_429_and_creates_nothing_more(client):
    statuses = [
        submit(client, fields={**COMPLAINT, "email": f"bot{n}@example.com"}).status_code for n in range(6)
    ]
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert count(Ticket) == 3


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(client):
    statuses = [
        submit(
            client,
            fields={**COMPLAINT, "email": f"bot{n}@example.com"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(app_config, app):
    proxied = create_app({**app_config, "TRUSTED_PROXY_COUNT": 1})
    client = proxied.test_client()
    with proxied.app_context():
        db.create_all()
        statuses = [
            submit(
                client,
                fields={**COMPLAINT, "email": f"person{n}@example.com"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(5)
        ]
    assert statuses == [302] * 5


def test_one_e_mail_address_is_limited_whatever_the_client_address(app, client):
    app.config["PORTAL_RATE_LIMIT"] = "100 per minute"
    app.config["PORTAL_EMAIL_RATE_LIMIT"] = "2 per minute"
    statuses = [
        submit(
            client,
            fields={**COMPLAINT, "email": email},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n, email in enumerate(["rosa@example.com", "Rosa@Example.com ", "rosa@example.com"])
    ]
    assert statuses == [302, 302, 429]
    assert count(Ticket) == 2


def _open_case() -> str:
    _ticket, token = portal.submit_web_form(
        type="question",
        name="Rosa",
        email="rosa@example.com",
        phone=None,
        description="Where is my parcel?",
        idempotency_key=portal.new_idempotency_key(),
    )
    return token


def test_guessing_tracking_tokens_hits_the_limit(client):
    token = _open_case()
    statuses = [client.get(f"/track/guess-{n:040d}").status_code for n in range(3)]
    statuses.append(client.get(f"/track/{token}").status_code)
    assert statuses == [404, 404, 404, 429]


def test_lost_link_requests_are_limited_per_e_mail_address(app, client):
    app.config["PORTAL_RATE_LIMIT"] = "100 per minute"
    app.config["PORTAL_EMAIL_RATE_LIMIT"] = "2 per minute"
    statuses = []
    for n in range(3):
        environ = {"REMOTE_ADDR": f"198.51.100.{n}"}
        page = client.get("/track/lost", environ_base=environ).get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/track/lost",
            data={"csrf_token": token, "email": "someone@example.com"},
            environ_base=environ,
        )
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_with_redis_every_web_process_counts_against_one_limit(app_config):
    """Two app instances (two web processes) sharing Redis share the count."""
    url = backends.empty_redis()
    config = {**app_config, "RATELIMIT_STORAGE_URI": url}
    statuses = []
    for n in range(4):
        process = create_app(config)
        with process.app_context():
            db.create_all()
            statuses.append(
                submit(process.test_client(), fields={**COMPLAINT, "email": f"p{n}@example.com"}).status_code
            )
    assert statuses == [302, 302, 302, 429]


def test_writing_the_address_another_way_does_not_dodge_the_e_mail_limit(app, client):
    app.config["PORTAL_RATE_LIMIT"] = "100 per minute"
    app.config["PORTAL_EMAIL_RATE_LIMIT"] = "2 per minute"
    variants = ["rosa@example.com", "rosa@ｅxample.com", "ROSA@EXAMPLE.ＣＯＭ"]  # noqa: RUF001 (full-width)
    statuses = [submit(client, fields={**COMPLAINT, "email": email}).status_code for email in variants]
    assert statuses == [302, 302, 429]


def test_one_phone_number_is_limited_however_it_is_written(app, client):
    app.config["PORTAL_RATE_LIMIT"] = "100 per minute"
    app.config["PORTAL_EMAIL_RATE_LIMIT"] = "2 per minute"
    variants = ["(415) 555-0100", "415.555.0100", "+1 415 555 0100"]
    statuses = [
        submit(client, fields={**COMPLAINT, "email": "", "phone": phone}).status_code for phone in variants
    ]
    assert statuses == [302, 302, 429]


def test_a_flood_without_csrf_tokens_meets_the_limit_too(client):
    """Posts refused for their missing token still count, so a bot cannot post without end."""
    statuses = [client.post("/complaints/new", data=COMPLAINT).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    assert count(Ticket) == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_with_redis_out_of_reach_each_process_counts_in_memory_and_still_refuses_a_flood(app_config, caplog):
    """The public form keeps taking complaints when Redis is down, and keeps refusing floods."""
    with socket.socket() as probe:  # a port nothing listens on: Redis refuses, as when it is stopped
        probe.bind(("127.0.0.1", 0))
        dead_redis = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    process = create_app({**app_config, "RATELIMIT_STORAGE_URI": dead_redis})
    client = process.test_client()
    with process.app_context():
        db.create_all()
        statuses = [
            submit(client, fields={**COMPLAINT, "email": f"bot{n}@example.com"}).status_code for n in range(5)
        ]
        assert count(Ticket) == 3
    assert statuses == [302, 302, 302, 429, 429]
    assert "falling back to in-memory storage" in caplog.text
