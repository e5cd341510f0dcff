"""Every route that takes an id answers 404 for an id that names no row, whatever the id: unknown,
zero, or beyond what the database stores, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.factories import PASSWORD

MISSING_IDS = (0, 99_999_999_999, 2**63)
BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture
def app_config(app_config):
    # Page forms would stop at their CSRF check, before looking anything up.
    return {**app_config, "WTF_CSRF_ENABLED": False}


def _id_routes(app):
    """(rule, names of its id arguments, method) for every route that takes an integer."""
    for rule in app.url_map.iter_rules():
        ids = [name for name, kind in rule._converters.items() if isinstance(kind, IntegerConverter)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}) if ids else ():
            yield rule, ids, method


def _refused_for_its_body(method, response) -> bool:
    # An endpoint parses its body before it looks anything up, so a body it refuses answers first.
    body = response.get_json(silent=True) or {}
    return method in BODY_METHODS and response.status_code == 422 and "range" not in body.get("message", "")


def test_every_id_in_a_path_that_names_no_row_is_404(app, client, admin, as_admin):
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302
    routes = list(_id_routes(app))
    assert len(routes) > 40  # the URL map was read
    wrong = []
    for rule, ids, method in routes:
        for missing in MISSING_IDS:
            values = {name: missing if name in ids else "x" for name in rule.arguments}
            path = rule.build(values, append_unknown=False)[1]
            try:
                if path.startswith("/api/"):
                    # If-Match: a ticket's PATCH asks which version it changes before anything else.
                    body = {} if method in BODY_METHODS else None
                    response = as_admin._call(method, path, json=body, headers={"If-Match": "1"})
                else:
                    response = client.open(path, method=method, data={})
            except Exception as error:  # tests propagate what would be a 500
                wrong.append(f"{method} {path}: raised {type(error).__name__}")
                continue
            if response.status_code != 404 and not _refused_for_its_body(method, response):
                message = (response.get_json(silent=True) or {}).get("message", "")
                wrong.append(f"{method} {path}: {response.status_code} {message}")
    assert not wrong, "\n".join(wrong)
