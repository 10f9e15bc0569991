"""Insert many rows without building model instances: COPY on PostgreSQL, executemany elsewhere.

For the roster import, where `bulk_create` spends most of its time preparing every value of every
instance. Same semantics as `bulk_create` for what it covers: a field the row does not give gets the
model's default (a callable default is called once per call, so a batch shares one `now`), no signals,
no `save()`. Values must already be valid; the database still enforces its constraints, and its errors
arrive as Django's `IntegrityError`. PostgreSQL's COPY goes past `connection.execute_wrapper` hooks.
"""

import gc
from contextlib import contextmanager

from django.db import connection
from django.db.models import Field, ForeignObject, lookups

# Values of these fields go to the driver as they are; the others pass through get_db_prep_save.
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def insert_rows(model, rows: list[dict], *, with_pk: bool = False) -> None:
    """Insert rows given as {attname: value}; the primary key comes from the database, or from
    the rows with with_pk (ids from allocate_ids)."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    prepare = {field.attname: field for field in fields if field.get_internal_type() not in _PLAIN}
    prepared_default = {name: field.get_db_prep_save(defaults[name], connection) for name, field in prepare.items()}
    names = [field.attname for field in fields]

    def values(row: dict) -> tuple:
        out = []
        for name in names:
            if name in prepare:
                out.append(
                    prepare[name].get_db_prep_save(row[name], connection) if name in row else prepared_default[name]
                )
            else:
                out.append(row.get(name, defaults[name]))
        return tuple(out)

    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", [values(r) for r in rows])


def allocate_ids(model, count: int) -> list[int]:
    """Reserve `count` primary keys for rows about to be inserted with insert_rows(with_pk=True),
    so the caller knows them without reading the rows back. PostgreSQL: from the table's sequence
    (concurrent inserts get others). SQLite: after the highest id ever given, which is safe because
    the caller's transaction holds SQLite's single write lock (transaction_mode IMMEDIATE)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) FROM {quoted}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
            highest = max(highest, cursor.fetchone()[0])
    return list(range(highest + 1, highest + 1 + count))


@ForeignObject.register_lookup
@Field.register_lookup
class AnyOf(lookups.In):
    """`field__any_of=values`: `IN (…)` in general; on PostgreSQL `= ANY(%s)` with the values as one
    array parameter — psycopg splits a query on each placeholder, a quarter of a 20,000-value lookup.
    Feed it through id_chunks so SQLite gets at most 2,000 values at a time."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, [value for value in self.rhs if value is not None])


def id_chunks(values: list, size: int = 2000):
    """The values (ids, ID numbers) in slices a statement can take: one slice on PostgreSQL (an array is one
    parameter), 2,000 on SQLite (at most 32,766 parameters per statement)."""
    if connection.vendor == "postgresql":
        yield values
        return
    for start in range(0, len(values), size):
        yield values[start : start + size]


def in_clause(column: str, values: list) -> tuple[str, list]:
    """`column = ANY(%s)` with one array parameter on PostgreSQL, `column IN (%s, …)` elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for a bulk job.

    A 20,000-row import keeps ~100,000 objects alive; each automatic full collection walks all of
    them, a quarter of the import's time. Reference counting still frees almost everything; the few
    cycles left are collected once the collector is back on. Process-wide, so only for jobs of seconds.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
