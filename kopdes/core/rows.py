"""Hand-written statements on the hot paths, with the ORM's own columns, conversions and signals.

Building a statement costs Django's ORM several times what running it costs (a primary-key
SELECT: 0.46 ms of CPU against 0.09 ms for the same SQL by hand, on PostgreSQL). Where a request
runs a dozen fixed statements (the checkout), they are written by hand, but what the ORM knows is
taken from it once per database and model: the qualified columns and the backend's converters of
the fields read (`columns`), the columns and the values' preparation of the rows written
(`insert`). Rows read become model instances as the ORM makes them for `.only()` (the other
fields deferred, loaded if asked for); rows written send `pre_save` and `post_save` as `save()`
does, so that the listeners (the rollups' outbox) see them. `Statement` runs many writes as one
statement on PostgreSQL (a WITH; the checkout's every write, ADR 14), `insert_together` is one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import cast

from django.db import DataError, connections, transaction
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField
from django.db.models.base import ModelState
from django.db.models.signals import ModelSignal, post_save, pre_save


@contextmanager
def planned_each_time(connection) -> Iterator[None]:
    """Statements run inside are not prepared on PostgreSQL: each is planned for its own values.

    The connections prepare a statement the second time they run it (settings, ADR 14), and after
    five runs PostgreSQL may keep one generic plan for it, made without the values. That suits a
    statement whose best plan is the same for every value, not a search, whose plan turns on how
    many listings have its words and pass its filters: a generic plan made for "kopi" and then
    used for "secang" within a price range took 90 ms where its own plan takes 3."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor != "postgresql" or getattr(raw, "prepare_threshold", None) is None:
        yield
        return
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


@contextmanager
def session_settings(connection, **settings: str) -> Iterator[None]:
    """PostgreSQL's planner settings changed for the statements run inside, then given back their
    session's values: one round trip each way (`set_config`, then the settings' `reset_val`).
    When a statement inside failed a transaction, its rollback gives them back instead (a
    setting made in a transaction is undone with it), and the error is the statement's.
    Nothing on other databases."""
    if connection.vendor != "postgresql" or not settings:
        yield
        return
    names = sorted(settings)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(names)),
            [value for name in names for value in (name, settings[name])],
        )
    try:
        yield
    finally:
        from psycopg.pq import TransactionStatus

        if connection.connection.info.transaction_status != TransactionStatus.INERROR:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(name, reset_val, false) FROM pg_settings WHERE name = ANY(%s)", [names]
                )


@dataclass(frozen=True)
class Columns:
    """Some fields of a model, as the ORM selects and converts them on one database."""

    model: type[Model]
    attnames: tuple[str, ...]
    sql: str  # the columns, qualified with the table's name and quoted: "market_listing"."price", …
    converters: tuple[tuple[int, tuple, object], ...]  # (position, the backend's converters, expression)

    @property
    def width(self) -> int:
        return len(self.attnames)

    def instance(self, row: Sequence, alias: str, start: int = 0, connection=None) -> Model:
        """The instance of the row's values from `start` on: converted as the ORM converts them,
        put in its __dict__ as `.only()` puts them; the other fields deferred."""
        values = list(row[start : start + len(self.attnames)])
        if self.converters:
            connection = connection or connections[alias]
            for position, functions, expression in self.converters:
                value = values[position]
                for function in functions:
                    value = function(value, expression, connection)
                values[position] = value
        obj = self.model.__new__(self.model)
        obj.__dict__.update(zip(self.attnames, values, strict=True))
        obj._state = ModelState()
        obj._state.adding = False
        obj._state.db = alias
        return obj

    def instances(self, rows: Sequence[Sequence], alias: str) -> list:
        """`instance` of each row."""
        connection = connections[alias]
        return [self.instance(row, alias, connection=connection) for row in rows]


