"""Model instances from one fixed statement, for the few reads every request makes.

Building a query through the ORM costs ~0.3 ms of CPU for a model with many fields (the user row of
every signed-in request, the QR's session of every scan: bench/checkin_load.py); the database answers
in less. These helpers build the statement's column list and the fields' database converters once per
connection and turn a row into instances with Model.from_db, as the ORM does — the same values, the
same types. Each caller has a test comparing its result with the plain ORM query (README, "Fast paths").
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections


@dataclass(frozen=True)
class Columns:
    """One model's part of a fixed SELECT: its columns under an alias, their attnames and converters."""

    model: type
    sql: str
    attnames: list[str]
    converters: list[tuple]

    @classmethod
    def of(cls, connection, model, alias: str) -> "Columns":
        qn = connection.ops.quote_name
        sql, attnames, converters = [], [], []
        for field in model._meta.concrete_fields:
            column = field.get_col(alias)
            sql.append(f"{alias}.{qn(field.column)}")
            attnames.append(field.attname)
            converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
        return cls(model, ", ".join(sql), attnames, converters)

    def instance(self, connection, values):
        """The instance of these values (the row's slice for this model), or None for a LEFT JOIN's miss."""
        converted = []
        for value, (column, functions) in zip(values, self.converters, strict=True):
            for convert in functions:
                value = convert(value, column, connection)
            converted.append(value)
        if converted[0] is None:
            return None
        return self.model.from_db(connection.alias, self.attnames, converted)


def statement(name: str, build):
    """(connection, its cached build(connection)) for the default database. Kept on the connection object
    itself (one per thread): each thread uses its own connection's converters, and the cache goes with the
    connection (a dict keyed by connections would keep them alive, since converters refer back to them)."""
    connection = connections[DEFAULT_DB_ALIAS]
    attribute = f"_fixed_statement_{name}"
    cached = getattr(connection, attribute, None)
    if cached is None:
        cached = build(connection)
        setattr(connection, attribute, cached)
    return connection, cached


def instances(connection, parts: list[Columns], row) -> list:
    """A joined row cut into one instance (or None) per model, in the order of parts."""
    found, start = [], 0
    for part in parts:
        found.append(part.instance(connection, row[start : start + len(part.attnames)]))
        start += len(part.attnames)
    return found
