"""Django's PostgreSQL backend, with one change: the health check (CONN_HEALTH_CHECKS).

Django asks whether a kept connection still works before each request's first query, and its
own answer is a `SELECT 1`: one round trip more on every request that reads the database (a
checkout then makes five instead of four). An idle connection has nothing to read, so its
socket tells without a round trip: readable means the server closed it (a restart, an idle
timeout, `pg_terminate_backend`) or sent something unasked, and only then does `SELECT 1`
decide. A connection that breaks after the check fails that request's query, as it could after
Django's own check too.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            waiting = poller.poll(0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not waiting or super().is_usable()
