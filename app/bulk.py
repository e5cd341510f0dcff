"""Writing a session's new objects past the unit of work, in a couple of round trips.

The unit of work's bookkeeping per object and per statement costs as much CPU as building the objects.
Two use cases write many new objects at once and little else:

- the ticket history import builds each batch (hundreds of tickets, some twenty new objects each) with
  the ticket services' own steps: `copy_new_objects` writes them with one COPY per table;
- opening a ticket writes the ticket, its tags, its audit event, its SLA targets: `insert_new_objects`
  sends one INSERT per table in a single pipeline (one round trip; one more to draw the ids of rows that
  other rows point at, where any still lack one).

This is the whole interface: those two functions and `CopySession`, a session whose flushes (its own,
autoflush, commit's) go the COPY way. Both write the rows that the flush would have written:

- tables in foreign-key order, each table's rows in the order their objects were added (a session
  event numbers them);
- primary keys drawn from each table's sequence, all of a table's at once; with INSERTs, the ids of a
  table that no row being written points at come back from the INSERT itself (RETURNING), in order;
- foreign keys copied from related objects as the flush copies them (many-to-one: from the object
  referred to; one-to-many: to the objects in the collection; a many-to-one set to None empties them);
- for a column not set (or set to None, unless its type stores None as a value, like JSON's `null`)
  its default, or NULL; the version counter at its first value; each type's bind processing.

The objects then are persistent, as after a flush: with the values written as their loaded state
(`make_transient_to_detached`, then `Session.add`), and transient again if the transaction that wrote
them rolls back (a session event), as the flush's would be. A row the database refuses raises what a
flush would (`IntegrityError`, `DataError`, ...), and the caller rolls its transaction back: nothing is
half-written.

Only public APIs: SQLAlchemy's, and psycopg's (COPY, pipeline mode) on the connection SQLAlchemy hands
out as `driver_connection`. Statements sent that way are not SQLAlchemy statements, so engine events
do not see them; nor do mapper and session flush events run for these rows, and where a model or the
session has such listeners nothing is written here and the flush does it. The pipeline is what the
INSERTs are worth: sent one by one through SQLAlchemy Core, they saved a ticket creation no measurable
time (bench/RESULTS.md, 2026-12-07).

Anything else is left to the plain flush too: another database (SQLite), a session that also holds
changed or deleted objects, inheritance, server-side defaults, many-to-many rows, related objects that
are neither new nor stored. `FAST_WRITES=false` sends everything to the flush (tests/test_fast_writes.py
writes the same use cases both ways and compares every row).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import Column, Connection, Table, event, exc, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, RelationshipDirection, Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import UnmappedColumnError
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.schema import sort_tables

_NOT_SET = object()
# `count` ids from each table's sequence, in one round trip; `n` says which table (its place in the lists).
_NEXT_IDS = text(
    "SELECT wanted.n, nextval(pg_get_serial_sequence(wanted.name, wanted.id_column)) "
    "FROM unnest(CAST(:tables AS text[]), CAST(:columns AS text[]), CAST(:counts AS integer[])) "
    "WITH ORDINALITY AS wanted(name, id_column, count, n), generate_series(1, wanted.count)"
)


# The order objects were added in (the order the flush writes each table's rows in), by a session event.
_added = itertools.count()
_add_order: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
# session.info key: the objects written here in the session's open transactions, to expunge on rollback.
_WRITTEN = "bulk_written"


class _Unsupported(Exception):
    """Something the plain flush must handle."""


@event.listens_for(Session, "transient_to_pending")
def _remember_order(_session: Session, instance: Any) -> None:
    _add_order[instance] = next(_added)


class CopySession(Session):
    """A session whose flush writes its new objects with COPY where it can (see the module)."""

    def flush(self, objects: Any = None) -> None:
        if objects is None:
            copy_new_objects(self)
        super().flush(objects)


def copy_new_objects(session: Session) -> bool:
    """Write the session's new objects with COPY and make them persistent, as a flush would; False,
    having written nothing, where the plain flush must do it. For many rows."""
    return _write_new_objects(session, _copy)


def insert_new_objects(session: Session) -> bool:
    """Write the session's new objects with pipelined INSERTs and make them persistent, as a flush would;
    False, having written nothing, where the plain flush must do it. For a handful of rows."""
    return _write_new_objects(session, _insert, return_ids=True)


def _write_new_objects(
    session: Session, send: Callable[[Connection, Dialect, list], None], *, return_ids: bool = False
) -> bool:
    if not session.new or _changes_besides_new(session) or not _enabled():
        return False
    connection = session.connection()
    dialect = connection.dialect
    if dialect.driver != "psycopg":
        return False
    objects = sorted(session.new, key=lambda obj: _add_order.get(obj, -1))
    states = [instance_state(obj) for obj in objects]
    try:
        writes = _writes(states, dialect)
    except _Unsupported:
        return False
    if return_ids:
        _return_leaf_ids(writes)
    with session.no_autoflush:  # loading a stored object's expired id must not flush half-made rows
        _draw_ids(writes, connection)
        rows = [(write, _rows(write)) for write in writes]
    send(connection, dialect, rows)
    _make_persistent(session, objects)
    return True


def _enabled() -> bool:
    return not has_app_context() or current_app.config["FAST_WRITES"]


def _make_persistent(session: Session, objects: list[Any]) -> None:
    """What the flush does last: the objects hold what was written as their loaded state and take their
    place in the identity map; a rollback of this transaction makes them transient again (`_forget`)."""
    for obj in objects:
        if obj in session:  # expunging a ticket expunges what cascades from it (its complaint) too
            session.expunge(obj)
    for obj in objects:
        make_transient_to_detached(obj)
    session.add_all(objects)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_WRITTEN, []).append((transaction, objects))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: Any) -> None:
    """Rows written in a transaction that rolled back (itself, or one it was part of) are gone: so are
    their objects, as the flush's would be."""
    written = session.info.get(_WRITTEN)
    if not written:
        return
    kept = []
    for transaction, objects in written:
        outer = transaction
        while outer is not None and outer is not previous_transaction:
            outer = outer.parent
        if outer is None:
            kept.append((transaction, objects))
            continue
        for obj in objects:
            if obj in session:
                session.expunge(obj)
            make_transient(obj)  # as the flush leaves objects whose INSERT was rolled back
    session.info[_WRITTEN] = kept


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


