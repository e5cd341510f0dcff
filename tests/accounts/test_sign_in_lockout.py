"""Failed sign-ins are counted per e-mail address, on the login page and the token endpoint together and
from any client address: too many lock the address for a while, and its owner hears of it once."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from app.accounts import services
from app.dbtypes import utcnow
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.services import render
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import csrf_token_from

ATTEMPTS = 10
_addresses = count(1)


@pytest.fixture
def app_config(app_config):
    # Per-address limits on: each guess below comes from an address of its own, so only the per-account
    # count can stop them.
    return {**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1 per minute"}


def _from_new_address(app):
    client = app.test_client()
    n = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"198.51.{n // 250}.{n % 250 + 1}"
    return client


def _by_api(app, email, password):
    return _from_new_address(app).post("/api/v1/auth/token", json={"email": email, "password": password})


def _by_page(app, email, password):
    client = _from_new_address(app)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _guess(app, email, times):
    """Wrong passwords from as many addresses, through both ways in by turns; the answers' statuses."""
    ways = (_by_api, _by_page)
    return [ways[i % 2](app, email, f"guess number {i}").status_code for i in range(times)]


def _page_text(response) -> str:
    """The page without its CSRF token, which differs from one browser to the next."""
    return re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))


def _lockout_mails():
    return db.session.scalars(select(Notification).where(Notification.kind == "sign_in_locked")).all()


def test_guesses_from_many_addresses_through_both_ways_in_lock_the_account(app, agent):
    assert _guess(app, agent.email, ATTEMPTS) == [401] * ATTEMPTS

    api = _by_api(app, agent.email, PASSWORD)
    page = _by_page(app, agent.email, PASSWORD)

    assert api.status_code == 429
    assert 14 * 60 < int(api.headers["Retry-After"]) <= 15 * 60
    assert api.json["message"] == "Too many failed sign-ins with this e-mail address; try again later."
    assert page.status_code == 429
    assert "Retry-After" in page.headers
    assert "Too many failed sign-ins with this e-mail address. Try again in 15 minutes." in page.get_data(
        as_text=True
    )


def test_the_owner_gets_one_mail_per_lockout_in_their_language(app):
    owner = AgentFactory(language="zh", timezone="Asia/Shanghai")
    _guess(app, owner.email, ATTEMPTS + 3)
    _by_api(app, owner.email, PASSWORD)

    [mail] = _lockout_mails()
    assert mail.recipient == owner.email
    assert mail.status == "sent"
    rendered = render(mail)
    assert "暂停登录" in rendered.subject
    assert "即使密码正确" in rendered.text
    assert "/account/sessions" in rendered.text


def test_an_unknown_address_gets_exactly_the_same_answers_and_lockout(app, agent, monkeypatch):
    ghost = "ghost@example.com"
    now = utcnow()
    monkeypatch.setattr(services, "utcnow", lambda: now)  # both lockouts begin at the same instant

    for email in (agent.email, ghost):
        assert _guess(app, email, ATTEMPTS) == [401] * ATTEMPTS
    known = _by_api(app, agent.email, "one more"), _by_page(app, agent.email, "one more")
    unknown = _by_api(app, ghost, "one more"), _by_page(app, ghost, "one more")

    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [429, 429]
    assert known[0].json == unknown[0].json
    assert known[0].headers["Retry-After"] == unknown[0].headers["Retry-After"]
    assert _page_text(known[1]).replace(agent.email, ghost) == _page_text(unknown[1])
    assert [mail.recipient for mail in _lockout_mails()] == [agent.email]


def test_wrong_answers_before_a_lockout_say_the_same_for_unknown_addresses(app, agent):
    known, unknown = _by_api(app, agent.email, "wrong"), _by_api(app, "ghost@example.com", "wrong")

    assert known.status_code == unknown.status_code == 401
    assert known.json == unknown.json


def test_other_spellings_of_the_address_count_against_the_same_account(app, agent):
    _guess(app, agent.email.upper(), ATTEMPTS)

    assert _by_api(app, f"  {agent.email} ", PASSWORD).status_code == 429


def test_the_lockout_ends_by_itself(app, agent, monkeypatch):
    _guess(app, agent.email, ATTEMPTS)
    assert _by_api(app, agent.email, PASSWORD).status_code == 429

    later = utcnow() + timedelta(seconds=app.config["SIGN_IN_LOCKOUT_SECONDS"] + 1)
    monkeypatch.setattr(services, "utcnow", lambda: later)

    assert _by_api(app, agent.email, PASSWORD).status_code == 201
    assert _by_page(app, agent.email, PASSWORD).status_code == 302


def test_a_success_starts_the_count_again(app, agent):
    _guess(app, agent.email, ATTEMPTS - 1)
    assert _by_page(app, agent.email, PASSWORD).status_code == 302

    assert _guess(app, agent.email, ATTEMPTS - 1) == [401] * (ATTEMPTS - 1)
    assert _by_api(app, agent.email, PASSWORD).status_code == 201
    assert _lockout_mails() == []


def test_failures_spread_beyond_the_window_do_not_lock(app, agent, monkeypatch):
    _guess(app, agent.email, ATTEMPTS - 1)
    later = utcnow() + timedelta(seconds=app.config["SIGN_IN_LOCKOUT_WINDOW_SECONDS"] + 1)
    monkeypatch.setattr(services, "utcnow", lambda: later)

    _guess(app, agent.email, ATTEMPTS - 1)

    assert _by_api(app, agent.email, PASSWORD).status_code == 201


def test_the_number_of_failures_allowed_is_a_setting(app, agent):
    app.config["SIGN_IN_LOCKOUT_ATTEMPTS"] = 3
    _guess(app, agent.email, 3)

    assert _by_api(app, agent.email, PASSWORD).status_code == 429
