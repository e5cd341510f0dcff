"""The fast path (`app.bulk`) writes exactly what the ordinary flush writes, for every use case that takes
it: a ticket opened through the API, a complaint from the public form, a history import.

The same use cases run twice on an emptied database (ids restart at 1), once with the fast path and once
with `FAST_WRITES` off; every row of every table must come out the same, but for the moments rows were
written and the random secrets (token hashes) they hold.
"""

from __future__ import annotations

import json
from datetime import datetime
from io import BytesIO

import pytest
from sqlalchemy import select

from app import bulk
from app.extensions import db
from tests.conftest import _empty_postgres_tables
from tests.factories import AgentFactory
from tests.helpers import ApiClient
from tests.portal.conftest import submit

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

HISTORY = [
    {
        "reference": f"OLD-{n}",
        "subject": f"Old case {n}",
        "description": "<p>It broke.</p>",
        "type": "complaint" if n % 2 else "question",
        "priority": "high",
        "channel": "email",
        "customer": {"name": f"Customer {n % 3}", "email": f"c{n % 3}@example.com"},
        "assignee_email": "alex@example.com",
        "created_at": "2026-01-05T09:00:00+00:00",
        "tags": ["old", f"t{n}"],
        # Complaints with their details, and one without them (category other, severity medium).
        **(
            {"complaint": {"category": "billing", "severity": "high", "desired_outcome": "refund"}}
            if n % 2 and n != 5
            else {}
        ),
        "events": [
            {
                "at": "2026-01-05T10:00:00+00:00",
                "kind": "public_reply",
                "author_email": "alex@example.com",
                "body": "<p>Looking.</p>",
            },
            {"at": "2026-01-05T11:00:00+00:00", "kind": "status", "to": "pending" if n % 2 else "solved"},
        ],
    }
    for n in range(6)
]
# What differs between two runs of the same use cases whatever the path: when, and random secrets.
RANDOM_COLUMNS = {"token_hash", "password_hash", "idempotency_key", "address_hash"}


def _use_cases(app) -> None:
    """A ticket through the API, a complaint through the form, a history file through the import."""
    admin = AgentFactory(role="admin", email="ada@example.com", name="Ada")
    AgentFactory(role="agent", email="alex@example.com", name="Alex")
    api = ApiClient.for_agent(app, admin)
    opened = api.post(
        "/api/v1/tickets",
        json={
            "subject": "Printer on fire",
            "customer": {"name": "Pat", "email": "pat@example.com"},
            "tags": ["x"],
        },
    )
    assert opened.status_code == 201, opened.get_json()
    assert submit(app.test_client()).status_code == 302  # to the confirmation
    lines = "\n".join(json.dumps(line) for line in HISTORY).encode()
    imported = api.client.post(
        "/api/v1/tickets/imports",
        headers={"Authorization": f"Bearer {api.token}"},
        data={"file": (BytesIO(lines), "history.jsonl")},
        content_type="multipart/form-data",
    )
    assert imported.status_code in (201, 202), imported.get_json()
    record = api.get(f"/api/v1/tickets/imports/{imported.get_json()['id']}").get_json()
    assert (record["status"], record["errors"]) == ("done", []), record


def _every_row() -> dict[str, list[dict]]:
    rows = {}
    for table in db.metadata.sorted_tables:
        order = [c for c in table.primary_key.columns] or list(table.columns)
        found = db.session.execute(select(table).order_by(*order)).mappings()
        rows[table.name] = [{name: _comparable(name, value) for name, value in row.items()} for row in found]
    return rows


def _comparable(name: str, value):
    if isinstance(value, datetime):
        return "<moment>"
    if name in RANDOM_COLUMNS and value is not None:
        return "<secret>"
    return value


def test_the_fast_path_writes_what_the_flush_writes(app, monkeypatch):
    fast_writes = []
    for name in ("insert_new_objects", "copy_new_objects"):
        original = getattr(bulk, name)

        def counted(session, original=original, name=name):
            wrote = original(session)
            fast_writes.append((name, wrote))
            return wrote

        monkeypatch.setattr(bulk, name, counted)

    runs = {}
    for fast in (True, False):
        app.config["FAST_WRITES"] = fast
        _empty_postgres_tables()
        fast_writes.clear()
        _use_cases(app)
        runs[fast] = _every_row()
        db.session.remove()
        if fast:  # both ways really were taken: the web form and the API by INSERT, the import by COPY
            assert ("insert_new_objects", True) in fast_writes and ("copy_new_objects", True) in fast_writes
        else:
            assert not any(wrote for _name, wrote in fast_writes)

    assert runs[True]["tickets"] and len(runs[True]["tickets"]) == 2 + len(HISTORY)
    for table in runs[False]:
        assert runs[True][table] == runs[False][table], table
