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


def insert_rows(model, rows: list[dict]) -> None:
    """Insert rows given as {attname: value}; the primary key comes from the database."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
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
