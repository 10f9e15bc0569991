"""The session engine: Django's database sessions, with the session row read by a fixed statement.

Every signed-in request loads its session row; the ORM spent ~0.3 ms of CPU building that query, more than
the database spent answering it (bench/checkin_load.py). Everything else — saving, rotating, expiring,
clearing — is Django's database backend unchanged. SESSION_ENGINE = "accounts.sessions".
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from common.rows import Columns, instances, statement


def _session_sql(connection, model) -> tuple[str, list[Columns]]:
    parts = [Columns.of(connection, model, "s")]
    qn = connection.ops.quote_name
    key, expires = qn(model._meta.pk.column), qn(model._meta.get_field("expire_date").column)
    return f"SELECT {parts[0].sql} FROM {qn(model._meta.db_table)} s WHERE s.{key} = %s AND s.{expires} > %s", parts


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        """The unexpired row of this key, as the parent's objects.get(session_key=…, expire_date__gt=now);
        None (and no key) when there is none."""
        model = self.model
        database, (sql, parts) = statement("session_row", lambda connection: _session_sql(connection, model))
        now = database.ops.adapt_datetimefield_value(timezone.now())
        with database.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return instances(database, parts, row)[0]
