"""Fixtures of the history import's tests."""

from __future__ import annotations

import pytest

from app.tickets.history import services as history


@pytest.fixture(params=["batch", "line_by_line"])
def import_path(request, monkeypatch) -> str:
    """The history import's batch path, or the line-by-line replay through the use cases."""
    if request.param == "line_by_line":
        monkeypatch.setattr(history, "_import_batch", lambda *args: False)
    return request.param
