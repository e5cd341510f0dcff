"""Helpers shared by the tests of the background imports (customers' CSV, the ticket history)."""

from __future__ import annotations

import io


def upload(client, url: str, content: bytes, filename: str):
    """POST a file the way the import endpoints take it: multipart, in the form field `file`."""
    files = {"file": (io.BytesIO(content), filename)}
    return client.post(url, data=files, content_type="multipart/form-data")
