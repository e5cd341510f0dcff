"""Helpers of the portal tests: fill in the public forms as a browser would."""

from __future__ import annotations

import re
from io import BytesIO

import pytest

from tests.helpers import csrf_token_from

COMPLAINT = {
    "name": "Rosa Díaz",
    "email": "rosa@example.com",
    "phone": "",
    "order_number": "A-1001",
    "category": "delivery",
    "description": "The parcel arrived crushed.\nThe vase inside is broken.",
    "desired_outcome": "replacement",
    "expected_satisfaction": "4",
}
REQUEST = {
    "name": "Rosa Díaz",
    "email": "rosa@example.com",
    "type": "question",
    "description": "How do I change my delivery address?",
}
# The smallest valid PNG: 1x1, one black pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "ATTACHMENTS_DIR": str(tmp_path / "files")}


def form_fields(html: str) -> dict[str, str]:
    """The hidden values a browser would send back: CSRF token and idempotency key."""
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]*)"', html)
    return {"csrf_token": csrf_token_from(html), "idempotency_key": key.group(1) if key else ""}


def submit(client, path: str = "/complaints/new", fields: dict | None = None, files=None, **kwargs):
    """GET the form, then POST it with `fields` (and files as `(bytes, name)` pairs)."""
    page = client.get(path, **{k: v for k, v in kwargs.items() if k == "environ_base"})
    data = {**form_fields(page.get_data(as_text=True)), **(COMPLAINT if fields is None else fields)}
    if files:
        data["files"] = [(BytesIO(content), name) for content, name in files]
    return client.post(path, data=data, content_type="multipart/form-data", **kwargs)


def tracking_token(html: str) -> str:
    match = re.search(r'id="tracking-link"[^>]*href="[^"]*/track/([A-Za-z0-9_-]+)"', html)
    assert match, "no tracking link on the page"
    return match.group(1)