@lru_cache(maxsize=64)
def columns(model: type[Model], fields: tuple[str, ...], alias: str) -> Columns:
    """`fields` of `model` (names or attnames) as `.values_list()` compiles them on `alias`."""
    attnames = tuple(cast(Field, model._meta.get_field(name)).attname for name in fields)
    compiler = model._default_manager.using(alias).values_list(*attnames).query.get_compiler(using=alias)
    compiler.setup_query()
    selected = [column for column, _sql, _alias in compiler.select]
    converters = compiler.get_converters(selected)
    return Columns(
        model=model,
        attnames=attnames,
        sql=", ".join(compiler.compile(column)[0] for column in selected),
        converters=tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in converters.items()
        ),
    )


def table(model: type[Model], alias: str = "default") -> str:
    """The model's table, quoted for `alias`."""
    return connections[alias].ops.quote_name(model._meta.db_table)


def select(
    model: type[Model], fields: tuple[str, ...], where: str, params: Sequence, alias: str = "default"
) -> list:
    """The rows of `model`'s table that match `where` (SQL over its own columns), as instances
    holding `fields`."""
    shape = columns(model, fields, alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {shape.sql} FROM {table(model, alias)} WHERE {where}", params)  # noqa: S608  (the model's table; `where` is the caller's SQL)
        found = cursor.fetchall()
    return shape.instances(found, alias)


_AUTO = (AutoField, BigAutoField, SmallAutoField)

# Sent by Statement.insert for the new instances it writes, once their pre_save is sent and their
# insert is a part of the statement: a listener that writes rows of its own on their post_save
# (the rollups' outbox) may add that write to the statement instead (`statement.write`, a part
# after the insert), and mark the instances so that their post_save does not write it again.
# Arguments: sender (the model), instances, statement.
inserting = ModelSignal(use_caching=True)


@lru_cache(maxsize=128)
def _insert_statement(model: type[Model], alias: str, keyed: bool) -> tuple[str, tuple, tuple[str, ...]]:
    """The head of an INSERT of `model`'s rows (its columns, with the key's when `keyed`: keys
    drawn before), the fields whose values follow, in order, and their types (`_cast`)."""
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label}: rows of a model with parents are inserted by save()")
    fields = tuple(field for field in meta.local_concrete_fields if keyed or not isinstance(field, _AUTO))
    quote = connections[alias].ops.quote_name
    columns_sql = ", ".join(quote(str(field.column)) for field in fields)
    casts = tuple(_cast(field, connections[alias]) for field in fields)
    return f"INSERT INTO {quote(meta.db_table)} ({columns_sql})", fields, casts


def _cast(field: Field, connection) -> str:
    """The type a value is cast to in a SELECT list: the column's own, except text for the
    characters (PostgreSQL checks their length as it assigns; a cast to varchar(n) would cut)."""
    db_type = field.db_type(connection) or "text"
    return "text" if db_type.startswith("varchar") else db_type


@dataclass
class _Insert:
    part: int
    objs: list[Model]
    taken: dict[str, str]  # attname -> the source part's column it is read from
    sourced: bool  # from another part's row: the statement fails without one


class Incomplete(Exception):
    """A Statement's insert from a source found no row: the statement failed, and wrote nothing."""


# The text a statement's guard fails to read as a number when an insert from a source found no
# row (PostgreSQL then answers "invalid input syntax for type integer", and rolls back).
_INCOMPLETE = "kopdes: an insert from a source found no row"