# -- what to write ------------------------------------------------------------------------------------


class _ColumnPlan(NamedTuple):
    key: str | None  # the attribute holding the column's value (None: not mapped)
    stores_none: bool  # the type writes None as a value (JSON null) rather than leaving the column unset
    default: Callable[[], Any] | None
    process: Callable[[Any], Any] | None


@dataclass
class _TablePlan:
    """How one mapper's objects become rows of its table."""

    table: Table
    copy_statement: str
    insert_statement: str  # in the driver's own parameter style
    # The same without the id column, which the database fills and returns (None: no such column).
    insert_returning_statement: str | None
    columns: list[_ColumnPlan]
    serial: tuple[str, str] | None  # (attribute, column name) of an id drawn from a sequence
    serial_index: int | None  # the id's place in a row
    parents: frozenset[Table]  # the tables its foreign keys point at
    version: tuple[str, Any] | None  # (attribute, first value) of the optimistic-locking counter
    # (relationship, [(attribute on the related object, attribute here)]): foreign keys taken from it
    pulls: list[tuple[str, list[tuple[str, str]]]]
    # (relationship, [(attribute here, attribute on the related objects)]): foreign keys given to them
    pushes: list[tuple[str, bool, list[tuple[str, str]]]]
    many_to_many: list[str]


@dataclass
class _Write:
    plan: _TablePlan
    states: list[InstanceState] = field(default_factory=list)
    returns_ids: bool = False  # the rows' ids come back from their INSERT, not drawn before


