"""The room rules of docs/architecture.md, checked by reading the code.

1. Imports point down the levels; a room imports only a lower room's models, services, schemas,
   signals (and the accounts room's access rules); nothing imports `kpi`.
2. The kernel imports no room (except the factory, which lists them).
3. Foreign keys follow imports: a table points only at tables of its own room or lower ones.
4. Every endpoint declares an access rule.
5. Every API blueprint parses its arguments with one schema instance per endpoint.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import flask_smorest as smorest
import pytest
from marshmallow import Schema
from sqlalchemy import Table

from app.accounts.access import _EXTENSION_ENDPOINTS, rule_of
from app.extensions import ApiBlueprint, db

APP = Path(__file__).resolve().parent.parent / "app"

LEVELS = {"accounts": 0, "customers": 1, "tickets": 2, "callcenter": 3, "kpi": 4}
TOOLING = {"demo"}  # loads data through every room's services; nothing imports it
PUBLIC_PARTS = {"models", "services", "schemas", "signals", "access"}


def _room_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "app" and (parts[1] in LEVELS or parts[1] in TOOLING):
        return parts[1]
    return None


def _modules():
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "app":
                for alias in node.names:
                    yield f"app.{alias.name}"
            else:
                yield node.module
                for alias in node.names:
                    yield f"{node.module}.{alias.name}"


def _violations():
    for module, path in _modules():
        source_room = _room_of(module)
        for imported in _imports(path):
            target_room = _room_of(imported)
            if target_room is None or target_room == source_room:
                continue
            if module == "app":
                continue  # create_app is the one place that lists the rooms
            if source_room is None:
                yield f"kernel module {module} imports room {imported}"
            elif target_room in TOOLING:
                yield f"{module} imports tooling {imported}"
            elif source_room in TOOLING:
                continue
            elif target_room == "kpi":
                yield f"{module} imports kpi ({imported}); nothing may"
            elif LEVELS[target_room] >= LEVELS[source_room]:
                yield f"{module} imports {imported}: same or higher level"
            else:
                part = imported.split(".")[2] if imported.count(".") >= 2 else None
                if part is not None and part not in PUBLIC_PARTS and not part[0].isupper():
                    yield f"{module} imports {imported}: only models, services, schemas, signals are public"


def test_rooms_import_only_downward_and_only_public_parts():
    assert sorted(set(_violations())) == []


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "app" / "accounts"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from app.tickets import services\nfrom app.customers.views import api\n")
    monkeypatch.setattr(f"{__name__}.APP", tmp_path / "app")

    found = list(_violations())

    assert any("same or higher level" in v for v in found)


def _table_rooms() -> dict[str, str]:
    """Table name -> room, from what each room's models module defines (mapped classes and tables)."""
    rooms = {}
    for room in LEVELS:
        try:
            models = importlib.import_module(f"app.{room}.models")
        except ModuleNotFoundError:
            continue
        for value in vars(models).values():
            table = getattr(value, "__table__", value)
            module = getattr(value, "__module__", "") or ""
            if isinstance(table, Table) and (value is table or module.startswith(models.__name__)):
                rooms[table.name] = room
    return rooms


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_foreign_keys_follow_imports(app):
    rooms = _table_rooms()
    assert set(rooms) == {t.name for t in db.metadata.sorted_tables}, "a table outside any room's models"
    wrong = []
    for table in db.metadata.sorted_tables:
        source = rooms[table.name]
        for fk in table.foreign_keys:
            target = rooms[fk.column.table.name]
            if LEVELS[target] > LEVELS[source]:
                wrong.append(f"{table.name}.{fk.parent.name} -> {fk.column.table.name}")
    assert wrong == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_endpoint_declares_an_access_rule(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in _EXTENSION_ENDPOINTS and rule_of(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_api_blueprint_parses_with_one_schema_instance(app):
    plain = [
        name
        for name, blueprint in app.blueprints.items()
        if isinstance(blueprint, smorest.Blueprint) and not isinstance(blueprint, ApiBlueprint)
    ]
    assert plain == [], "declare API blueprints as app.extensions.ApiBlueprint"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_request_is_parsed_without_building_a_schema(as_agent, monkeypatch):
    ticket = {"subject": "Printer on fire", "customer": {"name": "Pat", "email": "pat@example.com"}}
    assert as_agent.post("/api/v1/tickets", json=ticket).status_code == 201  # nested schemas built once
    built = []
    build = Schema.__init__

    def counted(schema, *args, **kwargs):
        built.append(type(schema).__name__)
        build(schema, *args, **kwargs)

    monkeypatch.setattr(Schema, "__init__", counted)

    assert as_agent.post("/api/v1/tickets", json=ticket).status_code == 201
    assert built == []
