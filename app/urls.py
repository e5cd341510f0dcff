"""Absolute links for what leaves a request: mails written by a worker have no request to take a host from."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link to `endpoint`, on `PUBLIC_BASE_URL` (a worker has no request to take a host from)."""
    parts = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000")
    adapter = current_app.url_map.bind(parts.netloc, url_scheme=parts.scheme, script_name=parts.path or "/")
    return adapter.build(endpoint, values, force_external=True)