# Per dialect (an engine's: its JSON serializer goes into the bind processing), per mapper.
_plans: weakref.WeakKeyDictionary[Dialect, dict[Mapper, _TablePlan | None]] = weakref.WeakKeyDictionary()


def _plan(mapper: Mapper, dialect: Dialect, plans: dict[Mapper, _TablePlan | None]) -> _TablePlan | None:
    if mapper not in plans:
        try:
            plans[mapper] = _make_plan(mapper, dialect)
        except _Unsupported:
            plans[mapper] = None
    return plans[mapper]


def _make_plan(mapper: Mapper, dialect: Dialect) -> _TablePlan:
    if len(mapper.tables) != 1 or mapper.inherits is not None or mapper.polymorphic_on is not None:
        raise _Unsupported()
    if mapper.dispatch.before_insert or mapper.dispatch.after_insert:
        raise _Unsupported()
    table = mapper.local_table
    serial_column = table.autoincrement_column
    version = None
    if mapper.version_id_col is not None:
        if mapper.version_id_generator is False:
            raise _Unsupported()
        version = (_attribute(mapper, mapper.version_id_col), mapper.version_id_generator(None))
    columns = [_column_plan(mapper, c, dialect, serial=c is serial_column) for c in table.columns]
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(column.name) for column in table.columns)
    pulls, pushes, many_to_many = [], [], []
    for prop in mapper.relationships:
        if prop.viewonly:
            continue
        if prop.post_update:
            raise _Unsupported()
        if prop.direction is RelationshipDirection.MANYTOMANY:
            many_to_many.append(prop.key)
        elif prop.direction is RelationshipDirection.MANYTOONE:
            # local: this table's foreign key; remote: the column of the row it points at
            pairs = [(_attribute(prop.mapper, r), _attribute(mapper, c)) for c, r in prop.local_remote_pairs]
            pulls.append((prop.key, pairs))
        else:
            # local: this table's key; remote: the related rows' foreign key
            pairs = [(_attribute(mapper, c), _attribute(prop.mapper, r)) for c, r in prop.local_remote_pairs]
            pushes.append((prop.key, prop.uselist, pairs))
    placeholders = ", ".join("%s" for _column in table.columns)
    insert_returning_statement = serial_index = None
    if serial_column is not None:
        serial_index = list(table.columns).index(serial_column)
        others = [column for column in table.columns if column is not serial_column]
        other_names = ", ".join(preparer.quote(column.name) for column in others)
        insert_returning_statement = (
            f"INSERT INTO {preparer.format_table(table)} ({other_names}) "
            f"VALUES ({', '.join('%s' for _column in others)}) RETURNING {preparer.quote(serial_column.name)}"
        )
    return _TablePlan(
        table=table,
        copy_statement=f"COPY {preparer.format_table(table)} ({names}) FROM STDIN",
        insert_statement=f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({placeholders})",
        insert_returning_statement=insert_returning_statement,
        columns=columns,
        serial=(_attribute(mapper, serial_column), serial_column.name) if serial_column is not None else None,
        serial_index=serial_index,
        parents=frozenset(fk.column.table for fk in table.foreign_keys),
        version=version,
        pulls=pulls,
        pushes=pushes,
        many_to_many=many_to_many,
    )


def _column_plan(mapper: Mapper, column: Column, dialect: Dialect, *, serial: bool) -> _ColumnPlan:
    if column.server_default is not None or (column.identity is not None and column.identity.always):
        raise _Unsupported()
    default = None
    if column.default is not None and not serial:
        if column.default.is_scalar:
            value = column.default.arg
            default = lambda: value  # noqa: E731
        elif column.default.is_callable:
            # Zero-argument callables are wrapped to take the statement's context; there is none here.
            call = column.default.arg
            default = lambda: call(None)  # noqa: E731
        else:
            raise _Unsupported()  # a SQL expression or a sequence: the database computes it
    try:
        key = _attribute(mapper, column)
    except UnmappedColumnError:
        key = None
    return _ColumnPlan(
        key=key,
        stores_none=column.type.should_evaluate_none,
        default=default,
        process=column.type.dialect_impl(dialect).bind_processor(dialect),
    )


