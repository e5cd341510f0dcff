from __future__ import annotations

import pytest

from app.callcenter.wallboard import services
from tests.callcenter.wallboard.rows import NOW


@pytest.fixture
def app_config(app_config):
    """The desk's day in UTC, and no coalescing unless a test asks for it (each change published at once)."""
    return {**app_config, "WALLBOARD_TIMEZONE": "UTC", "WALLBOARD_COALESCE_MS": 0}


@pytest.fixture(autouse=True)
def wallboard_clock(monkeypatch):
    """The wallboard reads the time once per computation; here it is always `NOW`."""
    monkeypatch.setattr(services, "utcnow", lambda: NOW)
    return NOW
