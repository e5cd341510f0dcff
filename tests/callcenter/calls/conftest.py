"""Fixtures of the calls tests: the desk configured with a PBX's shared secret and a Twilio auth token,
and helpers that send events the way a telephony system does (signed)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.callcenter.calls import services as calls
from app.callcenter.calls.webhooks import signed_headers
from app.callcenter.routing import services as routing

SECRET = "pbx-shared-secret"
TWILIO_TOKEN = "twilio-auth-token"
PUBLIC_BASE_URL = "https://desk.example.com"
EVENTS = "/api/v1/callcenter/events"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "TELEPHONY_WEBHOOK_SECRET": SECRET,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }


@pytest.fixture
def presence_moves(monkeypatch):
    """What the calls asked the presence package to do, in order: [(agent_id, state)]."""
    moves = []
    monkeypatch.setattr(calls, "_presence_follows", lambda agent_id, state: moves.append((agent_id, state)))
    return moves


@pytest.fixture
def routed(monkeypatch):
    """The queues routing was asked to look at, in order (after the commits that put work in line)."""
    queues = []
    monkeypatch.setattr(routing, "route_soon", lambda queue_id: queues.append(queue_id))
    return queues


def event(kind: str, event_id: str, *, call_id: str = "c-1", at: datetime = T0, **fields) -> dict:
    return {"id": event_id, "type": kind, "call_id": call_id, "timestamp": at.isoformat(), **fields}


def send(client, body, *, secret: str = SECRET, now: float | None = None, headers: dict | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = signed_headers(secret, raw, now=time.time() if now is None else now)
    return client.post(EVENTS, data=raw, headers={**signed, **(headers or {})})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