def _attribute(mapper: Mapper, column: Column) -> str:
    prop = mapper.get_property_by_column(column)
    if len(prop.columns) != 1:
        raise _Unsupported()
    return prop.key


def _changes_besides_new(session: Session) -> bool:
    """Changed or deleted objects to write as well, or listeners that expect to see a flush."""
    dispatch = session.dispatch
    listened = dispatch.before_flush or dispatch.after_flush or dispatch.after_flush_postexec
    return bool(session.dirty or session.deleted or listened)


def _writes(states: list[InstanceState], dialect: Dialect) -> list[_Write]:
    """The tables to write, parents first, each with its objects; checks everything before changing any."""
    by_table: dict[Table, _Write] = {}
    plans = _plans.setdefault(dialect, {})
    for state in states:
        plan = _plan(state.mapper, dialect, plans)
        if plan is None:
            raise _Unsupported()
        by_table.setdefault(plan.table, _Write(plan)).states.append(state)
    order = {table: n for n, table in enumerate(sort_tables(by_table))}
    new = {id(state) for state in states}

    def check(related: Any, own_table: Table, *, before: bool) -> None:
        state = instance_state(related)
        if id(state) not in new:
            if state.key is None:
                raise _Unsupported()  # neither new here nor stored
            if not before:
                raise _Unsupported()  # a stored object joining a new one's collection: an UPDATE
            return
        related_table = state.mapper.local_table
        if related_table not in order:
            raise _Unsupported()
        if (order[related_table] < order[own_table]) != before or related_table is own_table:
            raise _Unsupported()  # an order the foreign keys do not give

    for table, write in by_table.items():
        plan = write.plan
        for state in write.states:
            values = state.dict
            if any(values.get(key) for key in plan.many_to_many):
                raise _Unsupported()
            for key, _pairs in plan.pulls:
                if values.get(key) is not None:
                    check(values[key], table, before=True)
            for key, uselist, _pairs in plan.pushes:
                for child in _related(values.get(key), uselist):
                    check(child, table, before=False)
    return [by_table[table] for table in sorted(by_table, key=order.__getitem__)]


def _return_leaf_ids(writes: list[_Write]) -> None:
    """Leave the ids of rows that no other row written here points at to their INSERT's RETURNING: no
    round trip to draw them first. Only where none of the table's objects has an id yet."""
    parents = set().union(*(write.plan.parents for write in writes))
    for write in writes:
        plan = write.plan
        if plan.serial is None or plan.table in parents:
            continue
        key = plan.serial[0]
        write.returns_ids = all(state.dict.get(key) is None for state in write.states)


def _draw_ids(writes: list[_Write], connection: Connection) -> None:
    """Give every object still without an id one from its table's sequence, in insert order (but those
    whose INSERT returns them)."""
    wanting = []
    for write in writes:
        if write.plan.serial is not None and not write.returns_ids:
            key, _column = write.plan.serial
            missing = [state.dict for state in write.states if state.dict.get(key) is None]
            if missing:
                wanting.append((write.plan, key, missing))
    if not wanting:
        return
    format_table = connection.dialect.identifier_preparer.format_table
    drawn: dict[int, list[int]] = {}
    for n, new_id in connection.execute(
        _NEXT_IDS,
        {
            "tables": [format_table(plan.table) for plan, _key, _missing in wanting],
            "columns": [plan.serial[1] for plan, _key, _missing in wanting],
            "counts": [len(missing) for _plan, _key, missing in wanting],
        },
    ):
        drawn.setdefault(n, []).append(new_id)
    for n, (_plan, key, missing) in enumerate(wanting, start=1):
        for values, new_id in zip(missing, sorted(drawn[n]), strict=True):
            values[key] = new_id


