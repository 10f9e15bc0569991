"""Faults injected at the database edge, for tests of what a failure leaves behind."""

import contextlib

from django.db import OperationalError, connection


@contextlib.contextmanager
def database_dies_at(sql_fragment: str, *, after: int = 0):
    """The connection fails on a statement containing sql_fragment — the first one, or the one after
    `after` such statements went through — as when the server goes away mid-transaction."""
    seen = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal seen
        if sql_fragment in sql:
            seen += 1
            if seen > after:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