class Statement:
    """Writes that run together, in one statement on PostgreSQL: a WITH whose parts are the
    writes. PostgreSQL runs every part to its end, all or nothing, in an order of its own: a part
    reads another only through its name (an insert's `source`). Elsewhere (SQLite) each part runs
    as a statement of its own, in the order added, and an insert cannot have a source.

    Inserts write new instances as `save()` would: `pre_save` sent as they are added, then their
    keys set and `post_save` sent once the statement has run. An insert whose source returns no
    row fails the whole statement (`Incomplete`): nothing of it is written. One statement is a
    transaction of its own outside `transaction.atomic` (PostgreSQL commits it as it ends, in the
    same round trip); what its parts' writers want done once it commits is given to `on_commit`,
    which hands it to the transaction only once the statement has run."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self.connection = connections[alias]
        self.together = self.connection.vendor == "postgresql"
        self._parts: list[tuple[str, list]] = []
        self._inserts: list[_Insert] = []
        self._hooks: list[tuple[Callable[[], object], bool]] = []

    def on_commit(self, func: Callable[[], object], robust: bool = False) -> None:
        """`transaction.on_commit(func)` once the statement has run (an on_commit outside a
        transaction calls at once: before the statement, it would call too early)."""
        self._hooks.append((func, robust))

    def write(self, sql: str, params: Sequence = ()) -> str:
        """A part of the caller's own (an INSERT, UPDATE or DELETE; with RETURNING when a later
        part reads it); returns its name."""
        self._parts.append((sql, list(params)))
        return f"part_{len(self._parts) - 1}"

    def insert(
        self,
        objs: Sequence[Model],
        *,
        keys: Sequence | None = None,
        source: str = "",
        taken: dict[str, str] | None = None,
    ) -> None:
        """New instances of one model. `keys`: their primary keys, drawn before (a sequence's
        nextval), set once their pre_save is sent (other parts may then refer to them). `source`:
        a part returning at most one row, from which the fields in `taken` (attname: the part's
        column) are read; without that row the statement fails (`Incomplete`)."""
        objs = list(objs)
        if not objs:
            return
        model = type(objs[0])
        taken = dict(taken or {})
        if source and (len(objs) != 1 or not self.together):
            raise ValueError("an insert from a source writes one instance, on PostgreSQL")
        head, fields, casts = _insert_statement(model, self.alias, keys is not None)
        connection = self.connection
        params: list = []
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]  # Django's own
            pre_save.send(sender=model, instance=obj, raw=False, using=self.alias, update_fields=None)
        if keys is not None:
            for obj, key in zip(objs, keys, strict=True):
                obj.pk = key
        pk = cast(Field, model._meta.pk)
        columns_read = [str(pk.column)] + [
            str(cast(Field, model._meta.get_field(attname)).column) for attname in taken
        ]
        returning = ", ".join(connection.ops.quote_name(column) for column in columns_read)
        if source:
            obj = objs[0]
            values = []
            for field, type_ in zip(fields, casts, strict=True):
                if field.attname in taken:
                    values.append(f"{source}.{connection.ops.quote_name(taken[field.attname])}")
                else:
                    values.append(f"CAST(%s AS {type_})")
                    params.append(field.get_db_prep_save(field.pre_save(obj, True), connection=connection))
            sql = f"{head} SELECT {', '.join(values)} FROM {source} RETURNING {returning}"  # noqa: S608  (our own columns and parts)
        else:
            one = "(" + ", ".join(["%s"] * len(fields)) + ")"
            for obj in objs:
                params.extend(
                    field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
                    for field in fields
                )
            sql = f"{head} VALUES {', '.join([one] * len(objs))} RETURNING {returning}"
        self._parts.append((sql, params))
        self._inserts.append(_Insert(len(self._parts) - 1, objs, taken, bool(source)))
        inserting.send(sender=model, instances=objs, statement=self)

    def run(self) -> None:
        """Run the statement (or the statements); set the keys, send `post_save` and hand the
        hooks to the transaction. Raises Incomplete when an insert's source returned no row."""
        found: dict[int, list[list]] = {insert.part: [] for insert in self._inserts}
        if not self.together:
            with self.connection.cursor() as cursor:
                for n, (sql, params) in enumerate(self._parts):
                    cursor.execute(sql, params)
                    if n in found:
                        found[n] = [list(row) for row in cursor.fetchall()]
        else:
            if len(self._parts) == 1 and self._inserts:
                sql, params = self._parts[0]
            else:
                sql, params = self._together()
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    rows_found = cursor.fetchall()
            except DataError as exc:
                if _INCOMPLETE in str(exc):
                    raise Incomplete from exc
                raise
            if len(self._parts) == 1 and self._inserts:
                found[0] = [list(row) for row in rows_found]
            else:
                for row in rows_found:
                    if row[0] >= 0:  # not the guard's
                        found[row[0]].append(list(row[1:]))
        for insert in self._inserts:
            model = type(insert.objs[0])
            pk = cast(Field, model._meta.pk)
            for obj, row in zip(insert.objs, found[insert.part], strict=True):
                obj.pk = pk.to_python(row[0])
                for attname, value in zip(insert.taken, row[1:], strict=False):
                    setattr(obj, attname, cast(Field, model._meta.get_field(attname)).to_python(value))
                obj._state.adding = False
                obj._state.db = self.alias
                post_save.send(
                    sender=model, instance=obj, created=True, update_fields=None, raw=False, using=self.alias
                )
        if self._hooks:
            from .commit_marks import run_together

            # One hook for all: the cache's marks among them go to Redis together.
            transaction.on_commit(partial(run_together, list(self._hooks)), using=self.alias)

    def _together(self) -> tuple[str, list]:
        """One WITH of every part; its SELECT returns each insert's keys (and taken columns) as
        text, tagged with the part (the parts' keys may be of different types), and, when an
        insert has a source, a guard's row (tagged -1) that fails the statement unless every such
        insert wrote its row."""
        if not self._inserts:
            raise ValueError("a statement returns the keys of its inserts: it has none")
        quote = self.connection.ops.quote_name
        width = max(len(insert.taken) for insert in self._inserts)
        selects = []
        for insert in self._inserts:
            meta = type(insert.objs[0])._meta
            columns_sql = [
                f"CAST({quote(str(cast(Field, meta.pk).column))} AS text)",
                *(f"CAST({quote(str(meta.get_field(a).column))} AS text)" for a in insert.taken),  # type: ignore[union-attr]
                *(["NULL"] * (width - len(insert.taken))),
            ]
            selects.append(f"SELECT {insert.part}, {', '.join(columns_sql)} FROM part_{insert.part}")  # noqa: S608
        sourced = [insert.part for insert in self._inserts if insert.sourced]
        if sourced:
            # The text is joined to the count read at run time: a constant would be cast (and
            # fail) as the statement is planned.
            counted = " + ".join(f"(SELECT count(*) FROM part_{part})" for part in sourced)  # noqa: S608
            selects.append(
                f"SELECT -1, CAST(CAST(CASE WHEN guard.written = {len(sourced)} THEN NULL "  # noqa: S608  (our parts)
                f"ELSE '{_INCOMPLETE}: ' || guard.written END AS integer) AS text)"
                f"{', NULL' * width} FROM (SELECT {counted} AS written) AS guard"
            )
        sql = (
            "WITH "
            + ", ".join(f"part_{n} AS ({part})" for n, (part, _params) in enumerate(self._parts))
            + " "
            + " UNION ALL ".join(selects)
        )
        return sql, [param for _sql, params in self._parts for param in params]


def insert(objs: Sequence[Model], alias: str = "default") -> None:
    """Insert new instances of one model in one statement, as `save()` would insert each: its
    signals sent, the primary keys set (in the order given, as `bulk_create` reads them), the
    instances no longer new."""
    insert_together(objs, alias=alias)


def insert_together(*groups: Sequence[Model], alias: str = "default") -> None:
    """`insert` for each group of new instances (one model per group), in one statement on
    PostgreSQL (a WITH of INSERTs), one per group elsewhere (SQLite)."""
    statement = Statement(alias)
    for group in groups:
        statement.insert(group)
    if statement._inserts:
        statement.run()