def _rows(write: _Write) -> list[list[Any]]:
    """The table's rows, having set the objects' foreign keys, and given their children theirs."""
    plan = write.plan
    for state in write.states:
        values = state.dict
        for key, pairs in plan.pulls:
            if key not in values:
                continue
            related = values[key]
            for theirs, ours in pairs:
                values[ours] = _attribute_value(related, theirs)
    if plan.version is not None:
        key, first = plan.version
        for state in write.states:
            state.dict[key] = first
    rows = []
    for state in write.states:
        values = state.dict
        for key, uselist, pairs in plan.pushes:
            for child in _related(values.get(key), uselist):
                theirs = instance_state(child).dict
                for ours, their_key in pairs:
                    theirs[their_key] = values[ours]
        rows.append(_row(plan.columns, values))
    return rows


def _attribute_value(related: Any, key: str) -> Any:
    if related is None:
        return None
    values = instance_state(related).dict
    # A stored object's expired id loads, as it would for the flush.
    return values[key] if key in values else getattr(related, key)


def _related(value: Any, uselist: bool) -> Any:
    if value is None:
        return ()
    return value if uselist else (value,)


def _row(columns: list[_ColumnPlan], values: dict[str, Any]) -> list[Any]:
    """An object's row; what the flush would take from the column's default is set on the object too."""
    row = []
    for key, stores_none, default, process in columns:
        value = values.get(key, _NOT_SET)  # an unmapped column's key is None: never in the dict
        if value is None and not stores_none:
            value = _NOT_SET
        if value is _NOT_SET:
            if default is None:
                if key is not None:
                    values[key] = None
                row.append(None)
                continue
            value = default()
            if key is not None:
                values[key] = value
        row.append(process(value) if process is not None else value)
    return row


def _copy(connection: Connection, dialect: Dialect, rows: list[tuple[_Write, list[list[Any]]]]) -> None:
    driver = connection.connection.driver_connection
    statement = None
    try:
        with driver.cursor() as cursor:
            for write, table_rows in rows:
                statement = write.plan.copy_statement
                with cursor.copy(statement) as copy:
                    for row in table_rows:
                        copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        raise _as_flush_error(error, statement) from error


def _insert(connection: Connection, dialect: Dialect, rows: list[tuple[_Write, list[list[Any]]]]) -> None:
    driver = connection.connection.driver_connection
    statement = None
    returning = []
    try:
        # Sent together, answered together: the tables' INSERTs cost one round trip. A cursor per
        # table, so each one's returned ids are still there to read once the answers are in.
        with driver.pipeline():
            for write, table_rows in rows:
                cursor = driver.cursor()
                if write.returns_ids:
                    statement = write.plan.insert_returning_statement
                    without_id = [_without(row, write.plan.serial_index) for row in table_rows]
                    cursor.executemany(statement, without_id, returning=True)
                    returning.append((write, cursor))
                else:
                    statement = write.plan.insert_statement
                    cursor.executemany(statement, table_rows)
                    cursor.close()
    except dialect.loaded_dbapi.Error as error:
        raise _as_flush_error(error, statement) from error
    for write, cursor in returning:
        key = write.plan.serial[0]
        for state in write.states:
            state.dict[key] = cursor.fetchone()[0]
            cursor.nextset()
        cursor.close()


def _without(row: list[Any], index: int) -> list[Any]:
    return row[:index] + row[index + 1 :]


def _as_flush_error(error: Exception, statement: str | None) -> exc.DBAPIError:
    """The driver's error as SQLAlchemy raises it from a flush: IntegrityError, DataError... (the caller
    rolls back)."""
    # The driver's classes carry the DB-API's names (psycopg.errors.UniqueViolation is an IntegrityError).
    names = {base.__name__ for base in type(error).__mro__}
    for kind in (exc.IntegrityError, exc.DataError, exc.OperationalError, exc.ProgrammingError):
        if kind.__name__ in names:
            return kind(statement, None, error)
    return exc.DBAPIError(statement, None, error)
