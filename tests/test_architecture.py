"""The room rules of docs/architecture.md, checked by reading the code.

1. Imports point down the levels; a room imports only a lower room's models, services, schemas,
   signals (and the accounts room's access rules, the tickets room's words); nothing imports `kpi`.
2. Inside a room, a feature package (`tickets.sla`, `portal.surveys`, ...) and the room's core use
   each other's public parts only, as rooms do; the room's `__init__` wires every package.
3. The kernel imports no room (except the factory, which lists them).
4. Foreign keys follow imports: a table points only at tables of its own room or lower ones.
5. Every endpoint declares an access rule.
6. Every API blueprint parses its arguments with one schema instance per endpoint.
7. Views and pages never roll back: a use case that refuses has undone its changes (`app.unit_of_work`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import flask_smorest as smorest
import pytest
from marshmallow import Schema

from app.accounts.access import _EXTENSION_ENDPOINTS, rule_of
from app.extensions import ApiBlueprint, db

APP = Path(__file__).resolve().parent.parent / "app"

LEVELS = {
    "accounts": 0,
    "customers": 1,
    "jobs": 1,
    "tickets": 2,
    "notifications": 3,
    "portal": 4,
    "callcenter": 5,
    "kpi": 6,
}
TOOLING = {"demo"}  # loads data through every room's services; nothing imports it
PUBLIC_PARTS = {"models", "services", "schemas", "signals", "access", "words"}
# Feature packages inside rooms: each keeps its models, services and adapters side by side.
FEATURES = {
    "customers": {"privacy"},
    "tickets": {"sla", "history", "search", "attachments"},
    "portal": {"surveys", "routing"},
    "callcenter": {"presence", "routing", "calls", "console", "wallboard"},
}
# Steps of a room's core that its packages build on: the tickets' audit trail, the portal's links.
CORE_STEPS = {"tickets": {"audit"}, "portal": {"links"}, "callcenter": {"live", "sockets"}}


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
                parts = imported.split(".")
                depth = 3 if len(parts) > 2 and parts[2] in FEATURES.get(target_room, ()) else 2
                part = parts[depth] if len(parts) > depth else None
                if part is not None and part not in PUBLIC_PARTS and not part[0].isupper():
                    yield f"{module} imports {imported}: only models, services, schemas, signals are public"


def _package_of(module: str) -> tuple[str, str | None] | None:
    """(room, feature package or None for the room's core) of a module inside a room."""
    parts = module.split(".")
    room = _room_of(module)
    if room is None or room in TOOLING:
        return None
    if len(parts) >= 3 and parts[2] in FEATURES.get(room, ()):
        return room, parts[2]
    return room, None


def _package_violations():
    for module, path in _modules():
        source = _package_of(module)
        if source is None or module == f"app.{source[0]}":
            continue  # the room's __init__ wires all of its packages
        for imported in _imports(path):
            target = _package_of(imported)
            if target is None or target[0] != source[0] or target == source:
                continue
            room, feature = target
            parts = imported.split(".")
            depth = 3 if feature else 2
            part = parts[depth] if len(parts) > depth else None
            allowed = PUBLIC_PARTS | (set() if feature else CORE_STEPS.get(room, set()))
            if part is not None and part not in allowed and not part[0].isupper():
                where = f"{room}.{feature}" if feature else f"{room} core"
                yield f"{module} imports {imported}: reaches into the internals of {where}"


def test_rooms_import_only_downward_and_only_public_parts():
    assert sorted(set(_violations())) == []


def test_packages_of_a_room_use_only_each_others_public_parts():
    assert sorted(set(_package_violations())) == []


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "app" / "accounts"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from app.tickets import services\nfrom app.customers.views import api\n")
    monkeypatch.setattr(f"{__name__}.APP", tmp_path / "app")

    found = list(_violations())

    assert any("same or higher level" in v for v in found)


def test_the_checker_catches_a_package_reaching_into_a_sibling(tmp_path, monkeypatch):
    sla = tmp_path / "app" / "tickets" / "sla"
    sla.mkdir(parents=True)
    (sla / "bad.py").write_text(
        "from app.tickets.search import services\n"  # a sibling's use cases: allowed
        "from app.tickets.search.api import bp\n"  # a sibling's adapter: not
        "from app.tickets.views import pages\n"  # the core's adapter: not
    )
    monkeypatch.setattr(f"{__name__}.APP", tmp_path / "app")

    found = list(_package_violations())

    assert found == [
        "app.tickets.sla.bad imports app.tickets.search.api: reaches into the internals of tickets.search",
        "app.tickets.sla.bad imports app.tickets.search.api.bp: reaches into the internals of tickets.search",
        "app.tickets.sla.bad imports app.tickets.views: reaches into the internals of tickets core",
        "app.tickets.sla.bad imports app.tickets.views.pages: reaches into the internals of tickets core",
    ]


def _table_rooms() -> dict[str, str]:
    """Table name -> room, from the module that maps or declares each table."""
    rooms = {}
    for mapper in db.Model.registry.mappers:
        rooms[mapper.local_table.name] = _room_of(mapper.class_.__module__)
    for module, path in _modules():
        room = _room_of(module)
        if room is None:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            # Association tables: `name = Table("table_name", ...)`
            is_table = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Table"
            if is_table and node.args and isinstance(node.args[0], ast.Constant):
                rooms.setdefault(node.args[0].value, room)
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


def _adapters():
    """The modules of views and pages: `app/<room>/views/*`, and every `pages.py`."""
    for module, path in _modules():
        if ".views." in f"{module}." or path.name == "pages.py":
            yield module, path


def _rollbacks(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if called in ("rollback", "roll_back"):
            yield node.lineno


def test_views_and_pages_never_roll_back():
    found = [f"{module}:{line}" for module, path in _adapters() for line in _rollbacks(path)]

    assert found == [], "a refusing use case rolls back itself (@unit_of_work)"


def test_the_checker_finds_a_page_that_rolls_back(tmp_path, monkeypatch):
    pages = tmp_path / "app" / "portal"
    pages.mkdir(parents=True)
    (pages / "pages.py").write_text("def view():\n    db.session.rollback()\n")
    monkeypatch.setattr(f"{__name__}.APP", tmp_path / "app")

    assert [module for module, _ in _adapters()] == ["app.portal.pages"]
    assert list(_rollbacks(pages / "pages.py")) == [2]
